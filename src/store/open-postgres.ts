import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { Logger } from '../domain/index.ts';
import type { Db } from './db.ts';
import { withTimeout } from './timeout.ts';
import { schema } from './schema.ts';

export interface PostgresOpenOptions {
  url: string;
  migrationsFolder: string;
  /** Pool size (default 10). */
  maxConnections?: number | undefined;
  /** Connect, statement and lock timeouts. */
  timeoutMs: number;
  logger: Logger;
}

export interface OpenedPostgres {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** Arbitrary constant: the advisory lock that serialises migrations between processes sharing one database. */
const MIGRATION_LOCK_KEY = 7_215_004_211;

export async function openPostgres(opts: PostgresOpenOptions): Promise<OpenedPostgres> {
  const started = performance.now();
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.maxConnections ?? 10,
    connectionTimeoutMillis: opts.timeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.timeoutMs,
    lock_timeout: opts.timeoutMs,
    idle_in_transaction_session_timeout: opts.timeoutMs,
    application_name: 'labloop',
  });
  // An idle client that loses its connection emits on the pool; without a listener that would crash the process.
  pool.on('error', (err) => opts.logger.error({ err }, 'postgres pool error'));
  try {
    await migrateWithLock(pool, opts.migrationsFolder, opts.timeoutMs);
  } catch (e) {
    await pool.end().catch(() => {});
    throw new Error(`cannot open PostgreSQL at ${redact(opts.url)}: ${(e as Error).message}`, { cause: e });
  }
  const db = drizzle({ client: pool, schema }) as unknown as Db;
  opts.logger.debug({ url: redact(opts.url), ms: Math.round(performance.now() - started) }, 'postgres opened');
  let closed = false;
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** Applies pending migrations on one connection while holding an advisory lock, so concurrent openers wait. */
async function migrateWithLock(pool: pg.Pool, migrationsFolder: string, timeoutMs: number): Promise<void> {
  const client = await withTimeout(pool.connect(), timeoutMs, 'connecting to PostgreSQL');
  let broken = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const db = drizzle({ client, schema });
      await migrate(db, { migrationsFolder });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } catch (e) {
    broken = true;
    throw e;
  } finally {
    client.release(broken);
  }
}

/** The URL without its password, for logs and errors. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}
