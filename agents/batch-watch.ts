import { z } from 'zod';
import { DEFAULT_BATCH_SHIFT, detectBatchShift } from '../models/analysis/batch-shift.ts';
import { median } from '../models/analysis/numeric.ts';
import type { Suggestion } from '../src/domain/index.ts';

/** Quality flag of a trial measured in an electrolyte batch found shifted (ADR 0050, "Campaign-side batch check"). */
export const ELECTROLYTE_CONTAMINATION_FLAG = 'electrolyte_contamination';

export const batchWatchOptionsSchema = z.object({
  /** CUSUM allowance, in σ (ADR 0061: 1; ADR 0050 had 0.75). */
  allowance: z.number().positive().default(1),
  /** CUSUM decision threshold, in σ (ADR 0061: 6, for < 5 % false alarms per campaign; ADR 0050 had 4). */
  threshold: z.number().positive().default(6),
  /** Residuals beyond this many σ are clipped. */
  clip: z.number().positive().default(DEFAULT_BATCH_SHIFT.clip),
  /** Lower bound of σ, in the objective's unit (2 mV for η10 in V): a model that fits too well must not make σ ≈ 0. */
  sigmaFloor: z.number().positive().default(0.002),
  /** Successive differences (within stations) needed before σ is trusted and any alarm is raised. */
  minDifferences: z.number().int().min(2).default(6),
  /** Residuals at the start of a station's series whose median is its baseline (no CUSUM before them). */
  baselineTrials: z.number().int().min(1).default(4),
  /**
   * An alarm is the model's, not the batch's, when another station's residuals measured during the stretch moved
   * the same way by at least this fraction of the shift (from that station's own baseline).
   */
  sharedFraction: z.number().positive().default(0.5),
  /** Re-estimate the baseline from every residual before a candidate stretch (else the first `baselineTrials` only). */
  refineBaseline: z.boolean().default(true),
  /**
   * Common mode (ADR 0061): each residual is taken relative to the median of the other stations' latest residuals
   * (this many, measured before it), so the shared surrogate's drift — the main source of false alarms — cancels.
   * 0 = off (default: on recorded campaigns it added noise and alarms on the wrong station, ADR 0061). A residual
   * with fewer than 2 such references is not watched.
   */
  commonModeWindow: z.number().int().nonnegative().default(0),
  /**
   * The smallest shift worth an alarm, objective units (the default suits η10 in V): ordinary electrolyte batch changes
   * and reference drift move a station by ≈ 5–10 mV; a contamination worth quarantining moves it by ≥ 15 mV.
   */
  minShift: z.number().nonnegative().default(0.015),
});
export type BatchWatchOptions = z.infer<typeof batchWatchOptionsSchema>;

/** One completed trial's residual on its station: observed − predicted mean of the watched objective. */
export interface StationResidual {
  trialId: string;
  /** Campaign index of the trial. */
  index: number;
  station: string;
  residual: number;
}

export interface BatchShiftAlarm {
  station: string;
  objective: string;
  /** Mean residual of the stretch above the station's baseline: the batch's shift, objective units. */
  shift: number;
  /** σ of a residual (the CUSUM standardises deviations from the baseline with σ·√(1 + π/2b), b baseline trials). */
  sigma: number;
  /** The station's baseline residual (median of the first residuals of its series). */
  baseline: number;
  /** The shifted stretch in measurement order, up to the trial that raised the alarm. */
  trials: StationResidual[];
}

/** What the watch needs from a completed trial. */
export interface CompletedTrial {
  trialId: string;
  index: number;
  station: string;
  objectives: Readonly<Record<string, number>>;
  predicted?: Suggestion['predicted'];
}

/** Stops a station until an operator releases it (implemented in src/app over the engine). */
export interface StationQuarantine {
  quarantine(stationId: string, reason: string): void;
  /** Returns a station to service after its maintenance (the lab's own electrolyte change; ADR 0061's automatic re-qualification). */
  release?(stationId: string): void;
}

/** A proposer's training data, from which observations can be taken out (agents/curated-agent.ts). */
export interface TrainingData {
  exclude(trialIds: readonly string[]): Promise<void>;
}

/** σ of a residual from within-station successive differences: median |Δr| / (0.6745·√2). */
const DIFF_TO_SIGMA = 1 / (0.6745 * Math.SQRT2);

/**
 * Per-station residual bookkeeping for the batch check (ADR 0050): keeps, per station and in measurement order, the
 * residuals (observed − predicted mean) of one objective, for completed trials that carry a prediction, and runs
 * `detectBatchShift` over each station's series.
 *
 * - Baseline: a station's residuals are compared with the median of the first `baselineTrials` of its series, then
 *   of every residual before a candidate stretch (see `stretch`). The surrogate is shared by every station and
 *   biased (a minimising optimiser's predictions are optimistic), and stations differ by their ordinary batch and
 *   reference offsets (≈ ±15 mV in the simulated lab); a contaminated batch is a *change* of one station's level.
 *   A batch already contaminated when the series starts is part of the baseline and is not found.
 * - σ: from the successive differences of each station's residuals, median |Δr| / (0.6745·√2), raised by 1/√n for
 *   n differences and floored. It measures model error + measurement noise and is blind to a station's offset or a
 *   single step, so a shifted station does not inflate it.
 * - Common mode: an alarm counts only when another station measured during the stretch and did not move the same
 *   way (≥ `sharedFraction` of the shift from its own baseline). A batch shifts one station; a shift every station
 *   shows is the shared surrogate's. With no other station measuring (one station in service) the check waits.
 * - An alarm flags the stretch (its residuals leave σ) and restarts every station's series: the surrogate changes
 *   (it drops the stretch), so residuals before and after are not comparable; the alarmed station's next residual
 *   belongs to a new batch.
 */
export class BatchWatch {
  private readonly options: BatchWatchOptions;
  /** Every watched residual (common mode removed), in measurement order. */
  private readonly all: StationResidual[] = [];
  /** Every raw residual (observed − predicted), in measurement order: the common-mode references. */
  private readonly raw: StationResidual[] = [];
  private readonly flagged = new Set<string>();
  /** Position in `all` where the current series start (after the last alarm). */
  private seriesStart = 0;

  constructor(
    readonly objective: string,
    options: Partial<BatchWatchOptions> = {},
  ) {
    this.options = batchWatchOptionsSchema.parse(options);
  }

  /** Records a completed trial; returns an alarm when its station's current series shows a batch shift. */
  record(trial: CompletedTrial): BatchShiftAlarm | undefined {
    const predicted = trial.predicted?.[this.objective]?.mean;
    const observed = trial.objectives[this.objective];
    if (predicted === undefined || observed === undefined || !Number.isFinite(predicted) || !Number.isFinite(observed)) return undefined;
    const raw = observed - predicted;
    const reference = this.commonMode(trial.station);
    this.raw.push({ trialId: trial.trialId, index: trial.index, station: trial.station, residual: raw });
    if (reference === undefined) return undefined;
    this.all.push({ trialId: trial.trialId, index: trial.index, station: trial.station, residual: raw - reference });

    const sigma = this.sigma();
    const series = this.series(trial.station);
    if (sigma === undefined || series.length <= this.options.baselineTrials) return undefined;
    const found = this.stretch(series.map((e) => e.residual), sigma);
    if (!found) return undefined;
    const { baseline } = found;
    // The station is still on the same batch after the alarm index: everything from the start of the stretch is in it.
    const trials = series.slice(found.from);
    const mean = trials.reduce((s, e) => s + e.residual - baseline, 0) / trials.length;
    if (Math.abs(mean) < this.options.minShift) return undefined;
    if (this.othersDuring(trial.station, trials[0] as StationResidual, mean) !== 'unmoved') return undefined;
    for (const e of trials) this.flagged.add(e.trialId);
    this.seriesStart = this.all.length;
    return { station: trial.station, objective: this.objective, shift: mean, sigma, baseline, trials };
  }

  /**
   * The shifted stretch of one station's residuals, if any: a CUSUM of the residuals after the first `baselineTrials`
   * against their median; then, since every residual before the stretch was measured in the old state, against the
   * median of all of those (the stretch is kept only if it still raises an alarm; repeated until it stands).
   * `from`: index in `rs` of the stretch's first residual.
   */
  private stretch(rs: readonly number[], sigma: number): { from: number; baseline: number } | undefined {
    const o = this.options;
    // n grows strictly, so this ends.
    for (let n = o.baselineTrials; ; ) {
      const baseline = median(rs.slice(0, n));
      // A deviation from the baseline carries the baseline's own error too (a median of n residuals: variance ≈ πσ²/2n).
      const [shift] = detectBatchShift(
        rs.slice(n).map((r) => r - baseline),
        { sigma: sigma * Math.sqrt(1 + Math.PI / (2 * n)), allowance: o.allowance, threshold: o.threshold, clip: o.clip },
      );
      if (!shift) return undefined;
      if (shift.from === 0 || !o.refineBaseline) return { from: n + shift.from, baseline };
      n += shift.from;
    }
  }

  /**
   * How the other stations' residuals moved while `station`'s stretch (from `first`) was measured, each from its own
   * baseline: `moved` when one moved the same way by `sharedFraction` of `shift` (the surrogate changed, not the
   * batch), `unknown` when no other station measured since (bias and shift cannot be told apart: the check waits).
   */
  private othersDuring(station: string, first: StationResidual, shift: number): 'moved' | 'unmoved' | 'unknown' {
    const start = this.all.indexOf(first);
    const b = this.options.baselineTrials;
    let seen = false;
    for (const other of new Set(this.all.slice(this.seriesStart).map((e) => e.station))) {
      if (other === station) continue;
      const series = this.series(other);
      if (series.length <= b) continue;
      const base = median(series.slice(0, b).map((e) => e.residual));
      const during = series.slice(b).filter((e) => this.all.indexOf(e) > start);
      if (during.length === 0) continue;
      seen = true;
      const moved = during.reduce((s, e) => s + e.residual - base, 0) / during.length;
      if (Math.sign(moved) === Math.sign(shift) && Math.abs(moved) >= this.options.sharedFraction * Math.abs(shift)) return 'moved';
    }
    return seen ? 'unmoved' : 'unknown';
  }

  /**
   * The common mode a residual of `station` is taken against: the median of the other stations' latest
   * `commonModeWindow` raw residuals (flagged ones left out); 0 when the window is 0; undefined with fewer than 2.
   */
  private commonMode(station: string): number | undefined {
    const w = this.options.commonModeWindow;
    if (w === 0) return 0;
    const refs: number[] = [];
    for (let i = this.raw.length - 1; i >= 0 && refs.length < w; i--) {
      const e = this.raw[i] as StationResidual;
      if (e.station !== station && !this.flagged.has(e.trialId)) refs.push(e.residual);
    }
    return refs.length >= 2 ? median(refs) : undefined;
  }

  /** σ of a residual; undefined until there are `minDifferences` successive differences. */
  sigma(): number | undefined {
    const last = new Map<string, number>();
    const diffs: number[] = [];
    for (const e of this.kept()) {
      const prev = last.get(e.station);
      if (prev !== undefined) diffs.push(Math.abs(e.residual - prev));
      last.set(e.station, e.residual);
    }
    if (diffs.length < this.options.minDifferences) return undefined;
    // A median of few differences is often far too small (relative standard error ≈ 1.2/√n), and a σ too small is
    // what raises false alarms: the estimate is raised by about one standard error, 1/√n.
    return Math.max(this.options.sigmaFloor, DIFF_TO_SIGMA * median(diffs) * (1 + 1 / Math.sqrt(diffs.length)));
  }

  /** The station's residuals since the last alarm, in measurement order. */
  series(station: string): StationResidual[] {
    return this.all.slice(this.seriesStart).filter((e) => e.station === station);
  }

  private kept(): StationResidual[] {
    return this.all.filter((e) => !this.flagged.has(e.trialId));
  }
}
