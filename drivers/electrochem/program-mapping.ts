import { z } from 'zod';
import { conditionsSchema, techniqueSchema, type Technique, type TechniqueRun } from '../../src/domain/index.ts';
import type { KeyValue, SampleInfo, StartProgramRequest } from '../lads/lads-unit.ts';
import { SAMPLE_PREFIX, encodeProperties } from './node-map.ts';

/**
 * How a campaign's protocol steps (technique runs) map onto a LADS server's program templates, parameters and
 * results; configured per station in the stations file (`echem.programs`, `echem.results`). The defaults are the
 * identity of labloop's own station: template = technique name, keys = labloop's parameter names, results read from
 * the labloop JSON when present, else from typed arrays named like labloop's curve columns.
 */
const parameterTarget = z.union([
  z.string().min(1).max(64),
  z.strictObject({
    /** The server's property key. */
    key: z.string().min(1).max(64),
    /** value sent = value × scale + offset (e.g. V/s → mV/s: scale 1000). */
    scale: z.number().finite().default(1),
    offset: z.number().finite().default(0),
  }),
]);

export const programMappingSchema = z.strictObject({
  /** The server's program template (DeviceTemplateId or browse name). */
  template: z.string().min(1).max(128),
  /** labloop parameter name → the server's key (renamed, optionally scaled). Unlisted parameters keep their name. */
  params: z.record(z.string(), parameterTarget).default({}),
  /** labloop parameters the server does not take: not sent. */
  drop: z.array(z.string()).default([]),
  /** Properties sent with every run of this template (server key → value as the server expects it). */
  fixed: z.record(z.string().min(1).max(64), z.string().max(1024)).default({}),
  /** Send the sample meta-data as `sample.<key>` properties (labloop's station reads them; default true). */
  sampleProperties: z.boolean().default(true),
});
export type ProgramMapping = z.infer<typeof programMappingSchema>;

export const resultMappingSchema = z.strictObject({
  /** auto: labloop JSON when present, else typed arrays; or force one of them. */
  format: z.enum(['auto', 'labloop-json', 'arrays']).default('auto'),
  /** The server's array name → labloop's column (t_s, Ewe_V, I_A, cycle, freq_Hz, Zre_ohm, Zim_ohm). */
  arrays: z.record(z.string(), z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/)).default({}),
  /** Conditions the server's results do not carry (merged under what they do carry). */
  conditions: conditionsSchema.partial().default({}),
  /** Technique of a result whose arrays are not grouped in segments (default: the run's technique; LSV for a composite). */
  segmentTechnique: techniqueSchema.exclude(['OER_Screen_v1']).optional(),
});
export type ResultMapping = z.infer<typeof resultMappingSchema>;

export const echemLadsMappingSchema = z.strictObject({
  programs: z.partialRecord(techniqueSchema, programMappingSchema).default({}),
  results: resultMappingSchema.default(resultMappingSchema.parse({})),
});
export type EchemLadsMapping = z.infer<typeof echemLadsMappingSchema>;

export const defaultMapping = (): EchemLadsMapping => echemLadsMappingSchema.parse({});

/** The StartProgram request of one technique run (SupervisoryJobId = commandId, SupervisoryTaskId = the trial). */
export function startRequestOf(run: TechniqueRun, commandId: string, mapping: EchemLadsMapping): StartProgramRequest {
  const m: ProgramMapping = mapping.programs[run.technique] ?? programMappingSchema.parse({ template: run.technique });
  const drop = new Set(m.drop);
  const properties: KeyValue[] = [];
  for (const kv of encodeProperties({ params: run.params, sample: m.sampleProperties ? run.sample : {} })) {
    if (kv.key.startsWith(SAMPLE_PREFIX)) {
      properties.push(kv);
      continue;
    }
    if (drop.has(kv.key)) continue;
    const target = m.params[kv.key];
    if (target === undefined) properties.push(kv);
    else if (typeof target === 'string') properties.push({ key: target, value: kv.value });
    else properties.push({ key: target.key, value: JSON.stringify((run.params[kv.key] ?? 0) * target.scale + target.offset) });
  }
  for (const [key, value] of Object.entries(m.fixed)) properties.push({ key, value });
  const trial = run.sample['trialId'];
  const taskId = typeof trial === 'string' ? trial : '';
  const samples: SampleInfo[] = [{ containerId: run.cell, sampleId: taskId, position: run.cell, customData: '' }];
  return { templateId: m.template, properties, jobId: commandId, taskId, samples };
}

/** The technique a result segment is, when the server does not say. */
export function defaultSegmentTechnique(run: Pick<TechniqueRun, 'technique'>, mapping: EchemLadsMapping): Exclude<Technique, 'OER_Screen_v1'> {
  return mapping.results.segmentTechnique ?? (run.technique === 'OER_Screen_v1' ? 'LSV' : run.technique);
}
