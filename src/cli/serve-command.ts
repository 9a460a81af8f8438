import { logOutputOf } from './option-parsers.ts';
import type { DryRunConsoleOptions } from '../app/console-dry-run.ts';
import { createLogger } from '../app/logger.ts';
import { loadConfig, type Config } from '../config/index.ts';
import type { CampaignSpec } from '../domain/index.ts';
import { UsageError } from './usage-error.ts';
import { isLoopbackHost } from '../console/auth.ts';

interface ServeFlags {
  port: number;
  host: string;
  db?: string;
  insecureLocal?: boolean;
  poll: number;
  out: string;
}

/** `labloop serve`: the monitoring console over the database, until Ctrl-C. */
export async function runServeCommand(raw: Record<string, unknown>): Promise<void> {
  const flags = raw as unknown as ServeFlags;
  const config = loadConfig(process.env, flags.db ? { pgliteDir: flags.db } : {});
  const insecureLocal = flags.insecureLocal ?? false;
  if (!insecureLocal && config.console.tokens.length === 0) {
    throw new UsageError('the console needs tokens: set LABLOOP_CONSOLE_TOKENS="actor:role:token,…" (roles viewer, operator, admin) or pass --insecure-local');
  }
  // Refused before anything opens (the console server refuses it too): tokenless access stays on this machine.
  if (insecureLocal && !isLoopbackHost(flags.host)) throw new UsageError(`--insecure-local serves only on a loopback address (127.0.0.1, ::1, localhost), not ${flags.host}; give tokens (labloop tokens create) to serve on ${flags.host}`);
  const logger = createLogger(config.logLevel, logOutputOf(raw, config));
  // Loaded here: `dry-run` imports this module for its console flags only (ADR 0095).
  const { startServeConsole } = await import('../app/console-serve.ts');
  const served = await startServeConsole({ config, logger, host: flags.host, port: flags.port, insecureLocal, pollMs: flags.poll, outDir: flags.out });
  if (insecureLocal) process.stderr.write('labloop: WARNING — --insecure-local: anyone on this machine can open the console without a token\n');
  const mode = served.controlsCampaigns
    ? 'PostgreSQL: operators control campaigns whose runner holds a live lease'
    : `PGlite ${config.pgliteDir}: a PGlite folder has one process, so operators may resume or abort interrupted campaigns here`;
  process.stdout.write(`labloop console: ${served.url} (${mode}; polling every ${flags.poll} ms) — Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await served.close();
}

/* Console flags of `labloop dry-run` (--console [port], --approval, --insecure-local), kept beside `serve`. */

export const DEFAULT_CONSOLE_PORT = 7070;

interface DryRunConsoleFlags {
  console?: boolean | string;
  approval?: string;
  insecureLocal?: boolean;
}

/** Applies `--approval auto|human` to the campaign; human approval needs the console (operators approve there). */
export function applyApprovalFlag(spec: CampaignSpec, raw: Record<string, unknown>): CampaignSpec {
  const flags = raw as DryRunConsoleFlags;
  if (flags.approval !== undefined && flags.approval !== 'auto' && flags.approval !== 'human') throw new UsageError(`--approval must be auto or human, not "${flags.approval}"`);
  const approval = (flags.approval as 'auto' | 'human' | undefined) ?? spec.strategy.approval;
  if (approval === 'human' && !flags.console) throw new UsageError('human approval needs the console: add --console [port]');
  return { ...spec, strategy: { ...spec.strategy, approval } };
}

/** The dry run's console options from the flags (undefined without --console); lingers after the run until `signal` fires. */
export function consoleOptionsFromFlags(raw: Record<string, unknown>, config: Config, signal: AbortSignal): DryRunConsoleOptions | undefined {
  const flags = raw as DryRunConsoleFlags;
  if (!flags.console) return undefined;
  const port = flags.console === true ? DEFAULT_CONSOLE_PORT : Number(flags.console);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--console port must be an integer in [0, 65535], not "${String(flags.console)}"`);
  const insecureLocal = flags.insecureLocal ?? false;
  if (!insecureLocal && config.console.tokens.length === 0) {
    throw new UsageError('the console needs tokens: set LABLOOP_CONSOLE_TOKENS="actor:role:token,…" (roles viewer, operator, admin) or pass --insecure-local');
  }
  return {
    port,
    host: '127.0.0.1',
    tokens: config.console.tokens,
    insecureLocal,
    onReady: ({ url, campaignId }) => {
      if (insecureLocal) process.stderr.write('labloop: WARNING — --insecure-local: anyone on this machine can open the console without a token\n');
      process.stdout.write(`labloop console: ${url}/#/campaign/${encodeURIComponent(campaignId)}\n`);
    },
    linger: async ({ url }) => {
      if (signal.aborted) return;
      process.stderr.write(`\nlabloop: campaign ended; the console stays up at ${url} — press Ctrl-C to exit\n`);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  };
}
