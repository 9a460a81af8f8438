import type { CampaignSpec, Observation } from '../src/domain/index.ts';

/** One proposer's record in this campaign: results of its proposals, and how many landed in the top quartile. */
export interface SourceRecord {
  results: number;
  topQuartile: number;
}

/** The generator's credit (ADR 0115): how its proposals fared against BO's own, and the places it gets for it. */
export interface GeneratorCredit {
  generative: SourceRecord;
  bo: SourceRecord;
  /** P(θ_generative ≥ θ_bo), θ a source's rate of landing in the top quartile, Beta(1 + hits, 3 + misses) each. */
  pNotWorse: number;
  /** min(1, 2·pNotWorse): 1 while the evidence does not say the generator is worse. */
  credit: number;
  /** Feasible results of this campaign the quartile was taken over. */
  feasible: number;
}

/**
 * Scores the generator's and BO's own proposals so far. `observations`: this campaign's results (prior rows excluded),
 * each with its `proposer`; results of other proposers (the initial design, confirmations) count only in the ranking.
 * A result is a hit when it is feasible and among the ⌈F/4⌉ best of the F feasible results by the primary objective
 * (ties with the quartile's last value count as hits); an infeasible result is a miss. The quartile is taken afresh
 * at every call, so an early hit that later results push out of it stops counting. Each source's rate has the prior
 * Beta(1, 3), mean 1/4: a source of which nothing is known is taken to land in the top quartile as often as an average
 * result does. (A uniform prior, mean 1/2, made a source with no results — BO's own, when the generator holds every
 * place of batches of one — look better than a generator doing well, ADR 0115.)
 */
export function generatorCredit(spec: CampaignSpec, observations: readonly Observation[]): GeneratorCredit {
  const primary = spec.objectives[0];
  const sign = primary?.direction === 'minimize' ? -1 : 1;
  const score = (o: Observation): number | undefined => {
    const v = primary ? o.objectives[primary.name] : undefined;
    return o.feasible && v !== undefined && Number.isFinite(v) ? sign * v : undefined;
  };
  const values = observations.flatMap((o) => {
    const s = score(o);
    return s === undefined ? [] : [s];
  });
  values.sort((a, b) => b - a);
  const threshold = values.length > 0 ? (values[Math.ceil(values.length / 4) - 1] as number) : Infinity;
  const generative: SourceRecord = { results: 0, topQuartile: 0 };
  const bo: SourceRecord = { results: 0, topQuartile: 0 };
  for (const o of observations) {
    const rec = o.proposer === 'generative' ? generative : o.proposer === 'bo' ? bo : undefined;
    if (!rec) continue;
    rec.results++;
    const s = score(o);
    if (s !== undefined && s >= threshold) rec.topQuartile++;
  }
  const pNotWorse = betaNotWorse(
    PRIOR_HITS + generative.topQuartile,
    PRIOR_MISSES + generative.results - generative.topQuartile,
    PRIOR_HITS + bo.topQuartile,
    PRIOR_MISSES + bo.results - bo.topQuartile,
  );
  // Within the integration's rounding of 1/2 (equal records) the credit is exactly 1, so the fixed rule applies.
  const credit = 2 * pNotWorse > 1 - 1e-6 ? 1 : 2 * pNotWorse;
  return { generative, bo, pNotWorse, credit, feasible: values.length };
}

/** The prior of each source's top-quartile rate: Beta(1, 3), the rate of an average result (1/4). */
const PRIOR_HITS = 1;
const PRIOR_MISSES = 3;

const GRID = 2000;

/**
 * P(X ≥ Y) for independent X ~ Beta(a1, b1), Y ~ Beta(a2, b2) (all ≥ 1), by the midpoint rule on 2,000 cells of
 * [0, 1]: Σ pX(cell) · P(Y below the cell's midpoint), each density normalised over the grid (log space, so large
 * counts do not underflow). Accurate to about 1e-3, deterministic.
 */
export function betaNotWorse(a1: number, b1: number, a2: number, b2: number): number {
  const px = gridDensity(a1, b1);
  const py = gridDensity(a2, b2);
  let below = 0;
  let p = 0;
  for (let i = 0; i < GRID; i++) {
    const y = py[i] as number;
    p += (px[i] as number) * (below + 0.5 * y);
    below += y;
  }
  return Math.min(1, Math.max(0, p));
}

function gridDensity(a: number, b: number): Float64Array {
  const out = new Float64Array(GRID);
  let max = -Infinity;
  for (let i = 0; i < GRID; i++) {
    const x = (i + 0.5) / GRID;
    const l = (a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x);
    out[i] = l;
    if (l > max) max = l;
  }
  let sum = 0;
  for (let i = 0; i < GRID; i++) {
    const v = Math.exp((out[i] as number) - max);
    out[i] = v;
    sum += v;
  }
  for (let i = 0; i < GRID; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/**
 * The generator's places in a batch of `n` (ADR 0115): its fixed places R = min(n, ⌈share·n⌉) scaled by its credit,
 * at least `minShare·n`, at most R; fractional places accumulate in `carry` (in [0, 1)) and become a whole place when
 * they add up. Credit 1 gives exactly R, the fixed rule. Returns the places and the new carry.
 */
export function generatorPlaces(n: number, share: number, minShare: number, credit: number, carry: number): { places: number; carry: number; target: number } {
  const fixed = Math.min(n, Math.ceil(share * n));
  const target = Math.min(fixed, Math.max(minShare * n, credit * fixed));
  // 1e-9: a target that is a whole number up to rounding is that number.
  const places = Math.min(fixed, Math.floor(carry + target + 1e-9));
  return { places, carry: Math.max(0, carry + target - places), target };
}
