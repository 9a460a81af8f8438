import type { CampaignSpec, Observation } from '../src/domain/index.ts';
import { Rng } from '../src/domain/random.ts';
import { createSearchSpace } from '../models/transforms/search-space.ts';
import { fromRows } from '../models/linalg/index.ts';
import { medianNearestNeighbour } from '../models/surrogates/kernel-mean.ts';

/** What the check of the prior against the target found in one round (ADR 0116). */
export interface PriorCheck {
  /** Feasible results of this campaign the check ranked. */
  results: number;
  /** (top-quartile, other) pairs of those results. */
  pairs: number;
  /** Share of the pairs the prior's model orders right (ties in its prediction count half). */
  priorAgreement: number;
  /** Share of the pairs the campaign's own leave-one-out model orders right. */
  ownAgreement: number;
  /** Bootstrap probability that the prior's model misorders fewer pairs than the campaign's own (ties count half). */
  relevance: number;
  /** min(1, 2·relevance): 1 unless the evidence says the prior ranks the target's results worse than the target does. */
  factor: number;
}

/**
 * The part of its places a checked prior may hold after `results` feasible results of the campaign (ADR 0116,
 * `priorTrustAfter`): min(1, results/after); 1 when `after` is 0 (no ramp).
 */
export function trustRamp(results: number, after: number): number {
  return after <= 0 ? 1 : Math.min(1, results / after);
}

/** Resamples of the campaign's results behind `relevance`. */
const RESAMPLES = 200;

/**
 * Checks a warm start's prior rows against this campaign's own results (ADR 0116), in the manner of a ranking-weighted
 * ensemble: does a model of the prior rows order the campaign's results better than a model of the campaign's own
 * results does? Both models are Nadaraya–Watson kernel regressions on the search space's features (n×F in the unit
 * cube, presence indicators off) with a Gaussian kernel of bandwidth h = max(0.1, the median distance from a row to its
 * nearest neighbour among the model's rows); the campaign's own model predicts each result without it (leave one out).
 * Only pairs of a top-quartile result (the ⌈F/4⌉ best of the F feasible results by the primary objective) and another
 * result count: the check asks whether the prior knows where the target is good, not whether it ranks the bad rows.
 * Loss = pairs misordered (prediction ties count half); relevance = P(loss_prior < loss_own) over RESAMPLES bootstrap
 * resamples of the results (quartile retaken per resample; ties count half), drawn from Rng(`seed`).
 *
 * `prior`: the warm start's rows (recipes of this campaign's space); `observations`: this campaign's results. With no
 * prior rows, or fewer than 4 feasible results, nothing is known: relevance 1/2, factor 1. Deterministic for a seed.
 */
export function checkPrior(spec: Pick<CampaignSpec, 'parameters' | 'constraints' | 'objectives'>, prior: readonly Observation[], observations: readonly Observation[], seed: number): PriorCheck {
  return createPriorCheck(spec, prior)(observations, seed);
}

/**
 * `checkPrior` with the prior's side — its rows' features and kernel model — built once: the prior rows stay the same
 * for a whole campaign, only the campaign's results change from round to round.
 */
export function createPriorCheck(spec: Pick<CampaignSpec, 'parameters' | 'constraints' | 'objectives'>, prior: readonly Observation[]): (observations: readonly Observation[], seed: number) => PriorCheck {
  const primary = spec.objectives[0];
  const sign = primary?.direction === 'minimize' ? -1 : 1;
  const space = createSearchSpace(spec, { presence: false });
  const rows = (obs: readonly Observation[]): { x: Float64Array; y: number }[] =>
    obs.flatMap((o) => {
      const v = primary ? o.objectives[primary.name] : undefined;
      return o.feasible && v !== undefined && Number.isFinite(v) ? [{ x: space.encode(o.recipe), y: sign * v }] : [];
    });
  const known = rows(prior);
  const priorModel = known.length > 0 ? kernelRegression(known.map((r) => r.x), known.map((r) => r.y)) : undefined;
  return (observations, seed) => {
    const own = rows(observations);
    const none: PriorCheck = { results: own.length, pairs: 0, priorAgreement: 0.5, ownAgreement: 0.5, relevance: 0.5, factor: 1 };
    if (!priorModel || own.length < 4) return none;
    const X = own.map((r) => r.x);
    const y = own.map((r) => r.y);
    const ownModel = kernelRegression(X, y);
    const byPrior = X.map((x) => priorModel(x));
    const byOwn = X.map((x, i) => ownModel(x, i));
    const all = y.map((_, i) => i);
    const full = pairLosses(all, y, byPrior, byOwn);
    const rng = new Rng(seed).fork('prior-check');
    let wins = 0;
    for (let b = 0; b < RESAMPLES; b++) {
      const sample = all.map(() => rng.int(all.length));
      const l = pairLosses(sample, y, byPrior, byOwn);
      wins += l.prior < l.own ? 1 : l.prior === l.own ? 0.5 : 0;
    }
    const relevance = wins / RESAMPLES;
    return {
      results: own.length,
      pairs: full.pairs,
      priorAgreement: full.pairs > 0 ? 1 - full.prior / full.pairs : 0.5,
      ownAgreement: full.pairs > 0 ? 1 - full.own / full.pairs : 0.5,
      relevance,
      factor: Math.min(1, 2 * relevance),
    };
  };
}

/**
 * Misordered (top-quartile, other) pairs among the results `idx` (indices into `y`, repeats allowed) by each model's
 * predictions; `pairs` is their number. A pair of equal values is no pair.
 */
function pairLosses(idx: readonly number[], y: readonly number[], byPrior: readonly number[], byOwn: readonly number[]): { prior: number; own: number; pairs: number } {
  const values = idx.map((i) => y[i] as number).sort((a, b) => b - a);
  const threshold = values[Math.ceil(values.length / 4) - 1] as number;
  let prior = 0;
  let own = 0;
  let pairs = 0;
  for (const i of idx) {
    const yi = y[i] as number;
    if (yi < threshold) continue;
    for (const j of idx) {
      const yj = y[j] as number;
      if (yj >= threshold) continue;
      pairs++;
      prior += misorder(byPrior[i] as number, byPrior[j] as number);
      own += misorder(byOwn[i] as number, byOwn[j] as number);
    }
  }
  return { prior, own, pairs };
}

/** 1 when the model puts the better result (`better`) below the other, 1/2 on a tie. */
function misorder(better: number, worse: number): number {
  return better > worse ? 0 : better === worse ? 0.5 : 1;
}

/**
 * Nadaraya–Watson regression on rows X (n×F) with values y, shrunk to their mean: a Gaussian kernel of bandwidth
 * h = max(0.1, median nearest-neighbour distance among the rows), and the mean of y counted as one more row of
 * weight 1 at every point, so that far from every row (where the rows say nothing) the prediction is the mean, not
 * the nearest row's value. `skip` leaves one row out (its value stays in the mean: a constant shift, no ranking).
 */
function kernelRegression(X: readonly Float64Array[], y: readonly number[]): (x: Float64Array, skip?: number) => number {
  const h = bandwidth(X);
  const inv = 1 / (2 * h * h);
  const mean = y.reduce((a, b) => a + b, 0) / Math.max(1, y.length);
  return (x, skip = -1) => {
    let s = MEAN_WEIGHT * mean;
    let w = MEAN_WEIGHT;
    X.forEach((a, j) => {
      if (j === skip) return;
      const e = Math.exp(-dist2(a, x) * inv);
      s += e * (y[j] as number);
      w += e;
    });
    return s / w;
  };
}

/** Kernel weight of the mean in `kernelRegression`: that of one row at the point itself. */
const MEAN_WEIGHT = 1;

/** The kernel regressions' bandwidth for rows X: max(0.1, the median distance from a row to its nearest neighbour). */
export function bandwidth(X: readonly Float64Array[]): number {
  return medianNearestNeighbour(fromRows([...X]));
}

/** Squared Euclidean distance. */
export function dist2(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += ((a[k] as number) - (b[k] as number)) ** 2;
  return s;
}
