import type { Config } from '../config/index.ts';
import { ensureWebBuilt, pollingFeed, startConsoleServer, type ConsoleServer } from '../console/index.ts';
import type { Logger } from '../domain/index.ts';
import { openStore } from '../store/open-store.ts';
import { storeConsoleReader } from './console-reader.ts';
import { ServeCampaignControl } from './console-campaign-control.ts';
import { RemoteCampaignCommands, type RemoteCampaignCommandsOptions } from './remote-campaign-commands.ts';

export interface ServeConsoleOptions {
  config: Config;
  logger: Logger;
  host: string;
  port: number;
  insecureLocal: boolean;
  /** Documents-table and live-lease poll period, ms. */
  pollMs: number;
  /** PostgreSQL: tuning of the command channel (timeouts); tests shorten them. */
  commands?: Omit<RemoteCampaignCommandsOptions, 'store' | 'logger'> | undefined;
  /** Outputs of a campaign an operator resumes from this console: `<outDir>/<campaign id>` (default `out`). */
  outDir?: string | undefined;
}

export interface ServedConsole {
  readonly server: ConsoleServer;
  readonly url: string;
  /** True on PostgreSQL: campaigns with a live lease can be controlled from this console (ADR 0032). */
  readonly controlsCampaigns: boolean;
  /** Resume, abort and recovery decisions for campaigns no process runs (ADR 0091); runs resumed here. */
  readonly control: ServeCampaignControl;
  close(): Promise<void>;
}

/**
 * `labloop serve`: the console over any database (the PGlite folder or DATABASE_URL). Live documents come from
 * polling the documents table for new sequence numbers, so it follows campaigns run by any process writing to the
 * same PostgreSQL. On PostgreSQL it also controls them: commands go through the console_commands table to the process
 * holding the campaign's lease (ADR 0032). On PGlite a folder is opened by one process at a time, so no other process
 * runs a campaign in it. On both, campaigns no process runs (interrupted, paused, awaiting recovery) can be resumed —
 * in this process — or aborted by an operator (ADR 0091).
 */
export async function startServeConsole(opts: ServeConsoleOptions): Promise<ServedConsole> {
  const { config, logger } = opts;
  await ensureWebBuilt({ logger });
  const store = await openStore({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, pgliteTemplateCacheDir: config.pgliteCacheDir, logger });
  let commands: RemoteCampaignCommands | undefined;
  let control: ServeCampaignControl | undefined;
  try {
    const reader = storeConsoleReader(store);
    if (store.kind === 'postgres') {
      commands = new RemoteCampaignCommands({ leasePollMs: opts.pollMs, ...opts.commands, store, logger });
      await commands.start();
    } else {
      logger.info('serve: PGlite is single-process, so no other process runs a campaign here: operators may resume or abort interrupted ones');
    }
    control = new ServeCampaignControl({ store, config, logger, outDir: opts.outDir ?? 'out', pollMs: opts.pollMs, live: commands });
    await control.start();
    const ctl = control;
    const server = await startConsoleServer({
      reader,
      feed: pollingFeed({ reader, logger, intervalMs: opts.pollMs }),
      commands: ctl,
      tokens: config.console.tokens,
      insecureLocal: opts.insecureLocal,
      logger,
      host: opts.host,
      port: opts.port,
    });
    return {
      server,
      url: server.url,
      controlsCampaigns: commands !== undefined,
      control: ctl,
      async close() {
        // Commands first: one still waiting for its runner is withdrawn ("the console closed …") instead of holding
        // the shutdown for up to its answer timeout.
        await commands?.close();
        await ctl.close();
        await server.close();
        await store.close();
      },
    };
  } catch (e) {
    await control?.close();
    await commands?.close();
    await store.close();
    throw e;
  }
}
