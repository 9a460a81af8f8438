import { z } from 'zod';
import { strictObject } from './strict-object.ts';
import { failureSchema } from './failure.ts';

/** Electrochemical techniques a station runs. Potentials are vs RHE unless the name says otherwise. */
export const TECHNIQUES = ['OCP', 'CV', 'LSV', 'CA', 'CP', 'PEIS', 'OER_Screen_v1'] as const;
export const techniqueSchema = z.enum(TECHNIQUES);
export type Technique = z.infer<typeof techniqueSchema>;

/** Most points in one array of a curve (the stations' point budget per segment). */
export const MAX_CURVE_POINTS = 200_000;

export const techniqueRunSchema = strictObject({
  technique: techniqueSchema,
  cell: z.string(),
  /** Technique parameters: numbers in the default units, names carrying a unit otherwise (e.g. scanRate_V_s). */
  params: z.record(z.string(), z.number()),
  /** Sample meta-data passed to the station (recipe id, process parameters); strings or numbers. */
  sample: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
});
export type TechniqueRun = z.infer<typeof techniqueRunSchema>;

export const conditionsSchema = strictObject({
  electrolyte: z.string(),
  pH: z.number(),
  temperature: z.number(),
  area: z.number().positive(),
  referenceElectrode: z.string(),
  /** Offset of the reference electrode vs RHE at this pH, V: E_RHE = E_ref + offset. */
  referenceOffset_V_RHE: z.number(),
  /** Uncompensated resistance reported by the instrument (if measured), Ω. */
  uncompensatedResistance: z.number().nonnegative().optional(),
});
export type Conditions = z.infer<typeof conditionsSchema>;

/** One technique segment of a result: columnar arrays in SI units named in the key. */
export const curveSchema = strictObject({
  technique: techniqueSchema,
  arrays: z.record(z.string(), z.array(z.number()).max(MAX_CURVE_POINTS)),
  params: z.record(z.string(), z.number()).default({}),
});
export type Curve = z.infer<typeof curveSchema>;

export const echemResultSchema = strictObject({
  schema: z.literal('sdl.result.echem.v1').default('sdl.result.echem.v1'),
  runId: z.string(),
  commandId: z.string(),
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  conditions: conditionsSchema,
  curves: z.array(curveSchema).max(64),
  /** Flags raised by the instrument itself (overload, truncated). */
  instrumentFlags: z.array(z.string()).default([]),
  duration_s: z.number().nonnegative(),
  failure: failureSchema.optional(),
});
export type EchemResult = z.infer<typeof echemResultSchema>;
