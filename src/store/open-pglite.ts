import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../domain/index.ts';
import type { Db } from './db.ts';
import { copyTemplateFolder, hasTemplate, pgliteTemplate, readTemplateTarball, writeTemplate } from './pglite-template.ts';
import { withTimeout } from './timeout.ts';
import { schema } from './schema.ts';

export const MEMORY_DIR = 'memory://';

/**
 * Postgres' buffer pool inside PGlite's WebAssembly memory. The data folder's postgresql.conf (from initdb) says 128MB,
 * which PGlite makes resident as it starts: ≈ 110 MB of RSS more than 16MB, in a process whose whole budget for a
 * 1,000-trial dry run is 500 MB (issue 14). A campaign's store grows by ≈ 0.1 MB per trial and is written by appends;
 * pages outside the pool are read back from the folder's files.
 */
export const PGLITE_SHARED_BUFFERS = '16MB';

export interface PgliteOpenOptions {
  /** A folder, or `memory://` for a throwaway database. */
  dir: string;
  migrationsFolder: string;
  /**
   * Folder caching a migrated, empty database (see pglite-template.ts): a new database starts from it (≈ 1 s)
   * instead of running initdb (≈ 4 s); on a miss the new database is saved there once. Undefined: no cache.
   */
  templateCacheDir?: string | undefined;
  /** A new database starts from this tarball (PGlite `dumpDataDir` output), before migrations; wins over the template. */
  initialData?: Blob | undefined;
  timeoutMs: number;
  logger: Logger;
}

export interface OpenedPglite {
  db: Db;
  client: PGlite;
  close(): Promise<void>;
}

export async function openPglite(opts: PgliteOpenOptions): Promise<OpenedPglite> {
  const started = performance.now();
  const dir = opts.dir === MEMORY_DIR ? undefined : resolve(opts.dir);
  const releaseLock = dir === undefined ? () => {} : acquireDirLock(dir);
  let client: PGlite | undefined;
  try {
    const isNew = dir === undefined || !existsSync(join(dir, 'PG_VERSION'));
    const template = opts.templateCacheDir === undefined ? undefined : pgliteTemplate(opts.templateCacheDir, opts.migrationsFolder);
    const useTemplate = isNew && opts.initialData === undefined && template !== undefined && hasTemplate(template);
    let load: Blob | undefined;
    if (isNew && opts.initialData !== undefined) load = opts.initialData;
    else if (useTemplate && dir !== undefined) copyTemplateFolder(template, dir);
    else if (useTemplate) load = readTemplateTarball(template);
    const source = !isNew ? 'folder' : opts.initialData !== undefined ? 'initialData' : useTemplate ? 'template' : 'initdb';
    client = await withTimeout(
      PGlite.create({
        ...(dir === undefined ? {} : { dataDir: dir }),
        ...(load === undefined ? {} : { loadDataDir: load }),
        startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
      }),
      opts.timeoutMs,
      `opening PGlite at ${opts.dir}`,
    );
    const db = drizzle({ client, schema }) as unknown as Db;
    const opened = performance.now();
    await withTimeout(migrate(db as never, { migrationsFolder: opts.migrationsFolder }), opts.timeoutMs, 'applying migrations');
    // Only a database made by initdb + migrations becomes the template (initialData may hold someone's data).
    if (source === 'initdb' && template !== undefined) await writeTemplate(client, template, opts.logger);
    opts.logger.debug({ dir: opts.dir, source, openMs: Math.round(opened - started), totalMs: Math.round(performance.now() - started) }, 'pglite opened');
    const pg = client;
    return {
      db,
      client: pg,
      async close() {
        try {
          if (!pg.closed) await pg.close();
        } finally {
          releaseLock();
        }
      },
    };
  } catch (e) {
    if (client && !client.closed) await client.close().catch(() => {});
    releaseLock();
    throw e;
  }
}

/**
 * PGlite is single-process: two processes on one folder corrupt it. A lock file holding our pid refuses a second
 * opener while the first is alive; a lock left by a dead process is taken over.
 */
function acquireDirLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, 'labloop.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockPath, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (Number.isInteger(holder) && isAlive(holder))
        throw new Error(`the PGlite database at ${dir} is in use by process ${holder}${holder === process.pid ? ' (this process)' : ''}`);
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock the PGlite database at ${dir}`);
}

/** True when a process with this pid exists on this host (one we may not signal counts as alive). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
