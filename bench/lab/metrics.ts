import type { Recipe } from '../../src/domain/index.ts';

/**
 * Metrics of one dry run judged by the simulator's noise-free truth (issue 11, "a lab benchmark with ground truth").
 * Values are η10 in V, lower is better. A trial is *spent* when it was dispatched to a station (completed, failed or
 * abandoned); recipes the safety gate blocked cost no trial. Failed trials count as spent but never as a hit: only a
 * completed trial tells the campaign what its recipe is worth.
 */
export interface LabTrialRecord {
  /** Campaign index (dispatch order). */
  index: number;
  status: string;
  recipe: Recipe;
  /** Measured value of the objective (completed trials). */
  measured: number | null;
  /** Noise-free η10 of the recipe, V. */
  truth: number;
  /** Chemistry failure the landscape gives this recipe, if any. */
  truthFailure?: string;
  proposer: string;
  failureCode: string | null;
  station: string | null;
  attempts: number;
  /** The surrogate's prediction at proposal time (mean ± sd), when the proposer had a model. */
  predicted?: { mean: number; sd: number };
  /** Quality flags the campaign gave the trial (e.g. electrolyte_contamination). */
  flags?: string[];
}

const SPENT = new Set(['completed', 'failed', 'abandoned']);

export function spentTrials(trials: readonly LabTrialRecord[]): LabTrialRecord[] {
  return trials.filter((t) => SPENT.has(t.status)).sort((a, b) => a.index - b.index);
}

/** Best true value among completed trials after each spent trial (entry k−1 after k trials); null before the first. */
export function bestTrueCurve(spent: readonly LabTrialRecord[]): (number | null)[] {
  let best: number | null = null;
  return spent.map((t) => {
    if (t.status === 'completed' && Number.isFinite(t.truth) && (best === null || t.truth < best)) best = t.truth;
    return best;
  });
}

/** Spent trials until a completed trial's true value came within `tolerance` of `optimum` (1-based), or null. */
export function trialsToWithin(spent: readonly LabTrialRecord[], optimum: number, tolerance: number): number | null {
  const i = spent.findIndex((t) => t.status === 'completed' && t.truth <= optimum + tolerance + 1e-12);
  return i < 0 ? null : i + 1;
}

/** Best true value after `k` spent trials (the last value when the run spent fewer), or null when none completed. */
export function bestTrueAfter(curve: readonly (number | null)[], k: number): number | null {
  if (curve.length === 0) return null;
  return curve[Math.min(k, curve.length) - 1] ?? null;
}

/** Failed and abandoned trials by failure code. */
export function failuresByCode(spent: readonly LabTrialRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of spent) if (t.status !== 'completed') out[t.failureCode ?? 'UNKNOWN'] = (out[t.failureCode ?? 'UNKNOWN'] ?? 0) + 1;
  return out;
}

/** One model prediction judged against the truth. */
export interface CalibrationPoint {
  mean: number;
  sd: number;
  truth: number;
  kind: 'uniform' | 'near';
}

export interface Calibration {
  n: number;
  /** Fraction of truths inside mean ± 1.96·sd. */
  coverage95: number;
  /** Mean log density of the truth under N(mean, sd²) (natural log; higher is better). */
  meanLogScore: number;
  /** Root-mean-square error of the mean, V. */
  rmse: number;
  /** Median predicted sd, V. */
  medianSd: number;
}

const Z95 = 1.959964;

/**
 * Calibration of a model's latent predictions against the noise-free truth. sd is floored at 1e-9 so an
 * interpolating model's zero variance scores as the overconfidence it is rather than as NaN.
 */
export function calibration(points: readonly CalibrationPoint[]): Calibration {
  const n = points.length;
  if (n === 0) return { n: 0, coverage95: NaN, meanLogScore: NaN, rmse: NaN, medianSd: NaN };
  let inside = 0;
  let logScore = 0;
  let sse = 0;
  for (const p of points) {
    const sd = Math.max(1e-9, p.sd);
    const z = (p.truth - p.mean) / sd;
    if (Math.abs(z) <= Z95) inside++;
    logScore += -0.5 * z * z - Math.log(sd) - 0.5 * Math.log(2 * Math.PI);
    sse += (p.truth - p.mean) ** 2;
  }
  const sds = points.map((p) => p.sd).sort((a, b) => a - b);
  const mid = (n - 1) / 2;
  const medianSd = ((sds[Math.floor(mid)] as number) + (sds[Math.ceil(mid)] as number)) / 2;
  return { n, coverage95: inside / n, meanLogScore: logScore / n, rmse: Math.sqrt(sse / n), medianSd };
}

/** A station's share of the work: runs on it (retries included) and the fraction of the campaign's time it was busy. */
export interface StationUse {
  station: string;
  runs: number;
  busyFraction: number;
}

/** Utilisation per station from its runs' durations (virtual seconds) over the campaign's virtual duration. */
export function stationUtilisation(runs: readonly { station: string; duration_s: number }[], stations: readonly string[], campaignSeconds: number): StationUse[] {
  return stations.map((station) => {
    const mine = runs.filter((r) => r.station === station);
    const busy = mine.reduce((s, r) => s + r.duration_s, 0);
    return { station, runs: mine.length, busyFraction: campaignSeconds > 0 ? busy / campaignSeconds : 0 };
  });
}
