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
 * The `top` rows of X with the highest acquisition, best first, with their full scores: the acquisition is computed at
 * every row, the predictions only for the rows returned — ranking many candidates costs one GP (UCB) and the
 * feasibility classifiers per row.
 */
export function rankRows(
  round: ScoringRound,
  objectives: readonly { name: string; sign: number }[],
  X: Matrix,
  pending: Matrix,
  top: number,
): { index: Int32Array; scores: BatchScores } {
  const { acquisition } = acquisitionRows(round, X, pending);
  const order = Array.from({ length: X.n }, (_, i) => i).filter((i) => !Number.isNaN(acquisition[i]));
  order.sort((a, b) => (acquisition[b] as number) - (acquisition[a] as number) || a - b);
  const index = Int32Array.from(order.slice(0, Math.max(0, top)));
  const sub = zeros(index.length, X.d);
  index.forEach((r, i) => sub.data.set(X.data.subarray(r * X.d, (r + 1) * X.d), i * X.d));
  return { index, scores: scoreRows(round, objectives, sub, pending) };
}

function feasibilityRows(feas: NonNullable<ScoringRound['feas']>, X: Matrix): Float64Array {
  return feas.logProbabilityBatch ? feas.logProbabilityBatch(X) : Float64Array.from({ length: X.n }, (_, i) => feas.logProbability(X.data.subarray(i * X.d, (i + 1) * X.d)));
}

/** Acquisition + Σ terms at every row; the feasibility model's log-probability when one of the terms is it. */
function acquisitionRows(round: ScoringRound, X: Matrix, pending: Matrix): { acquisition: Float64Array; feasibilityLog?: Float64Array } {
  const acquisition = round.ucb ? ucbRows(round.ucb.target.fantasize(pending), round.ucb.beta, X) : evaluateRows(round.makeBase(pending), X);
  let feasibilityLog: Float64Array | undefined;
  for (const term of round.terms) {
    let v: Float64Array;
    if (round.feas && term.source === round.feas) v = feasibilityLog = feasibilityRows(round.feas, X);
    else v = termRows(term, X);
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
