import {
  DeviceError,
  conditionsSchema,
  failureCodeSchema,
  makeFailure,
  techniqueSchema,
  type Conditions,
  type Curve,
  type EchemResult,
  type TechniqueRun,
} from '../../src/domain/index.ts';
import { isResultValue, type LadsResult, type LadsResultValue, type LadsValueTree } from '../lads/lads-model.ts';
import type { PlainValue } from '../lads/lads-values.ts';
import { CONDITION_VARIABLES, RESULT_NAMES, SEGMENT_NAME, parseResultJson } from './node-map.ts';
import { defaultSegmentTechnique, type EchemLadsMapping } from './program-mapping.ts';

export interface RunContext {
  run: TechniqueRun;
  runId: string;
  commandId: string;
  /** The unit's state after the run (Aborted → cancelled). */
  finalState: string;
}

/**
 * An EchemResult from a LADS result, in the format the stations file asks for: labloop's JSON (a variable of the
 * VariableSet, or a JSON file of the FileSet) or the typed arrays of the VariableSet (segments as nested objects or
 * the arrays at the top level, renamed through `results.arrays`), with conditions from the result's Conditions object
 * over `results.conditions` over what the run itself says (area, electrolyte, pH).
 */
export function echemResultFromLads(r: LadsResult, ctx: RunContext, mapping: EchemLadsMapping): EchemResult {
  const format = mapping.results.format;
  if (format !== 'arrays') {
    const json = jsonOf(r);
    if (json !== undefined) return parseResultJson(json);
    if (format === 'labloop-json') throw DeviceError.of('INTERNAL', `result ${r.name} carries no labloop JSON (${RESULT_NAMES.json} variable or application/json file)`);
  }
  return fromArrays(r, ctx, mapping);
}

function jsonOf(r: LadsResult): string | undefined {
  const v = r.variables[RESULT_NAMES.json];
  if (isResultValue(v) && typeof v.value === 'string' && v.value.length > 0) return v.value;
  const file = r.files.find((f) => f.text !== undefined && (f.mimeType === 'application/json' || f.name.endsWith('.json')) && f.text.includes('sdl.result.echem.v1'));
  return file?.text;
}

const numbers = (v: PlainValue | undefined): number[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined);

function fromArrays(r: LadsResult, ctx: RunContext, mapping: EchemLadsMapping): EchemResult {
  const rename = (name: string): string => mapping.results.arrays[name] ?? name;
  const arraysIn = (tree: LadsValueTree): Record<string, number[]> => {
    const out: Record<string, number[]> = {};
    for (const [name, v] of Object.entries(tree)) {
      const a = isResultValue(v) ? numbers(v.value) : undefined;
      if (a) out[rename(name)] = a;
    }
    return out;
  };
  const segments: { order: number; technique: string; tree: LadsValueTree }[] = [];
  for (const [name, v] of Object.entries(r.variables)) {
    if (isResultValue(v) || name === RESULT_NAMES.conditions) continue;
    if (Object.keys(arraysIn(v)).length === 0) continue;
    const m = SEGMENT_NAME.exec(name);
    const t = v[RESULT_NAMES.technique];
    const technique = isResultValue(t) && typeof t.value === 'string' ? t.value : (m?.[2] ?? defaultSegmentTechnique(ctx.run, mapping));
    segments.push({ order: m ? Number(m[1]) : segments.length + 1000, technique, tree: v });
  }
  const curves: Curve[] = [];
  if (segments.length > 0) {
    for (const s of segments.sort((a, b) => a.order - b.order)) curves.push(curve(s.technique, arraysIn(s.tree), s.tree[RESULT_NAMES.segmentParameters]));
  } else {
    const top = arraysIn(r.variables);
    if (Object.keys(top).length > 0) curves.push(curve(defaultSegmentTechnique(ctx.run, mapping), top, undefined));
  }
  const status = statusOf(r.variables[RESULT_NAMES.status], ctx.finalState);
  const code = failureCodeSchema.safeParse(valueOf(r.variables[RESULT_NAMES.failureCode]));
  const message = valueOf(r.variables[RESULT_NAMES.failureMessage]);
  const failure =
    status === 'succeeded' ? undefined : code.success ? makeFailure(code.data, typeof message === 'string' ? message : code.data) : makeFailure(status === 'cancelled' ? 'ABORTED' : 'INTERNAL', `run ${ctx.runId} ${status}`);
  const flags = valueOf(r.variables[RESULT_NAMES.instrumentFlags]);
  const duration = valueOf(r.variables[RESULT_NAMES.duration]);
  const elapsed = r.started && r.stopped ? (Date.parse(r.stopped) - Date.parse(r.started)) / 1000 : 0;
  return {
    schema: 'sdl.result.echem.v1',
    runId: r.runId ?? ctx.runId,
    commandId: r.jobId ?? ctx.commandId,
    status,
    conditions: conditionsOf(r, ctx, mapping),
    curves,
    instrumentFlags: Array.isArray(flags) ? flags.filter((f): f is string => typeof f === 'string') : [],
    duration_s: typeof duration === 'number' && duration >= 0 ? duration : Math.max(0, elapsed),
    ...(failure ? { failure } : {}),
  };
}

function curve(technique: string, arrays: Record<string, number[]>, params: LadsResultValue | LadsValueTree | undefined): Curve {
  const t = techniqueSchema.safeParse(technique);
  if (!t.success) throw DeviceError.of('INTERNAL', `result segment technique "${technique}" is not one of ${techniqueSchema.options.join(', ')}`);
  const p: Record<string, number> = {};
  if (params && !isResultValue(params)) for (const [k, v] of Object.entries(params)) if (isResultValue(v) && typeof v.value === 'number') p[k] = v.value;
  return { technique: t.data, arrays, params: p };
}

function valueOf(v: LadsResultValue | LadsValueTree | undefined): PlainValue | undefined {
  return isResultValue(v) ? v.value : undefined;
}

function statusOf(v: LadsResultValue | LadsValueTree | undefined, finalState: string): EchemResult['status'] {
  const s = valueOf(v);
  if (s === 'succeeded' || s === 'failed' || s === 'cancelled') return s;
  return finalState === 'Aborted' ? 'cancelled' : 'succeeded';
}

function conditionsOf(r: LadsResult, ctx: RunContext, mapping: EchemLadsMapping): Conditions {
  const fromRun: Partial<Conditions> = {};
  const area = ctx.run.params['area'];
  if (typeof area === 'number') fromRun.area = area;
  const { electrolyte, pH } = ctx.run.sample;
  if (typeof electrolyte === 'string') fromRun.electrolyte = electrolyte;
  if (typeof pH === 'number') fromRun.pH = pH;
  const fromResult: Record<string, unknown> = {};
  const tree = r.variables[RESULT_NAMES.conditions];
  if (tree && !isResultValue(tree))
    for (const [name, [key]] of Object.entries(CONDITION_VARIABLES)) {
      const v = valueOf(tree[name]);
      if (v !== undefined && v !== null) fromResult[key] = v;
    }
  const merged = { ...fromRun, ...mapping.results.conditions, ...fromResult };
  const parsed = conditionsSchema.safeParse(merged);
  if (!parsed.success)
    throw DeviceError.of(
      'INTERNAL',
      `result ${r.name} lacks measurement conditions (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}); give them in the stations file under echem.results.conditions`,
    );
  return parsed.data;
}
