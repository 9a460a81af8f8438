import type { Config } from '../config/index.ts';
import { ensureWebBuilt, pollingFeed, startConsoleServer, type ConsoleServer } from '../console/index.ts';
import type { Logger } from '../domain/index.ts';
import { openStore } from '../store/open-store.ts';
import { storeConsoleReader } from './console-reader.ts';
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
}

export interface ServedConsole {
  readonly server: ConsoleServer;
  readonly url: string;
  /** True on PostgreSQL: campaigns with a live lease can be controlled from this console (ADR 0032). */
  readonly controlsCampaigns: boolean;
  close(): Promise<void>;
}

/**
 * `labloop serve`: the console over any database (the PGlite folder or DATABASE_URL). Live documents come from
 * polling the documents table for new sequence numbers, so it follows campaigns run by any process writing to the
 * same PostgreSQL. On PostgreSQL it also controls them: commands go through the console_commands table to the process
 * holding the campaign's lease (ADR 0032). On PGlite it is read-only: a folder is opened by one process at a time,
 * so no other process can be running a campaign in it.
 */
export async function startServeConsole(opts: ServeConsoleOptions): Promise<ServedConsole> {
  const { config, logger } = opts;
  await ensureWebBuilt({ logger });
  const store = await openStore({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, pgliteTemplateCacheDir: config.pgliteCacheDir, logger });
  let commands: RemoteCampaignCommands | undefined;
  try {
    const reader = storeConsoleReader(store);
    if (store.kind === 'postgres') {
      commands = new RemoteCampaignCommands({ leasePollMs: opts.pollMs, ...opts.commands, store, logger });
      await commands.start();
    } else {
      logger.info('serve: PGlite is single-process, so no other process runs a campaign here: the console is read-only');
    }
    const server = await startConsoleServer({
      reader,
      feed: pollingFeed({ reader, logger, intervalMs: opts.pollMs }),
      commands,
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
      async close() {
        // Commands first: one still waiting for its runner is withdrawn ("the console closed …") instead of holding
        // the shutdown for up to its answer timeout.
        await commands?.close();
        await server.close();
        await store.close();
      },
    };
  } catch (e) {
    await commands?.close();
    await store.close();
    throw e;
  }
}
