import { termRows, type LogProbabilityTerm } from '../models/acquisition/constrained.ts';
import { evaluateRows, type AcquisitionFunction } from '../models/acquisition/types.ts';
import { zeros, type Matrix } from '../models/linalg/index.ts';
import type { GaussianProcess } from '../models/surrogates/gp.ts';
import { predictRows, ucbRows } from '../models/surrogates/gp-batch.ts';
import type { SearchSpace } from '../models/transforms/search-space.ts';
import type { Recipe } from '../src/domain/index.ts';

/**
 * Batched scoring of many candidates by the BO agent's round model (ADR 0085): the acquisition, the per-objective
 * predictions and the feasibility at every row of a feature matrix in one pass — the GP posteriors fused per row
 * without allocations (models/surrogates/gp-batch.ts), the constraint terms through their `batch` forms, arrays
 * instead of one object per candidate. The values equal the per-point path (`acq.value`, `predict` of one row,
 * `logProbability`) up to floating-point rounding (the tests hold them to 1e-9 relative).
 */
export interface BatchScores {
  /** Acquisition value per row (log-probability terms included), given the pending recipes. */
  acquisition: Float64Array;
  /** Per objective (campaign order): predicted mean in objective units and latent sd, per row. */
  predicted: { name: string; mean: Float64Array; sd: Float64Array }[];
  /** P(no coded failure) per row, when a feasibility model exists. */
  feasibility?: Float64Array;
}

/** What one BO round offers for scoring (built by the agent's `prepareRound`). */
export interface ScoringRound {
  /** The acquisition without its log-probability terms, given pending feature rows. */
  makeBase(pending: Matrix): AcquisitionFunction;
  /** When the acquisition is UCB: its GP (before the pending fantasies) and β, for the fused row path. */
  ucb?: { target: GaussianProcess; beta: number };
  terms: readonly LogProbabilityTerm[];
  /** One GP per objective, in model orientation (maximisation). */
  gps: readonly GaussianProcess[];
  feas: { logProbability(x: ArrayLike<number>): number; logProbabilityBatch?(X: Matrix): Float64Array } | undefined;
}

/** An agent that scores a matrix of encoded candidates at once (the BO agent). */
export interface BatchJudge {
  /** The agent's search space: `encode` a recipe to the feature rows `scoreFeatures` expects. */
  readonly space: SearchSpace;
  /** Scores every row of X (m × space.featureDim); before any feasible observation every value is 0 and `predicted` is empty. */
  scoreFeatures(X: Matrix, pending: readonly Recipe[]): BatchScores;
  /** The `top` rows of X by the acquisition, best first, with their scores (`rankRows`). */
  rankFeatures(X: Matrix, pending: readonly Recipe[], top: number): { index: Int32Array; scores: BatchScores };
}

/**
 * The round's acquisition + Σ log-probability terms (in the order `withLogProbabilities` adds them), the objectives'
 * predictions (`signs[k]` turns model orientation back into objective units) and the feasibility, at every row of X.
 */
export function scoreRows(round: ScoringRound, objectives: readonly { name: string; sign: number }[], X: Matrix, pending: Matrix): BatchScores {
  const { acquisition, feasibilityLog } = acquisitionRows(round, X, pending);
  const predicted = objectives.map((o, k) => {
    const p = predictRows(round.gps[k] as GaussianProcess, X);
    return { name: o.name, mean: p.mean.map((v) => o.sign * v), sd: p.sd };
  });
  const out: BatchScores = { acquisition, predicted };
  if (round.feas) out.feasibility = (feasibilityLog ?? feasibilityRows(round.feas, X)).map((v) => Math.exp(v));
  return out;
}

/**
 * The `top` rows of X with the highest acquisition, best first (ties: lower row first), with their full scores.
 * Every term is a log-probability (≤ 0), so a row's base acquisition (UCB or LogEI without the terms) bounds its full
 * value from above: the base is computed at every row, the terms (the feasibility classifiers, outcome bounds) only
 * for rows in decreasing order of the bound until the next bound falls below the `top`-th best full value, and the
 * predictions only for the rows returned. The rows and values are those of scoring every row and sorting
 * (`scoreRows`): each row's full value is the same sum in the same order.
 */
export function rankRows(
  round: ScoringRound,
  objectives: readonly { name: string; sign: number }[],
  X: Matrix,
  pending: Matrix,
  top: number,
): { index: Int32Array; scores: BatchScores } {
  const index = topRows(round, X, pending, Math.max(0, top));
  const sub = gatherRows(X, index);
  return { index, scores: scoreRows(round, objectives, sub, pending) };
}

/** Rows `index` of X as a new matrix (index.length × X.d). */
function gatherRows(X: Matrix, index: ArrayLike<number>): Matrix {
  const sub = zeros(index.length, X.d);
  for (let i = 0; i < index.length; i++) {
    const r = index[i] as number;
    sub.data.set(X.data.subarray(r * X.d, (r + 1) * X.d), i * X.d);
  }
  return sub;
}

/** Indices of the `top` best rows by the full acquisition (see `rankRows`), NaN rows excluded. */
function topRows(round: ScoringRound, X: Matrix, pending: Matrix, top: number): Int32Array {
  const base = baseRows(round, X, pending);
  const byValue = (v: ArrayLike<number>) => (a: number, b: number): number => (v[b] as number) - (v[a] as number) || a - b;
  const candidates = Array.from({ length: X.n }, (_, i) => i).filter((i) => !Number.isNaN(base[i]));
  candidates.sort(byValue(base));
  if (round.terms.length === 0 || top === 0) return Int32Array.from(candidates.slice(0, top));
  const full = new Float64Array(X.n).fill(NaN);
  const done: number[] = [];
  /** The `top`-th best full value among the rows done (−∞ while fewer are done). */
  const kthBest = (): number => {
    const vals = done.map((i) => full[i] as number).filter((v) => !Number.isNaN(v));
    if (vals.length < top) return -Infinity;
    vals.sort((a, b) => b - a);
    return vals[top - 1] as number;
  };
  let next = 0;
  let chunk = Math.max(2 * top, 2048);
  while (next < candidates.length) {
    const rows = candidates.slice(next, next + chunk);
    next += rows.length;
    const sub = gatherRows(X, rows);
    const values = rows.map((r) => base[r] as number);
    let positive = false;
    for (const term of round.terms) {
      const v = termValues(round, term, sub).values;
      for (let i = 0; i < rows.length; i++) {
        if ((v[i] as number) > 0) positive = true;
        values[i] = (values[i] as number) + (v[i] as number);
      }
    }
    // A term above 0 is not a log-probability: the bound does not hold, so every row is completed.
    if (positive) chunk = candidates.length;
    rows.forEach((r, i) => {
      full[r] = values[i] as number;
      done.push(r);
    });
    if (!positive && next < candidates.length && (base[candidates[next] as number] as number) < kthBest()) break;
    chunk *= 2;
  }
  const ranked = done.filter((i) => !Number.isNaN(full[i]));
  ranked.sort(byValue(full));
  return Int32Array.from(ranked.slice(0, top));
}

/** A term's values at every row: the feasibility model's batch log-probability when the term is that model. */
function termValues(round: ScoringRound, term: ScoringRound['terms'][number], X: Matrix): { values: Float64Array; feasibility: boolean } {
  if (round.feas && term.source === round.feas) return { values: feasibilityRows(round.feas, X), feasibility: true };
  return { values: termRows(term, X), feasibility: false };
}

function feasibilityRows(feas: NonNullable<ScoringRound['feas']>, X: Matrix): Float64Array {
  return feas.logProbabilityBatch ? feas.logProbabilityBatch(X) : Float64Array.from({ length: X.n }, (_, i) => feas.logProbability(X.data.subarray(i * X.d, (i + 1) * X.d)));
}

/** The acquisition without its log-probability terms at every row, given the pending feature rows. */
function baseRows(round: ScoringRound, X: Matrix, pending: Matrix): Float64Array {
  return round.ucb ? ucbRows(round.ucb.target.fantasize(pending), round.ucb.beta, X) : evaluateRows(round.makeBase(pending), X);
}

/** Acquisition + Σ terms at every row; the feasibility model's log-probability when one of the terms is it. */
function acquisitionRows(round: ScoringRound, X: Matrix, pending: Matrix): { acquisition: Float64Array; feasibilityLog?: Float64Array } {
  const acquisition = baseRows(round, X, pending);
  let feasibilityLog: Float64Array | undefined;
  for (const term of round.terms) {
    const { values: v, feasibility } = termValues(round, term, X);
    if (feasibility) feasibilityLog = v;
    for (let i = 0; i < X.n; i++) acquisition[i] = (acquisition[i] as number) + (v[i] as number);
  }
  return feasibilityLog ? { acquisition, feasibilityLog } : { acquisition };
}

/** Row i of the predictions as the per-recipe record of `ScoredCandidate.predicted`. */
export function predictedAt(s: BatchScores, i: number): Record<string, { mean: number; sd: number }> {
  const out: Record<string, { mean: number; sd: number }> = {};
  for (const p of s.predicted) out[p.name] = { mean: p.mean[i] as number, sd: p.sd[i] as number };
  return out;
}
