import path from 'node:path';
import type { Command } from 'commander';
import { probability, logOutputOf } from './option-parsers.ts';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../config/index.ts';
import type { Logger } from '../domain/index.ts';
import { UsageError } from './usage-error.ts';

/**
 * `labloop sim liquid-handler` and `labloop sim echem-station`: the simulated instruments as processes of their own,
 * so a dry run (`labloop dry-run --stations-file`) can span processes and hosts. Each prints one line when it serves
 * (`serving ...`) and runs until SIGINT/SIGTERM. The simulators (mqtt.js, node-opcua) load only when a command runs.
 */

const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const topicId = (name: string) => (v: string): string => {
  if (!ID.test(v)) throw new InvalidArgumentError(`${name} must be 1-64 characters of [a-z0-9-]`);
  return v;
};
const int = (name: string, min: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
  return n;
};

export function registerSimCommands(program: Command): void {
  const sim = program.command('sim').description('Run a simulated instrument as its own process (for dry runs across processes and hosts).');
  sim
    .command('liquid-handler')
    .description('A simulated liquid handler on an MQTT broker (the wire contract of DEVICES.md), with its own stocks and cells.')
    .requiredOption('--broker <url>', 'MQTT broker URL (mqtt://host:port); credentials from LABLOOP_MQTT_USERNAME / _PASSWORD')
    .requiredOption('--id <id>', 'device id (topic segment)', topicId('--id'))
    .option('--lab <lab>', 'lab id (topic segment; default LABLOOP_LAB or lab1)', topicId('--lab'))
    .option('--seed <n>', 'seed of the device (pipetting error, timing, faults)', int('--seed', 0), 1)
    .option('--campaign <file>', 'campaign whose stocks fill the reservoirs', 'examples/oer-screen.yaml')
    .option('--clock <mode>', 'instant | realtime | <speed-up factor>', 'instant')
    .option('--fault-rate <p>', 'inject every catalogued liquid-handler fault with this probability per operation', probability('--fault-rate'), 0)
    .option('--protocol-version <v>', '4 (MQTT 3.1.1) or 5', int('--protocol-version', 4), 4)
    .action(async (opts: Record<string, unknown>) => runLiquidHandler(opts as unknown as LiquidHandlerFlags));
  sim
    .command('echem-station')
    .description('Simulated electrochemical stations behind one OPC UA server (LADS model), one functional unit per cell.')
    .requiredOption('--port <port>', 'TCP port (0 picks a free one)', int('--port', 0))
    .option('--host <address>', 'interface (security mode None is offered on loopback only)', '127.0.0.1')
    .option('--allow-insecure', 'also offer security mode None on an interface that is not loopback (loudly logged)')
    .option('--cells <ids>', 'comma-separated cells; station `ps-<cell>` with unit `<cell>` each', 'pair1')
    .option('--broker <url>', 'mirror cell contents from this broker (the liquid handlers\' cell link)')
    .option('--lab <lab>', 'lab id of the cell link (default LABLOOP_LAB or lab1)', topicId('--lab'))
    .option('--seed <n>', 'seed of the stations', int('--seed', 0), 1)
    .option('--clock <mode>', 'instant | realtime | <speed-up factor>', 'instant')
    .option('--fault-rate <p>', 'inject every catalogued potentiostat fault with this probability per run', probability('--fault-rate'), 0)
    .action(async (opts: Record<string, unknown>) => runEchemStation(opts as unknown as EchemStationFlags));
}

interface LiquidHandlerFlags {
  broker: string;
  id: string;
  lab?: string;
  seed: number;
  campaign: string;
  clock: string;
  faultRate: number;
  protocolVersion: number;
}

interface EchemStationFlags {
  port: number;
  host: string;
  cells: string;
  broker?: string;
  lab?: string;
  seed: number;
  clock: string;
  faultRate: number;
  allowInsecure?: boolean;
}

async function clockOf(mode: string) {
  const { createClock, parseClockMode } = await import('../../simulators/clock.ts');
  try {
    return createClock(parseClockMode(mode));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The modules a simulated instrument needs, loaded on demand. */
async function load() {
  const [app, config, domain, faults, cellLink, lhCore, precipitation, world] = await Promise.all([
    import('../app/logger.ts'),
    import('../config/index.ts'),
    import('../domain/index.ts'),
    import('../../simulators/faults.ts'),
    import('../../simulators/liquid/cell-link.ts'),
    import('../../simulators/liquid/liquid-handler-core.ts'),
    import('../../simulators/liquid/precipitation.ts'),
    import('../../simulators/world.ts'),
  ]);
  return { ...app, ...config, ...domain, ...faults, ...cellLink, ...lhCore, ...precipitation, ...world };
}

async function runLiquidHandler(flags: LiquidHandlerFlags): Promise<void> {
  if (flags.protocolVersion !== 4 && flags.protocolVersion !== 5) throw new UsageError('--protocol-version must be 4 or 5');
  const clock = await clockOf(flags.clock);
  const { createLogger, loadConfig, loadCampaignFile, Rng, LiquidHandlerCore, SimulatedWorld, RuleFaultInjector, oerPrecipitation } = await load();
  const { MqttLiquidHandlerTwin } = await import('../../simulators/twins/mqtt-liquid-handler.ts');
  const config = loadConfig(process.env, flags.lab ? { lab: flags.lab } : {});
  const logger = createLogger(config.logLevel, logOutputOf(flags as unknown as Record<string, unknown>, config)).child({ sim: 'liquid-handler', deviceId: flags.id });
  // The simulators load node-opcua, whose load-time diagnostics would land on stdout: debug lines of our log instead.
  (await import('../../drivers/transport/opcua-diagnostics.ts')).routeOpcuaDiagnostics(logger);
  const spec = await loadCampaignFile(flags.campaign);
  const rng = new Rng(flags.seed);
  const core = new LiquidHandlerCore({
    deviceId: flags.id,
    world: new SimulatedWorld(spec.stocks),
    clock,
    rng: rng.fork(`lh-${flags.id}`),
    ...(flags.faultRate > 0 ? { faults: RuleFaultInjector.forRate(rng.fork('faults'), flags.faultRate, { only: 'liquidHandler' }) } : {}),
    precipitation: oerPrecipitation,
    logger,
  });
  const twin = new MqttLiquidHandlerTwin({
    lab: config.lab,
    core,
    broker: { url: flags.broker, protocolVersion: flags.protocolVersion as 4 | 5, ...credentials(config), clientId: `lh-${flags.id}` },
    publishCells: true,
    logger,
  });
  await twin.start();
  process.stdout.write(`labloop sim: liquid handler ${flags.id} serving on ${flags.broker} (lab ${config.lab}, ${spec.stocks.length} stocks from ${flags.campaign})\n`);
  await untilSignal(logger);
  await twin.stop();
}

async function runEchemStation(flags: EchemStationFlags): Promise<void> {
  const cells = flags.cells.split(',').map((c) => c.trim()).filter(Boolean);
  if (cells.length === 0 || cells.some((c) => !/^[A-Za-z0-9_-]+$/.test(c))) throw new UsageError('--cells must be a comma-separated list of cell ids ([A-Za-z0-9_-])');
  const clock = await clockOf(flags.clock);
  const { createLogger, loadConfig, Rng, RuleFaultInjector, MirroredWorld, CellLinkSubscriber } = await load();
  const { EchemStationCore } = await import('../../simulators/echem/station-core.ts');
  const { OpcuaStationTwin } = await import('../../simulators/twins/opcua-station.ts');
  const config = loadConfig(process.env, flags.lab ? { lab: flags.lab } : {});
  const logger = createLogger(config.logLevel, logOutputOf(flags as unknown as Record<string, unknown>, config)).child({ sim: 'echem-station' });
  (await import('../../drivers/transport/opcua-diagnostics.ts')).routeOpcuaDiagnostics(logger);
  const loopback = flags.host === '127.0.0.1' || flags.host === 'localhost' || flags.host === '::1';
  if (!loopback && flags.allowInsecure) logger.warn({ host: flags.host }, 'security mode None offered on an interface that is not loopback (--allow-insecure)');
  const rng = new Rng(flags.seed);
  const world = new MirroredWorld();
  let link: InstanceType<typeof CellLinkSubscriber> | undefined;
  if (flags.broker) {
    link = new CellLinkSubscriber(config.lab, world, { url: flags.broker, clientId: `es-cells-${rng.fork('client').nextUint32().toString(36)}`, ...credentials(config) }, logger);
    await link.start();
  } else logger.warn({}, 'no --broker: cells are not mirrored from any liquid handler (every run will find an empty cell)');
  const faults = flags.faultRate > 0 ? RuleFaultInjector.forRate(rng.fork('faults'), flags.faultRate, { only: 'potentiostat' }) : undefined;
  const cores = cells.map(
    (cell) => new EchemStationCore({ deviceId: `ps-${cell}`, cellId: cell, world, clock, rng: rng.fork(`ps-${cell}`), ...(faults ? { faults } : {}), logger: logger.child({ device: `ps-${cell}` }) }),
  );
  const twin = new OpcuaStationTwin({
    stations: cores.map((core) => ({ deviceId: core.deviceId, core })),
    clock,
    port: flags.port,
    host: flags.host,
    pkiFolder: path.join(config.pkiDir, 'server'),
    securityModes: loopback || flags.allowInsecure ? ['None', 'SignAndEncrypt'] : ['SignAndEncrypt'],
    allowInsecure: flags.allowInsecure ?? false,
    acceptUnknownCertificates: loopback,
    logger,
  });
  await twin.start();
  process.stdout.write(`labloop sim: echem station serving ${twin.endpointUrl} (units ${cells.join(', ')}${flags.broker ? `, cells mirrored from ${flags.broker}` : ''})\n`);
  await untilSignal(logger);
  await twin.stop();
  await link?.stop();
}

function credentials(config: Config): { username?: string; password?: string } {
  return { ...(config.mqtt.username ? { username: config.mqtt.username } : {}), ...(config.mqtt.password ? { password: config.mqtt.password } : {}) };
}

const STOP_GRACE_MS = 5000;

function untilSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      // A clean stop needs the broker; if it is gone, reconnect timers would keep the process alive for ever.
      setTimeout(() => {
        logger.warn({ signal }, 'did not stop cleanly within 5 s; exiting');
        process.exit(0);
      }, STOP_GRACE_MS).unref();
      resolve();
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}
