import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { conditionsSchema } from '../../domain/index.ts';
import type { Db } from '../db.ts';
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

type MeasurementRow = typeof measurementsTable.$inferSelect;

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

export function toMeasurementRow(record: MeasurementRecord): typeof measurementsTable.$inferInsert {
  const m = measurementRecordSchema.parse(record);
  const { keys, lengths, values } = packArrays(m.arrays);
  return {
    id: m.id,
    campaignId: m.campaignId,
    trialId: m.trialId,
    runId: m.runId,
    technique: m.technique,
    stream: m.stream ?? m.technique,
    arrayKeys: keys,
    arrayLengths: lengths,
    arrayValues: values,
    conditions: m.conditions ?? null,
    features: m.features,
    flags: m.flags,
  };
}

function fromRow(row: MeasurementRow): StoredMeasurement {
  return {
    id: row.id,
    campaignId: row.campaignId,
    trialId: row.trialId,
    runId: row.runId,
    technique: row.technique,
    stream: row.stream,
    arrays: unpackArrays(row.arrayKeys, row.arrayLengths, row.arrayValues),
    ...(row.conditions === null ? {} : { conditions: conditionsSchema.parse(row.conditions) }),
    features: z.record(z.string(), z.number()).parse(row.features),
    flags: row.flags,
    createdAt: row.createdAt,
  };
}

export function measurementRepository(db: Db): MeasurementRepository {
  return {
    async insert(records) {
      if (records.length === 0) return 0;
      const rows = await db.insert(measurementsTable).values(records.map(toMeasurementRow)).onConflictDoNothing().returning({ id: measurementsTable.id });
      return rows.length;
    },
    async get(id) {
      const [row] = await db.select().from(measurementsTable).where(eq(measurementsTable.id, id));
      return row === undefined ? undefined : fromRow(row);
    },
    async ids(campaignId) {
      const rows = await db.select({ id: measurementsTable.id }).from(measurementsTable).where(eq(measurementsTable.campaignId, campaignId));
      return new Set(rows.map((r) => r.id));
    },

    async listByTrial(trialId) {
      const rows = await db.select().from(measurementsTable).where(eq(measurementsTable.trialId, trialId)).orderBy(asc(measurementsTable.createdAt), asc(measurementsTable.id));
      return rows.map(fromRow);
    },
  };
}
