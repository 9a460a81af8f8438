import type { Config } from '../config/index.ts';
import { ensureWebBuilt, pollingFeed, startConsoleServer, type ConsoleServer } from '../console/index.ts';
import type { Logger } from '../domain/index.ts';
import { openStore } from '../store/open-store.ts';
import { storeConsoleReader } from './console-reader.ts';

export interface ServeConsoleOptions {
  config: Config;
  logger: Logger;
  host: string;
  port: number;
  insecureLocal: boolean;
  /** Documents-table poll period, ms. */
  pollMs: number;
}

export interface ServedConsole {
  readonly server: ConsoleServer;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `labloop serve`: a read-only console over any database (the PGlite folder or DATABASE_URL). Live documents come
 * from polling the documents table for new sequence numbers, so it follows campaigns run by any process writing
 * to the same PostgreSQL. (A PGlite folder is opened by one process at a time.)
 */
export async function startServeConsole(opts: ServeConsoleOptions): Promise<ServedConsole> {
  const { config, logger } = opts;
  await ensureWebBuilt({ logger });
  const store = await openStore({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, pgliteTemplateCacheDir: config.pgliteCacheDir, logger });
  try {
    const reader = storeConsoleReader(store);
    const server = await startConsoleServer({
      reader,
      feed: pollingFeed({ reader, logger, intervalMs: opts.pollMs }),
      tokens: config.console.tokens,
      insecureLocal: opts.insecureLocal,
      logger,
      host: opts.host,
      port: opts.port,
    });
    return {
      server,
      url: server.url,
      async close() {
        await server.close();
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
