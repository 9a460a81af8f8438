import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { conditionsSchema } from '../../domain/index.ts';
import { rowsOf, type Db } from '../db.ts';
import { float64FromBase64, float64ToBase64 } from '../float64-array.ts';
import { measurementRecordSchema, type MeasurementRecord, type StoredMeasurement } from '../measurement-record.ts';
import { measurementsTable } from '../schema.ts';

export interface MeasurementRepository {
  /** Inserts records in one statement; an id that is already stored is skipped (writes are idempotent). Returns the number inserted. */
  insert(records: readonly MeasurementRecord[]): Promise<number>;
  get(id: string): Promise<StoredMeasurement | undefined>;
  /** Measurements of a trial in the order they were written. */
  listByTrial(trialId: string): Promise<StoredMeasurement[]>;
  /** Ids of a campaign's stored measurements (no arrays read): `labloop audit` checks every event has its curves. */
  ids(campaignId: string): Promise<Set<string>>;
}

type MeasurementRow = Omit<typeof measurementsTable.$inferSelect, 'arrayData'> & { arrayData: string | null };

/** Columnar layout of ADR 0005: keys, their lengths, and every array concatenated in key order. */
export function packArrays(arrays: Record<string, readonly number[]>): { keys: string[]; lengths: number[]; values: number[] } {
  const keys = Object.keys(arrays);
  const lengths: number[] = [];
  let total = 0;
  for (const k of keys) {
    const n = arrays[k]?.length ?? 0;
    lengths.push(n);
    total += n;
  }
  const values = new Array<number>(total);
  let at = 0;
  for (const k of keys) for (const v of arrays[k] ?? []) values[at++] = v;
  return { keys, lengths, values };
}

export function unpackArrays(keys: readonly string[], lengths: readonly number[], values: readonly number[]): Record<string, number[]> {
  if (keys.length !== lengths.length) throw new Error(`measurement has ${keys.length} array keys but ${lengths.length} lengths`);
  const total = lengths.reduce((a, b) => a + b, 0);
  if (total !== values.length) throw new Error(`measurement lengths add up to ${total} but ${values.length} values are stored`);
  const out: Record<string, number[]> = {};
  let at = 0;
  keys.forEach((k, i) => {
    const n = lengths[i] ?? 0;
    out[k] = values.slice(at, at + n);
    at += n;
  });
  return out;
}

/** A record as one element of the JSON batch `insert` expands in SQL (the values as base64 float64 bytes). */
export function toMeasurementRow(record: MeasurementRecord): Record<string, unknown> {
  const m = measurementRecordSchema.parse(record);
  const { keys, lengths, values } = packArrays(m.arrays);
  return {
    id: m.id,
    campaign_id: m.campaignId,
    trial_id: m.trialId,
    run_id: m.runId,
    technique: m.technique,
    stream: m.stream ?? m.technique,
    array_keys: keys,
    array_lengths: lengths,
    array_data: float64ToBase64(values),
    conditions: m.conditions ?? null,
    features: m.features,
    flags: m.flags,
  };
}

function fromRow(row: MeasurementRow): StoredMeasurement {
  // Rows written before ADR 0094 hold the values as float8[] (array_values) and no bytes.
  const values = row.arrayData !== null ? float64FromBase64(row.arrayData) : (row.arrayValues ?? []);
  return {
    id: row.id,
    campaignId: row.campaignId,
    trialId: row.trialId,
    runId: row.runId,
    technique: row.technique,
    stream: row.stream,
    arrays: unpackArrays(row.arrayKeys, row.arrayLengths, values),
    ...(row.conditions === null ? {} : { conditions: conditionsSchema.parse(row.conditions) }),
    features: z.record(z.string(), z.number()).parse(row.features),
    flags: row.flags,
    createdAt: row.createdAt,
  };
}

/** Every column, the bytes as base64 text (PGlite would turn a bytea into a Uint8Array byte by byte in JavaScript). */
const t = measurementsTable;
const columns = {
  id: t.id,
  campaignId: t.campaignId,
  trialId: t.trialId,
  runId: t.runId,
  technique: t.technique,
  stream: t.stream,
  arrayKeys: t.arrayKeys,
  arrayLengths: t.arrayLengths,
  arrayValues: t.arrayValues,
  arrayData: sql<string | null>`encode(${t.arrayData}, 'base64')`,
  conditions: t.conditions,
  features: t.features,
  flags: t.flags,
  createdAt: t.createdAt,
};

export function measurementRepository(db: Db): MeasurementRepository {
  return {
    async insert(records) {
      if (records.length === 0) return 0;
      // One JSON parameter expanded in SQL, as the hot tables are written (bulk-sql.ts); the bytes travel as base64.
      const json = JSON.stringify(records.map(toMeasurementRow));
      const result = await db.execute(sql`
        insert into "measurements" ("id", "campaign_id", "trial_id", "run_id", "technique", "stream", "array_keys", "array_lengths", "array_data", "conditions", "features", "flags")
        select x."id", x."campaign_id", x."trial_id", x."run_id", x."technique", x."stream", x."array_keys", x."array_lengths",
          decode(x."array_data", 'base64'), x."conditions", x."features", x."flags"
        from json_to_recordset(${json}::json) as x("id" text, "campaign_id" text, "trial_id" text, "run_id" text, "technique" text, "stream" text,
          "array_keys" text[], "array_lengths" integer[], "array_data" text, "conditions" jsonb, "features" jsonb, "flags" text[])
        on conflict do nothing
        returning "id"`);
      return rowsOf(result).length;
    },
    async get(id) {
      const [row] = await db.select(columns).from(measurementsTable).where(eq(measurementsTable.id, id));
      return row === undefined ? undefined : fromRow(row);
    },
    async ids(campaignId) {
      const rows = await db.select({ id: measurementsTable.id }).from(measurementsTable).where(eq(measurementsTable.campaignId, campaignId));
      return new Set(rows.map((r) => r.id));
    },

    async listByTrial(trialId) {
      const rows = await db.select(columns).from(measurementsTable).where(eq(measurementsTable.trialId, trialId)).orderBy(asc(measurementsTable.createdAt), asc(measurementsTable.id));
      return rows.map(fromRow);
    },
  };
}
