import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Schema } from './schema.ts';

/**
 * The drizzle database both drivers (PGlite, node-postgres) are used through. A transaction (`db.transaction(tx => …)`)
 * is a `Db` too, so repositories and projections take a `Db` and work inside or outside a transaction.
 * Raw `execute` results differ per driver: use the query builder, or read only `.rows` from raw results.
 */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type StoreKind = 'pglite' | 'postgres';

/** Rows of a raw `db.execute(sql…)` on either driver (both return an object with `rows`). */
export function rowsOf<T>(result: unknown): T[] {
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}
