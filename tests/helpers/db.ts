import { PGlite } from '@electric-sql/pglite';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { openStore, type OpenStoreOptions, type Store } from '../../src/store/index.ts';

/**
 * Databases for store tests. PGlite takes 3–5 s to initdb, so tests never do: a migrated template is cached by
 * openStore under TEST_PGLITE_CACHE (made once per machine and schema), and an *unmigrated* initdb tarball is cached
 * here for the tests that must watch migrations run on a fresh database. PostgreSQL tests get a database of their
 * own (CREATE DATABASE labloop_test_<random>) that is dropped afterwards, so runs never collide.
 */

export const TEST_PGLITE_CACHE = join(tmpdir(), 'labloop-test-pglite');

/** Admin URL of the machine's PostgreSQL (trust auth); LABLOOP_TEST_PG_URL overrides it. */
export const TEST_PG_ADMIN_URL = process.env['LABLOOP_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export const IN_CI = process.env['CI'] === 'true' || process.env['CI'] === '1';

/**
 * A new PGlite store in a temporary folder copied from the cached migrated template (the fastest way to a fresh
 * database: copying the folder beats loading the tarball into `memory://`). `close()` also removes the folder.
 */
export async function openTempStore(extra: Partial<OpenStoreOptions> = {}): Promise<Store> {
  const dir = tempPgliteDir();
  try {
    const store = await openStore({ pgliteDir: dir, pgliteTemplateCacheDir: TEST_PGLITE_CACHE, ...extra });
    return {
      ...store,
      close: async () => {
        try {
          await store.close();
        } finally {
          removePgliteDir(dir);
        }
      },
    };
  } catch (e) {
    removePgliteDir(dir);
    throw e;
  }
}

/** A path for a new PGlite database folder inside a new temporary folder; remove both with `removePgliteDir`. */
export function tempPgliteDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'labloop-pglite-')), 'db');
}

/** A tarball of a fresh initdb database with no migrations applied (cached; built once with PGlite, ≈ 4 s). */
export async function unmigratedPgliteTarball(): Promise<Blob> {
  const path = join(TEST_PGLITE_CACHE, 'unmigrated.tar.gz');
  if (!existsSync(path)) {
    const client = await PGlite.create();
    const dump = await client.dumpDataDir('gzip');
    await client.close();
    mkdirSync(TEST_PGLITE_CACHE, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    renameSync(tmp, path);
  }
  return new Blob([readFileSync(path)]);
}

export interface PostgresProbe {
  available: boolean;
  reason: string;
}

/** Whether the test PostgreSQL answers (2 s budget). */
export async function probePostgres(url = TEST_PG_ADMIN_URL): Promise<PostgresProbe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { available: true, reason: '' };
  } catch (e) {
    return { available: false, reason: (e as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

export interface TempDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** CREATE DATABASE labloop_test_<random> on the test server; `drop()` removes it (forcing other sessions off). */
export async function createTempDatabase(adminUrl = TEST_PG_ADMIN_URL): Promise<TempDatabase> {
  const name = `labloop_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, statement_timeout: 30_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export function removePgliteDir(dir: string): void {
  rmSync(dirname(dir), { recursive: true, force: true });
}
