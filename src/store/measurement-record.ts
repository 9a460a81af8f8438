import { z } from 'zod';
import { conditionsSchema } from '../domain/index.ts';
import type { MeasurementRecord as ProtocolMeasurementRecord } from '../protocol/index.ts';

/**
 * One technique run's data: columnar float64 arrays (SI units named in the key, e.g. `E_V_RHE`, `j_mA_cm2`, `t_s`)
 * plus the features extracted from them. The engine publishes an `event` document carrying `features` and
 * `measurementId` (no arrays) and hands the full record to a MeasurementSink.
 * Array values may be NaN or ±Infinity (instruments report them); they round-trip exactly.
 */
/** Any JS numbers, NaN and ±Infinity included (z.number() refuses those); checked with one fast loop. */
const float64Array = z.custom<number[]>((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'), 'expected an array of numbers');

export const measurementRecordSchema = z.object({
  id: z.string().min(1),
  campaignId: z.string().min(1),
  trialId: z.string().min(1),
  runId: z.string().min(1),
  /** Technique of the run (`LSV`, `PEIS`, …). */
  technique: z.string().min(1),
  /** Stream name of the matching `event` document; defaults to the technique. */
  stream: z.string().min(1).optional(),
  arrays: z.record(z.string(), float64Array),
  conditions: conditionsSchema.optional(),
  features: z.record(z.string(), z.number()).default({}),
  flags: z.array(z.string()).default([]),
});
export type MeasurementRecord = z.input<typeof measurementRecordSchema>;
export type StoredMeasurement = z.output<typeof measurementRecordSchema> & { stream: string; createdAt: Date };

/** The engine hands records typed by the protocol (`MeasurementWriter`); every such record must be writable here. */
export const protocolRecordsFit: ProtocolMeasurementRecord extends MeasurementRecord ? true : never = true;
