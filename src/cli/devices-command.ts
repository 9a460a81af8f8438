import { InvalidArgumentError, type Command } from 'commander';
import type { DevicesContext } from '../app/devices.ts';
import { positiveInt, logOutputOf } from './option-parsers.ts';

/**
 * `labloop devices inspect <endpoint>` and `labloop devices run-program <endpoint> --unit U --template T`: the generic
 * LADS client for any OPC UA LADS server (commissioning an instrument, checking a station before a campaign).
 * node-opcua loads only when a command runs.
 */
interface ConnectionFlags {
  security: string;
  allowInsecure?: boolean;
  trustServer?: boolean;
  user?: string;
  cert?: string;
  key?: string;
}

interface RunFlags extends ConnectionFlags {
  device?: string;
  unit: string;
  template: string;
  param: string[];
  jobId?: string;
  taskId?: string;
  timeout: number;
  requireLock?: boolean;
  files: boolean;
}

const keyValue = (v: string, previous: string[] = []): string[] => {
  const i = v.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`--param takes key=value (got "${v}")`);
  return [...previous, v];
};

function connectionOptions(cmd: Command): Command {
  return cmd
    .option('--security <mode[:policy]>', 'None | Sign | SignAndEncrypt, with policy Basic256Sha256 (default) | Aes128_Sha256_RsaOaep | Aes256_Sha256_RsaPss; SignAndEncrypt is required off loopback', 'None')
    .option('--allow-insecure', 'allow None or Sign to an endpoint that is not on loopback')
    .option('--trust-server', 'trust a server certificate seen for the first time (always done on loopback)')
    .option('--user <name>', 'username identity; the password comes from LABLOOP_OPCUA_PASSWORD')
    .option('--cert <file>', 'X.509 user identity: certificate (PEM or DER), with --key')
    .option('--key <file>', 'private key of --cert (PEM)');
}

export function registerDevicesCommands(program: Command): void {
  const devices = program.command('devices').description('Talk to any OPC UA LADS instrument: inspect its device tree or run one program.');
  connectionOptions(devices.command('inspect').description('Print the device tree: devices, functional units, functions with current values and units, program templates with parameters, states.'))
    .argument('<endpoint>', 'opc.tcp://host:port')
    .option('--json', 'print the tree as JSON')
    .action(async (endpoint: string, flags: ConnectionFlags & { json?: boolean }) => {
      const { inspectDevices } = await import('../app/devices.ts');
      const ctx = await context(endpoint, flags);
      const info = await usage(() => inspectDevices(ctx));
      if (flags.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      else process.stdout.write((await import('./devices-format.ts')).formatServerInfo(info));
    });
  connectionOptions(devices.command('run-program').description('Start a program on a functional unit, follow its state to the end and print the result as JSON.'))
    .argument('<endpoint>', 'opc.tcp://host:port')
    .requiredOption('--unit <name>', 'functional unit (browse name)')
    .requiredOption('--template <id>', 'program template (DeviceTemplateId or browse name)')
    .option('--device <name>', 'device (browse name); needed only when several devices have the unit')
    .option('--param <key=value>', 'a StartProgram property (repeatable); the value is sent as written', keyValue, [])
    .option('--job-id <id>', 'SupervisoryJobId (idempotency key; default a new ULID)')
    .option('--task-id <id>', 'SupervisoryTaskId')
    .option('--timeout <s>', 'give up after this many seconds', positiveInt('--timeout'), 3600)
    .option('--require-lock', 'refuse to run when the unit offers no working lock')
    .option('--no-files', "do not read the result's files")
    .action(async (endpoint: string, flags: RunFlags) => {
      const { runProgram } = await import('../app/devices.ts');
      const ctx = await context(endpoint, flags);
      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        const out = await usage(() =>
          runProgram(ctx, {
            unit: flags.unit,
            template: flags.template,
            params: flags.param.map((kv) => ({ key: kv.slice(0, kv.indexOf('=')), value: kv.slice(kv.indexOf('=') + 1) })),
            timeout_s: flags.timeout,
            files: flags.files,
            signal: controller.signal,
            ...(flags.device ? { device: flags.device } : {}),
            ...(flags.jobId ? { jobId: flags.jobId } : {}),
            ...(flags.taskId ? { taskId: flags.taskId } : {}),
            ...(flags.requireLock ? { requireLock: true } : {}),
          }),
        );
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}

async function context(endpoint: string, flags: ConnectionFlags): Promise<DevicesContext> {
  const [{ UsageError }, { loadConfig }, { createLogger }, { opcuaEndpointSchema, endpointIssues }, { parseSecuritySpec }, { routeOpcuaDiagnostics }] = await Promise.all([
    import('./usage-error.ts'),
    import('../config/index.ts'),
    import('../app/logger.ts'),
    import('../app/opcua-connection.ts'),
    import('../../drivers/transport/opcua-security.ts'),
    import('../../drivers/transport/opcua-diagnostics.ts'),
  ]);
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel, logOutputOf(flags as unknown as Record<string, unknown>, config)).child({ command: 'devices' });
  routeOpcuaDiagnostics(logger); // node-opcua is loaded now; its diagnostics become debug lines of our log
  let security: ReturnType<typeof parseSecuritySpec>;
  try {
    security = parseSecuritySpec(flags.security);
  } catch (e) {
    throw new UsageError(`--security: ${(e as Error).message}`);
  }
  if (!!flags.cert !== !!flags.key) throw new UsageError('--cert and --key go together');
  const parsed = opcuaEndpointSchema.safeParse({
    endpoint,
    securityMode: security.mode,
    securityPolicy: security.policy,
    allowInsecure: flags.allowInsecure ?? false,
    trustServerCertificate: flags.trustServer ?? false,
    ...(flags.user ? { user: { username: flags.user } } : {}),
    ...(flags.cert && flags.key ? { certificate: { certificate: flags.cert, privateKey: flags.key } } : {}),
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.') || 'endpoint'}: ${i.message}`).join('; '));
  const issue = endpointIssues(parsed.data)[0];
  if (issue) throw new UsageError(issue.message);
  if (flags.user && config.opcua.password === undefined) throw new UsageError(`--user ${flags.user} needs the password in LABLOOP_OPCUA_PASSWORD`);
  return { endpoint: parsed.data, config, logger };
}

/** Discovery errors (no such unit, not a LADS server) are the user's input: exit code 2. */
async function usage<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof Error && (e.name === 'LadsDiscoveryError' || e.name === 'InsecureEndpointError')) throw new (await import('./usage-error.ts')).UsageError(e.message);
    throw e;
  }
}
