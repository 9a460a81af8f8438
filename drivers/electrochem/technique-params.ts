import { closestName, type Technique, type TechniqueRun } from '../../src/domain/index.ts';

/**
 * Wire contract of the electrochemical station's technique parameters, shared by the OPC UA backend, the OPC UA twin
 * and the in-process simulator. Default units of src/domain/units.ts, potentials vs RHE.
 *
 * Canonical names carry the segment they configure (`lsvScanRate_V_s`, `cvCycles`, ...), so one flat set configures
 * every step of the composite `OER_Screen_v1` (OCP → CV → PEIS → LSV → optional CP). Each technique also accepts the
 * generic names of its own main segment (`TECHNIQUE_ALIASES`): for LSV and OER_Screen_v1 `start_V_RHE`, `end_V_RHE`,
 * `scanRate_V_s`, `step_V` mean the LSV's; for CV they mean the CV's (plus `vertex_V_RHE`, `cycles`); and so on.
 */
export interface ParamSpec {
  min: number;
  max: number;
  default: number;
  description: string;
  /** Unit symbol (`1` for a count or a flag); potentials named `_V_RHE` are vs RHE. */
  unit: string;
  integer?: boolean;
}

export const TECHNIQUE_PARAMS = {
  area: { min: 0.001, max: 10, default: 0.0707, unit: 'cm²', description: 'geometric electrode area, cm²' },
  currentLimit_A: { min: 1e-6, max: 1, default: 0.1, unit: 'A', description: 'current compliance; readings above it are clipped (overload), A' },
  targetCurrentDensity: { min: 0.01, max: 1000, default: 10, unit: 'mA/cm²', description: 'current density the analysis reports η at, mA/cm² (recorded, not used by the station)' },
  sampleInterval: { min: 0.01, max: 600, default: 1, unit: 's', description: 'sampling interval of OCP/CA/CP, s' },
  ocpDuration: { min: 1, max: 86_400, default: 60, unit: 's', description: 'OCP duration, s' },
  cvStart_V_RHE: { min: -2, max: 3, default: 1.0, unit: 'V', description: 'CV start and end potential, V vs RHE' },
  cvVertex_V_RHE: { min: -2, max: 3, default: 1.55, unit: 'V', description: 'CV vertex potential, V vs RHE' },
  cvScanRate_V_s: { min: 1e-5, max: 10, default: 0.05, unit: 'V/s', description: 'CV scan rate, V/s' },
  cvStep_V: { min: 1e-4, max: 0.05, default: 0.005, unit: 'V', description: 'CV potential step, V' },
  cvCycles: { min: 1, max: 100, default: 5, integer: true, unit: '1', description: 'conditioning cycles' },
  lsvStart_V_RHE: { min: -2, max: 3, default: 1.0, unit: 'V', description: 'LSV start potential, V vs RHE' },
  lsvEnd_V_RHE: { min: -2, max: 3, default: 1.8, unit: 'V', description: 'LSV end potential, V vs RHE' },
  lsvScanRate_V_s: { min: 1e-5, max: 10, default: 0.005, unit: 'V/s', description: 'LSV scan rate, V/s' },
  lsvStep_V: { min: 1e-4, max: 0.05, default: 0.001, unit: 'V', description: 'LSV potential step, V' },
  eisBias_V_RHE: { min: -2, max: 3, default: 1.5, unit: 'V', description: 'PEIS DC bias, V vs RHE' },
  eisFreqHigh_Hz: { min: 0.01, max: 1e6, default: 1e5, unit: 'Hz', description: 'PEIS highest frequency, Hz' },
  eisFreqLow_Hz: { min: 1e-3, max: 1e5, default: 0.1, unit: 'Hz', description: 'PEIS lowest frequency, Hz' },
  eisPointsPerDecade: { min: 1, max: 50, default: 10, integer: true, unit: '1', description: 'PEIS points per decade' },
  eisAmplitude_V: { min: 1e-4, max: 0.1, default: 0.01, unit: 'V', description: 'PEIS amplitude, V rms' },
  caPotential_V_RHE: { min: -2, max: 3, default: 1.6, unit: 'V', description: 'CA potential, V vs RHE' },
  caDuration: { min: 1, max: 86_400, default: 60, unit: 's', description: 'CA duration, s' },
  cpCurrentDensity: { min: -1000, max: 1000, default: 10, unit: 'mA/cm²', description: 'CP current density, mA/cm²' },
  cpDuration: { min: 1, max: 86_400, default: 600, unit: 's', description: 'CP duration, s' },
  withOcp: { min: 0, max: 1, default: 1, integer: true, unit: '1', description: 'OER_Screen_v1: run the OCP step (0/1)' },
  withCv: { min: 0, max: 1, default: 1, integer: true, unit: '1', description: 'OER_Screen_v1: run the CV conditioning (0/1)' },
  withEis: { min: 0, max: 1, default: 1, integer: true, unit: '1', description: 'OER_Screen_v1: run PEIS (0/1)' },
  withCp: { min: 0, max: 1, default: 0, integer: true, unit: '1', description: 'OER_Screen_v1: run a CP stability hold (0/1)' },
  depositionCharge_mC_cm2: { min: 0, max: 1000, default: 30, unit: 'mC/cm²', description: 'film deposition charge (sample process parameter), mC/cm²' },
  annealTemperature: { min: -50, max: 1200, default: 25, unit: '°C', description: 'film anneal temperature (sample process parameter), °C' },
} as const satisfies Record<string, ParamSpec>;

export type TechniqueParamName = keyof typeof TECHNIQUE_PARAMS;
export type ResolvedParams = Record<TechniqueParamName, number>;

/** Largest number of points one segment may produce. */
export const MAX_SEGMENT_POINTS = 200_000;

const LSV_ALIASES = { start_V_RHE: 'lsvStart_V_RHE', end_V_RHE: 'lsvEnd_V_RHE', scanRate_V_s: 'lsvScanRate_V_s', step_V: 'lsvStep_V' } as const;

/** Generic names each technique accepts for its own main segment → canonical name. */
export const TECHNIQUE_ALIASES: Record<Technique, Readonly<Record<string, TechniqueParamName>>> = {
  OER_Screen_v1: LSV_ALIASES,
  LSV: LSV_ALIASES,
  CV: { start_V_RHE: 'cvStart_V_RHE', vertex_V_RHE: 'cvVertex_V_RHE', scanRate_V_s: 'cvScanRate_V_s', step_V: 'cvStep_V', cycles: 'cvCycles' },
  OCP: { duration: 'ocpDuration' },
  CA: { potential_V_RHE: 'caPotential_V_RHE', duration: 'caDuration' },
  CP: { currentDensity: 'cpCurrentDensity', duration: 'cpDuration' },
  PEIS: {
    bias_V_RHE: 'eisBias_V_RHE',
    freqHigh_Hz: 'eisFreqHigh_Hz',
    freqLow_Hz: 'eisFreqLow_Hz',
    pointsPerDecade: 'eisPointsPerDecade',
    amplitude_V: 'eisAmplitude_V',
  },
};

const COMMON: readonly TechniqueParamName[] = ['area', 'currentLimit_A', 'targetCurrentDensity', 'depositionCharge_mC_cm2', 'annealTemperature'];

/**
 * The canonical parameters that shape each technique (what a program template declares). Every technique accepts
 * all canonical names; the others simply do not change what it measures.
 */
export const TEMPLATE_PARAMS: Record<Technique, readonly TechniqueParamName[]> = {
  OCP: ['ocpDuration', 'sampleInterval', ...COMMON],
  CV: ['cvStart_V_RHE', 'cvVertex_V_RHE', 'cvScanRate_V_s', 'cvStep_V', 'cvCycles', ...COMMON],
  LSV: ['lsvStart_V_RHE', 'lsvEnd_V_RHE', 'lsvScanRate_V_s', 'lsvStep_V', ...COMMON],
  CA: ['caPotential_V_RHE', 'caDuration', 'sampleInterval', ...COMMON],
  CP: ['cpCurrentDensity', 'cpDuration', 'sampleInterval', ...COMMON],
  PEIS: ['eisBias_V_RHE', 'eisFreqHigh_Hz', 'eisFreqLow_Hz', 'eisPointsPerDecade', 'eisAmplitude_V', ...COMMON],
  OER_Screen_v1: Object.keys(TECHNIQUE_PARAMS) as TechniqueParamName[],
};

/** The run's params under canonical names (aliases translated), plus the names that are neither. */
export function canonicalParams(run: Pick<TechniqueRun, 'technique' | 'params'>): { params: Partial<ResolvedParams>; unknown: string[]; conflicts: string[] } {
  const aliases = TECHNIQUE_ALIASES[run.technique];
  const params: Partial<ResolvedParams> = {};
  const unknown: string[] = [];
  const conflicts: string[] = [];
  for (const [key, value] of Object.entries(run.params)) {
    const name = key in TECHNIQUE_PARAMS ? (key as TechniqueParamName) : aliases[key];
    if (!name) {
      unknown.push(key);
      continue;
    }
    if (params[name] !== undefined && params[name] !== value) conflicts.push(`${key} conflicts with ${name}`);
    params[name] = value;
  }
  return { params, unknown, conflicts };
}

/** Every problem with a run's parameters (empty when the instrument accepts them). */
export function checkTechniqueParams(run: Pick<TechniqueRun, 'technique' | 'params'>): string[] {
  const issues: string[] = [];
  const { params, unknown, conflicts } = canonicalParams(run);
  const known = [...Object.keys(TECHNIQUE_PARAMS), ...Object.keys(TECHNIQUE_ALIASES[run.technique])];
  for (const key of unknown) {
    const guess = closestName(key, known);
    issues.push(`unknown parameter "${key.slice(0, 64)}" for ${run.technique}${guess ? ` (did you mean ${guess}?)` : ''}`);
  }
  issues.push(...conflicts);
  for (const [key, value] of Object.entries(params)) {
    const spec = (TECHNIQUE_PARAMS as Record<string, ParamSpec>)[key];
    if (!spec) continue;
    if (!Number.isFinite(value)) issues.push(`${key} is not a finite number`);
    else if (value < spec.min || value > spec.max) issues.push(`${key} = ${value} outside the instrument's limits [${spec.min}, ${spec.max}]`);
    else if (spec.integer && !Number.isInteger(value)) issues.push(`${key} = ${value} must be an integer`);
  }
  if (issues.length > 0) return issues;
  const p = resolveTechniqueParams(run);
  if (p.eisFreqHigh_Hz <= p.eisFreqLow_Hz) issues.push('eisFreqHigh_Hz must be above eisFreqLow_Hz');
  if (Math.abs(p.lsvEnd_V_RHE - p.lsvStart_V_RHE) / p.lsvStep_V > MAX_SEGMENT_POINTS) issues.push('LSV would exceed the point budget');
  if ((2 * p.cvCycles * Math.abs(p.cvVertex_V_RHE - p.cvStart_V_RHE)) / p.cvStep_V > MAX_SEGMENT_POINTS) issues.push('CV would exceed the point budget');
  for (const d of ['ocpDuration', 'caDuration', 'cpDuration'] as const)
    if (p[d] / p.sampleInterval > MAX_SEGMENT_POINTS) issues.push(`${d}/sampleInterval would exceed the point budget`);
  if (Math.abs(p.cpCurrentDensity / 1000) * p.area > p.currentLimit_A) issues.push('cpCurrentDensity × area exceeds currentLimit_A');
  return issues;
}

/** Parameters with defaults filled in. Call after `checkTechniqueParams` returned no issues. */
export function resolveTechniqueParams(run: Pick<TechniqueRun, 'technique' | 'params'>, sample: TechniqueRun['sample'] = {}): ResolvedParams {
  const out = {} as ResolvedParams;
  const { params } = canonicalParams(run);
  for (const [key, spec] of Object.entries(TECHNIQUE_PARAMS) as [TechniqueParamName, ParamSpec][]) {
    const given = params[key];
    const fromSample = sample[key];
    out[key] = typeof given === 'number' ? given : typeof fromSample === 'number' ? fromSample : spec.default;
  }
  return out;
}

/** The technique segments a run produces, in order. */
export function techniqueSegments(technique: Technique, p: ResolvedParams): Exclude<Technique, 'OER_Screen_v1'>[] {
  if (technique !== 'OER_Screen_v1') return [technique];
  const segs: Exclude<Technique, 'OER_Screen_v1'>[] = [];
  if (p.withOcp) segs.push('OCP');
  if (p.withCv) segs.push('CV');
  if (p.withEis) segs.push('PEIS');
  segs.push('LSV');
  if (p.withCp) segs.push('CP');
  return segs;
}
