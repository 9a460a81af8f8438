import { silentLogger, type Logger } from '../domain/index.ts';
import { DEFAULT_MIGRATIONS_FOLDER } from './migrations.ts';
import { MEMORY_DIR, openPglite } from './open-pglite.ts';
import { createStore, type Store } from './store.ts';

export const DEFAULT_PGLITE_DIR = '.labloop/db';

export interface OpenStoreOptions {
  /** `postgres://` or `postgresql://` URL. When given, PostgreSQL is used through a node-postgres pool. */
  databaseUrl?: string | undefined;
  /** PGlite data folder (default `.labloop/db`), or `memory://` for a throwaway in-memory database. */
  pgliteDir?: string | undefined;
  /**
   * PGlite only: folder caching a migrated, empty database as a tarball. A new PGlite database is then loaded from
   * it (≈ 1 s) instead of running initdb (≈ 4 s). Suggested: `.labloop/cache`. Undefined: no cache (nothing written
   * outside `pgliteDir`).
   */
  pgliteTemplateCacheDir?: string | undefined;
  /** PGlite only: a new database starts from this tarball (PGlite `dumpDataDir` output) instead of initdb or the template. */
  pgliteInitialData?: Blob | undefined;
  /** PostgreSQL pool size (default 10). */
  maxConnections?: number | undefined;
  /**
   * PostgreSQL: connect, statement and lock-wait timeout, ms (default 60 000). PGlite: timeout for opening and
   * migrating (default 180 000: initdb is CPU-bound and takes far longer than its idle 4 s on a loaded machine).
   */
  timeoutMs?: number | undefined;
  /** Folder of drizzle-kit migrations (default: the repository's `migrations/`). */
  migrationsFolder?: string | undefined;
  logger?: Logger | undefined;
}

/**
 * Opens the store and applies pending migrations (idempotent; concurrent PostgreSQL openers serialise on an advisory
 * lock). Reads no environment: src/config decides the URL or folder and passes it in.
 */
export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const logger = (opts.logger ?? silentLogger).child({ component: 'store' });
  const migrationsFolder = opts.migrationsFolder ?? DEFAULT_MIGRATIONS_FOLDER;
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') {
    if (!/^postgres(ql)?:\/\//.test(opts.databaseUrl)) throw new Error('databaseUrl must start with postgres:// or postgresql://');
    // node-postgres is loaded only for PostgreSQL (ADR 0095).
    const { openPostgres } = await import('./open-postgres.ts');
    const pg = await openPostgres({ url: opts.databaseUrl, migrationsFolder, maxConnections: opts.maxConnections, timeoutMs: opts.timeoutMs ?? 60_000, logger });
    return createStore('postgres', pg.db, () => pg.close());
  }
  const lite = await openPglite({
    dir: opts.pgliteDir ?? DEFAULT_PGLITE_DIR,
    migrationsFolder,
    templateCacheDir: opts.pgliteTemplateCacheDir,
    initialData: opts.pgliteInitialData,
    timeoutMs: opts.timeoutMs ?? 180_000,
    logger,
  });
  return createStore('pglite', lite.db, () => lite.close());
}

export { MEMORY_DIR };
