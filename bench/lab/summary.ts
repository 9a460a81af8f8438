import { bootstrapCi, median, quantile } from '../harness/metrics.ts';
import type { LabRunResult } from './run-task.ts';

/** Aggregates of the lab benchmark: per arm (and landscape seed) over seeds, and paired comparisons between arms. */

const mV = (v: number): number => v * 1000;
const finite = (xs: readonly (number | null | undefined)[]): number[] => xs.filter((x): x is number => x !== null && x !== undefined && Number.isFinite(x));
const med = (xs: readonly (number | null | undefined)[]): number | null => {
  const f = finite(xs);
  return f.length > 0 ? median(f) : null;
};

export interface ArmSummary {
  arm: string;
  landscapeSeed: number;
  runs: number;
  hits15: number;
  hits30: number;
  /** Median spent trials to within 15 / 30 mV (runs that never got there count as +∞); null when the median is censored. */
  medianTrialsTo15: number | null;
  medianTrialsTo30: number | null;
  /** Regret (best true − optimum) after each checkpoint, mV: median and 5–95 % over runs. */
  regretAt: Record<string, { median: number | null; p5: number | null; p95: number | null }>;
  /** Median best true value at the end, V. */
  medianBestTrue: number | null;
  /**
   * The reported best (best-confirmed when the campaign estimated one): median true regret, mV; median gap (its true
   * η10 − the best true η10 measured), mV; runs within 10 mV of it; the fraction of runs whose reported value's 95 % CI
   * holds its true η10 (runs with a CI only).
   */
  reported: { medianRegret: number | null; medianGapToBestTrue: number | null; within10: number; n: number; kind: string | null; ciCoverage: number | null; ciRuns: number; medianConfirmationTrials: number | null };
  /** The same for the best single reading (best-observed), beside it. */
  observed: { medianRegret: number | null; medianGapToBestTrue: number | null; within10: number; n: number; kind: string | null };
  calibration: { coverage95: number | null; meanLogScore: number | null; rmse_mV: number | null; nearCoverage95: number | null; nearRmse_mV: number | null; runs: number };
  /** Failed or abandoned trials: median share of spent trials, and totals by code over all runs. */
  failureShare: number | null;
  failures: Record<string, number>;
  /** Runs with at least one batch-shift alarm, and trials those alarms flagged. */
  batchShift: { runsWithAlarm: number; alarms: number; flaggedTrials: number };
  /** Median over runs of the least and the most busy station's busy fraction. */
  utilisation: { minBusy: number | null; maxBusy: number | null };
  /** Runs that did not end `completed`. */
  notCompleted: number;
  wallSeconds: { median: number | null; total: number };
}

function censoredMedian(xs: readonly (number | null)[]): number | null {
  if (xs.length === 0) return null;
  const m = median(xs.map((x) => (x === null ? Infinity : x)));
  return Number.isFinite(m) ? m : null;
}

export function summariseArm(arm: string, landscapeSeed: number, runs: readonly LabRunResult[], checkpoints: readonly number[]): ArmSummary {
  const failures: Record<string, number> = {};
  for (const r of runs) for (const [code, n] of Object.entries(r.failures)) failures[code] = (failures[code] ?? 0) + n;
  const regretAt: ArmSummary['regretAt'] = {};
  for (const k of checkpoints) {
    const rs = finite(runs.map((r) => r.bestTrueAt[String(k)]).map((v, i) => (v === null || v === undefined ? null : mV(v - (runs[i] as LabRunResult).optimum))));
    regretAt[String(k)] = rs.length > 0 ? { median: median(rs), p5: quantile(rs, 0.05), p95: quantile(rs, 0.95) } : { median: null, p5: null, p95: null };
  }
  const judge = (pick: (r: LabRunResult) => LabRunResult['reportedBest']) => {
    const withBest = runs.filter((r) => pick(r) !== null && pick(r) !== undefined);
    const gaps = withBest.map((r) => (r.bestTrue === null ? null : mV((pick(r)?.truth ?? NaN) - r.bestTrue)));
    return {
      medianRegret: med(withBest.map((r) => mV(pick(r)?.regret ?? NaN))),
      medianGapToBestTrue: med(gaps),
      within10: finite(gaps).filter((g) => g <= 10 + 1e-9).length,
      n: withBest.length,
      kind: withBest[0] ? (pick(withBest[0] as LabRunResult)?.kind ?? null) : null,
    };
  };
  const withCi = runs.flatMap((r) => (r.reportedBest?.ci95 ? [{ ci: r.reportedBest.ci95, truth: r.reportedBest.truth }] : []));
  const cal = runs.flatMap((r) => (r.calibration ? [r.calibration] : []));
  const busy = runs.filter((r) => r.stations.length > 0);
  return {
    arm,
    landscapeSeed,
    runs: runs.length,
    hits15: runs.filter((r) => r.trialsTo15 !== null).length,
    hits30: runs.filter((r) => r.trialsTo30 !== null).length,
    medianTrialsTo15: censoredMedian(runs.map((r) => r.trialsTo15)),
    medianTrialsTo30: censoredMedian(runs.map((r) => r.trialsTo30)),
    regretAt,
    medianBestTrue: med(runs.map((r) => r.bestTrue)),
    reported: {
      ...judge((r) => r.reportedBest),
      ciCoverage: withCi.length > 0 ? withCi.filter((c) => c.truth >= c.ci[0] && c.truth <= c.ci[1]).length / withCi.length : null,
      ciRuns: withCi.length,
      medianConfirmationTrials: med(runs.map((r) => r.confirmationTrials ?? 0)),
    },
    // Results written before ADR 0060 have no observedBest: their reported best was the best reading.
    observed: judge((r) => r.observedBest ?? (r.reportedBest?.kind === 'best-observed' ? r.reportedBest : null)),
    calibration: {
      coverage95: med(cal.map((c) => c.all.coverage95)),
      meanLogScore: med(cal.map((c) => c.all.meanLogScore)),
      rmse_mV: med(cal.map((c) => mV(c.all.rmse))),
      nearCoverage95: med(cal.map((c) => c.near.coverage95)),
      nearRmse_mV: med(cal.map((c) => mV(c.near.rmse))),
      runs: cal.length,
    },
    failureShare: med(runs.map((r) => (r.spent > 0 ? r.failed / r.spent : null))),
    failures,
    batchShift: {
      runsWithAlarm: runs.filter((r) => r.batchShift.alarms > 0).length,
      alarms: runs.reduce((s, r) => s + r.batchShift.alarms, 0),
      flaggedTrials: runs.reduce((s, r) => s + r.batchShift.flaggedTrials, 0),
    },
    utilisation: {
      minBusy: med(busy.map((r) => Math.min(...r.stations.map((s) => s.busyFraction)))),
      maxBusy: med(busy.map((r) => Math.max(...r.stations.map((s) => s.busyFraction)))),
    },
    notCompleted: runs.filter((r) => r.state !== 'completed').length,
    wallSeconds: { median: med(runs.map((r) => r.wallSeconds)), total: runs.reduce((s, r) => s + r.wallSeconds, 0) },
  };
}

/** A paired difference (arm − baseline) over seeds: median with a bootstrap CI, and who won how often. */
export interface PairedDifference {
  metric: string;
  unit: string;
  pairs: number;
  median: number | null;
  ci: [number, number] | null;
  /** Seeds where the arm is better (lower), worse, or equal. */
  wins: number;
  losses: number;
  ties: number;
}

export interface PairedComparison {
  arm: string;
  baseline: string;
  landscapeSeed: number;
  differences: PairedDifference[];
  /** Runs within 15 mV of the optimum: arm vs baseline, out of `pairs`. */
  hits15: { arm: number; baseline: number; pairs: number };
}

/** Per-seed values of a metric where lower is better, for arm and baseline; null where a run lacks it. */
function paired(metric: string, unit: string, a: readonly (number | null)[], b: readonly (number | null)[]): PairedDifference {
  const diffs: number[] = [];
  let wins = 0;
  let losses = 0;
  let ties = 0;
  a.forEach((x, i) => {
    const y = b[i];
    if (x === null || y === null || y === undefined) return;
    const d = x - y;
    diffs.push(d);
    if (Math.abs(d) < 1e-9) ties++;
    else if (d < 0) wins++;
    else losses++;
  });
  return {
    metric,
    unit,
    pairs: diffs.length,
    median: diffs.length > 0 ? median(diffs) : null,
    ci: diffs.length > 1 ? bootstrapCi(diffs, (s) => median(s), { seed: 11 }) : null,
    wins,
    losses,
    ties,
  };
}

/**
 * Compares `arm` with `baseline` on the seeds both ran (same landscape seed and seed = the same lab and the same
 * random streams): final best true value, best true after the middle checkpoint, the reported best's true value (mV),
 * and spent trials to within 15 mV (a run that never got there counts as budget + 1).
 */
export function compareArms(arm: readonly LabRunResult[], baseline: readonly LabRunResult[], checkpoints: readonly number[]): Omit<PairedComparison, 'arm' | 'baseline' | 'landscapeSeed'> {
  const bySeed = new Map(baseline.map((r) => [r.seed, r]));
  const pairs = arm.flatMap((r) => {
    const b = bySeed.get(r.seed);
    return b ? [{ a: r, b }] : [];
  });
  const v = (f: (r: LabRunResult) => number | null): [(number | null)[], (number | null)[]] => [pairs.map((p) => f(p.a)), pairs.map((p) => f(p.b))];
  const toMv = (x: number | null): number | null => (x === null ? null : mV(x));
  const mid = checkpoints[Math.floor((checkpoints.length - 1) / 2)];
  const diffs = [
    paired('best true at the end', 'mV', ...v((r) => toMv(r.bestTrue))),
    ...(mid !== undefined && mid !== checkpoints.at(-1) ? [paired(`best true after ${mid}`, 'mV', ...v((r) => toMv(r.bestTrueAt[String(mid)] ?? null)))] : []),
    paired('true value of the reported best', 'mV', ...v((r) => toMv(r.reportedBest?.truth ?? null))),
    paired('reported best − best true measured', 'mV', ...v((r) => (r.reportedBest && r.bestTrue !== null ? mV(r.reportedBest.truth - r.bestTrue) : null))),
    paired('trials to 15 mV', 'trials', ...v((r) => r.trialsTo15 ?? r.budget + 1)),
  ];
  return {
    differences: diffs,
    hits15: { arm: pairs.filter((p) => p.a.trialsTo15 !== null).length, baseline: pairs.filter((p) => p.b.trialsTo15 !== null).length, pairs: pairs.length },
  };
}

/** Pointwise median and 5–95 % band of the regret curves (mV) of some runs, over spent trials 1…length. */
export function regretBand(runs: readonly LabRunResult[], length: number): { x: number; median: number; p5: number; p95: number }[] {
  const out: { x: number; median: number; p5: number; p95: number }[] = [];
  for (let k = 1; k <= length; k++) {
    const col = finite(runs.map((r) => {
      const v = r.curve[Math.min(k, r.curve.length) - 1];
      return v === null || v === undefined ? null : mV(v - r.optimum);
    }));
    // Until every run has a completed trial the band would describe a subset: start when all runs have a value.
    if (col.length < runs.length || col.length === 0) continue;
    out.push({ x: k, median: median(col), p5: quantile(col, 0.05), p95: quantile(col, 0.95) });
  }
  return out;
}
