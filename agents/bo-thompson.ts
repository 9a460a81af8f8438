import type { Recipe } from '../src/domain/index.ts';
import type { Rng } from '../src/domain/random.ts';
import { fromRows, type Matrix } from '../models/linalg/index.ts';
import type { LogProbabilityTerm } from '../models/acquisition/constrained.ts';
import { thompsonSelect } from '../models/acquisition/thompson.ts';
import { thompsonCandidates } from '../models/acquisition/thompson-candidates.ts';
import { isExcluded, type AcquisitionOptimum } from '../models/optimizers/optimize-acquisition.ts';
import type { GaussianProcess } from '../models/surrogates/gp.ts';
import type { SearchSpace } from '../models/transforms/search-space.ts';
import { createInitialDesign, type InitialDesignKind } from './initial-design.ts';

/**
 * Thompson sampling over the dispensable set (ADR 0053), campaign `strategy.thompson`: a candidate set of `global`
 * draws from the faces of the dispensable set plus `perCentre` local draws around each of the `centres` measured
 * recipes with the best posterior mean (the model-estimated leaders, not the best single readings), a joint
 * posterior sample of the target over it per proposal (pending trials enter as posterior-mean fantasies, so the
 * sample's spread shrinks where trials are running), log P(success) of the constraint terms added, the arg-max taken.
 * `share` is the fraction of proposals made this way (the rest by the agent's acquisition, e.g. UCB).
 */
export interface BoThompsonOptions {
  /** Share of proposals by Thompson sampling (0 … 1; default 1). */
  share?: number;
  /** Global candidates from the dispensable set (default 512). */
  global?: number;
  /** Measured recipes with the best posterior mean that local candidates surround (default 3). */
  centres?: number;
  /** Local candidates per centre (default 128). */
  perCentre?: number;
  /** SD of a local move in feature units (default 0.1; the initial length with `trustRegion`). */
  radius?: number;
  /** Adapt the local radius TuRBO-style to the rounds' success (models/acquisition/trust-region.ts, ADR 0054). */
  trustRegion?: boolean;
  /**
   * Support-face bonus (ADR 0055): bonus / √(1 + n) is added to a candidate's sample, n = measured and pending recipes
   * with exactly its set of present mixture components, so faces the campaign has hardly tried stay in play
   * (default 0 = none; in units of the target's standardised scale).
   */
  faceBonus?: number;
  /**
   * Where the global candidates come from: `faces` (default) draws them per support face of the dispensable set;
   * `sobol` takes them from a scrambled-Sobol design of the whole recipe space, as the plain `acquisition: thompson`
   * sampler does, which puts more of them into large faces such as the 4-metal ones (ADR 0053, diagnosis);
   * `maximalFaces` draws them uniformly on the maximal support faces in turn (agents/face-design.ts, ADR 0119).
   */
  globalFrom?: 'faces' | 'sobol' | 'maximalFaces';
}

/** Key of the set of present mixture components of a feature row (every simplex block). */
export function faceKey(space: SearchSpace, z: ArrayLike<number>): string {
  const parts: string[] = [];
  for (const b of space.layout) {
    if (b.kind !== 'simplex') continue;
    parts.push(b.components.map((_, i) => ((z[b.feature + i] as number) > 1e-9 ? '1' : '0')).join(''));
  }
  return parts.join('|');
}

/** Rows of X per face key. */
export function faceCounts(space: SearchSpace, X: Matrix): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < X.n; i++) {
    const k = faceKey(space, X.data.subarray(i * X.d, (i + 1) * X.d));
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** Indices of the `k` rows of X with the largest posterior mean of `gp`, distinct rows only. */
export function leadingRows(gp: GaussianProcess, X: Matrix, k: number): number[] {
  if (X.n === 0 || k <= 0) return [];
  const mu = gp.posterior(X).mean;
  const order = Array.from(mu, (v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const out: number[] = [];
  for (const [, i] of order) {
    if (out.length >= k) break;
    const same = (j: number): boolean => {
      for (let c = 0; c < X.d; c++) if (X.data[i * X.d + c] !== X.data[j * X.d + c]) return false;
      return true;
    };
    if (!out.some(same)) out.push(i);
  }
  return out;
}

export function thompsonProposals(a: {
  space: SearchSpace;
  target: GaussianProcess;
  /** Feasible measured rows (the centres are chosen among them). */
  X: Matrix;
  pending: Matrix;
  exclude: Matrix;
  q: number;
  terms: readonly LogProbabilityTerm[];
  rng: Rng;
  options: BoThompsonOptions;
}): AcquisitionOptimum[] {
  if (a.q <= 0) return [];
  const o = a.options;
  const centres = leadingRows(a.target, a.X, o.centres ?? 3).map((i) => a.X.data.slice(i * a.X.d, (i + 1) * a.X.d));
  const global = o.global ?? 512;
  const designed = o.globalFrom === 'sobol' || o.globalFrom === 'maximalFaces';
  const designRows = designed ? designCandidates(a.space, o.globalFrom === 'sobol' ? 'sobol' : 'faces', global, a.rng.int(2 ** 30)) : [];
  const rows = [...designRows, ...thompsonCandidates(a.space, { global: designed ? 0 : global, centres, perCentre: o.perCentre ?? 128, radius: o.radius ?? 0.1, rng: a.rng })];
  if (rows.length === 0) return [];
  const C = fromRows(rows);
  const bonus = o.faceBonus ?? 0;
  const counts = bonus > 0 ? faceCounts(a.space, a.exclude) : undefined;
  const logWeight = rows.map((z) => a.terms.reduce((s, t) => s + t(z), 0));
  const bonusOf = rows.map((z) => (counts ? bonus / Math.sqrt(1 + (counts.get(faceKey(a.space, z)) ?? 0)) : 0));
  const skip = rows.map((z, i) => !Number.isFinite(logWeight[i] as number) || isExcluded(z, a.exclude, 1e-4));
  const gp = a.pending.n > 0 ? a.target.fantasize(a.pending) : a.target;
  return thompsonSelect(gp, C, a.q, a.rng, { skip, logWeight: logWeight.map((w, i) => w + (bonusOf[i] as number)) }).map((i) => {
    const features = rows[i] as Float64Array;
    return { features, recipe: a.space.decode(features) as Recipe, value: logWeight[i] as number };
  });
}

/** `n` recipes of a seeded initial-style design (valid and dispensable by construction), encoded. */
function designCandidates(space: SearchSpace, kind: InitialDesignKind, n: number, seed: number): Float64Array[] {
  const design = createInitialDesign(kind, space.spec as Parameters<typeof createInitialDesign>[1], seed, space);
  return Array.from({ length: n }, (_, i) => space.encode(design(i + 1).recipe));
}
