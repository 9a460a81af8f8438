import type { Recipe } from '../../src/domain/index.ts';
import { validateRecipe } from '../../src/domain/recipe.ts';
import { Rng } from '../../src/domain/random.ts';
import { zeros, type Matrix } from '../linalg/index.ts';
import { SOBOL_MAX_DIMENSION, SobolEngine } from '../sobol.ts';
import { evaluateRows, type AcquisitionFunction } from '../acquisition/types.ts';
import type { SearchPoint, SearchSpace } from '../transforms/search-space.ts';
import { minimizeLbfgsb } from './lbfgsb.ts';

/**
 * Maximises an acquisition function over a campaign's search space:
 * quasi-random raw samples (scrambled Sobol, mixtures uniform on each simplex, random categories) plus caller-given
 * starts → Boltzmann-selected restarts (the best raw point always included) → multi-start bounded L-BFGS on the box
 * coordinates (simplex equality exact through stick-breaking; categories held fixed, then improved one at a time) →
 * every optimum decoded to a dispensable recipe (`normaliseRecipe`: minFraction snapping, maxComponents, integer
 * rounding), re-encoded and re-scored, so the returned value is that of the recipe actually proposed. Candidates
 * that violate linear constraints, fail `validateRecipe`, or duplicate an excluded point are skipped.
 */
export interface OptimizeAcquisitionOptions {
  seed: number;
  /** Raw quasi-random samples (default 256). */
  rawSamples?: number;
  /** L-BFGS restarts (default 6). */
  restarts?: number;
  /** Iterations per restart (default 40). */
  maxIterations?: number;
  /** Boltzmann temperature on standardised raw values (default 2). */
  eta?: number;
  /** Extra raw candidates (e.g. observed optima and their neighbours). */
  initial?: SearchPoint[];
  /** Features (k×d) a proposal must differ from (pending, chosen, and optionally observed points). */
  exclude?: Matrix;
  /** Minimum Euclidean feature distance to excluded points (default 1e-4). */
  minDistance?: number;
}

export interface AcquisitionOptimum {
  /** Features of the normalised recipe (length featureDim). */
  features: Float64Array;
  recipe: Recipe;
  value: number;
}

export function optimizeAcquisition(space: SearchSpace, acq: AcquisitionFunction, opts: OptimizeAcquisitionOptions): AcquisitionOptimum {
  const rng = new Rng(opts.seed);
  const nRaw = opts.rawSamples ?? 256;
  const nRestarts = opts.restarts ?? 6;
  const D = space.featureDim;

  const raw: SearchPoint[] = [...(opts.initial ?? [])];
  const ud = space.unitDim;
  if (ud > 0) {
    const sobol = ud <= SOBOL_MAX_DIMENSION ? new SobolEngine(ud, { rng: rng.fork('raw') }) : undefined;
    const U = sobol ? sobol.draw(nRaw) : undefined;
    for (let i = 0; i < nRaw; i++) {
      const unit = U ? U.data.subarray(i * ud, (i + 1) * ud) : Float64Array.from({ length: ud }, () => rng.next());
      raw.push(dispensable(space, space.fromUnit(unit)));
    }
  } else raw.push({ u: new Float64Array(0), cats: new Int32Array(0) });

  const rawX = zeros(raw.length, D);
  raw.forEach((p, i) => space.toFeatures(p, rawX.data.subarray(i * D, (i + 1) * D)));
  const hasConstraints = space.spec.constraints.length > 0;
  const rawValues = Array.from(evaluateRows(acq, rawX), (v, i) => {
    if (hasConstraints && space.constraintSlacks(space.decodeRaw(rawX.data.subarray(i * D, (i + 1) * D))).some((s) => s > 1e-9)) return -Infinity;
    return Number.isFinite(v) ? v : -Infinity;
  });
  const starts = boltzmannSelect(rawValues, nRestarts, opts.eta ?? 2, rng);

  const candidates: SearchPoint[] = [];
  for (const idx of starts) {
    const start = raw[idx] as SearchPoint;
    candidates.push(start);
    let p = localOptimize(space, acq, start, opts.maxIterations ?? 40);
    if (space.categoryCounts.length > 0) p = improveCategories(space, acq, p, opts.maxIterations ?? 40);
    candidates.push(p);
  }
  // Fallback pool: the best raw samples, in case every optimum decodes to an excluded or invalid recipe.
  const rawOrder = rawValues.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of rawOrder.slice(0, 64)) candidates.push(raw[i] as SearchPoint);

  let best: AcquisitionOptimum | undefined;
  for (const p of candidates) {
    const recipe = space.decode(space.toFeatures(p));
    if (validateRecipe(space.spec, recipe).length > 0) continue;
    const features = space.encode(recipe);
    if (isExcluded(features, opts.exclude, opts.minDistance ?? 1e-4)) continue;
    const value = acq.value(features);
    if (!Number.isFinite(value)) continue;
    if (!best || value > best.value) best = { features, recipe, value };
  }
  if (best) return best;
  // Everything near-duplicates excluded points: return the best-valued distinct raw sample regardless of its value.
  for (const p of raw) {
    const recipe = space.decode(space.toFeatures(p));
    if (validateRecipe(space.spec, recipe).length > 0) continue;
    const features = space.encode(recipe);
    if (!isExcluded(features, opts.exclude, opts.minDistance ?? 1e-4)) return { features, recipe, value: acq.value(features) };
  }
  throw new Error('acquisition optimisation found no valid recipe that differs from the excluded points');
}

/**
 * With component-present features, a raw sample is scored as the recipe it would be dispensed as (small fractions
 * snapped to zero, at most maxComponents), so mixtures without some components are among the starts; L-BFGS-B alone
 * reaches them only at the box bounds. Without presence features the raw sample is kept as drawn.
 */
function dispensable(space: SearchSpace, p: SearchPoint): SearchPoint {
  if (space.presenceDim === 0) return p;
  try {
    return { u: space.fromFeatures(space.encode(space.decode(space.toFeatures(p)))).u, cats: p.cats };
  } catch {
    return p;
  }
}

function localOptimize(space: SearchSpace, acq: AcquisitionFunction, start: SearchPoint, maxIterations: number): SearchPoint {
  if (space.searchDim === 0) return start;
  const D = space.featureDim;
  const feat = new Float64Array(D);
  const gFeat = new Float64Array(D);
  const cats = start.cats;
  const res = minimizeLbfgsb(
    (u, g) => {
      const p = { u, cats };
      gFeat.fill(0);
      const v = acq.value(space.toFeatures(p, feat), gFeat);
      const gu = space.pullbackGradient(p, gFeat);
      for (let j = 0; j < g.length; j++) g[j] = -(gu[j] as number);
      return -v;
    },
    start.u,
    { lower: new Float64Array(space.searchDim), upper: new Float64Array(space.searchDim).fill(1), maxIterations, pgtol: 1e-6, ftol: 1e-9 },
  );
  return Number.isFinite(res.f) ? { u: res.x, cats } : start;
}

/** One pass of single-category swaps; accepted swaps are followed by a continuous re-optimisation. */
function improveCategories(space: SearchSpace, acq: AcquisitionFunction, p: SearchPoint, maxIterations: number): SearchPoint {
  let best = p;
  let bestV = acq.value(space.toFeatures(p));
  space.categoryCounts.forEach((k, c) => {
    for (let choice = 0; choice < k; choice++) {
      if (choice === best.cats[c]) continue;
      const cats = best.cats.slice();
      cats[c] = choice;
      const trial = { u: best.u, cats };
      const v = acq.value(space.toFeatures(trial));
      if (v > bestV) {
        best = trial;
        bestV = v;
      }
    }
  });
  return best === p ? p : localOptimize(space, acq, best, maxIterations);
}

/**
 * Picks `k` distinct indices: the arg-max, then draws without replacement with weights exp(η·standardised value)
 * (BoTorch's initialize_q_batch heuristic). Indices with value −∞ are never picked unless nothing else remains.
 */
export function boltzmannSelect(values: readonly number[], k: number, eta: number, rng: Rng): number[] {
  const finite = values.map((v, i) => [v, i] as const).filter(([v]) => Number.isFinite(v));
  if (finite.length === 0) return values.slice(0, k).map((_, i) => i);
  let mean = 0;
  for (const [v] of finite) mean += v;
  mean /= finite.length;
  let sd = 0;
  for (const [v] of finite) sd += (v - mean) ** 2;
  sd = Math.sqrt(sd / finite.length) || 1;
  const chosen: number[] = [];
  let top = finite[0] as readonly [number, number];
  for (const f of finite) if (f[0] > top[0]) top = f;
  chosen.push(top[1]);
  const pool = finite.filter(([, i]) => i !== top[1]).map(([v, i]) => ({ i, w: Math.exp(Math.min(50, eta * ((v - mean) / sd))) }));
  while (chosen.length < k && pool.length > 0) {
    const total = pool.reduce((s, e) => s + e.w, 0);
    let r = rng.next() * total;
    let pick = pool.length - 1;
    for (let j = 0; j < pool.length; j++) {
      r -= (pool[j] as { w: number }).w;
      if (r <= 0) {
        pick = j;
        break;
      }
    }
    chosen.push((pool[pick] as { i: number }).i);
    pool.splice(pick, 1);
  }
  return chosen;
}

export function isExcluded(features: ArrayLike<number>, exclude: Matrix | undefined, minDistance: number): boolean {
  if (!exclude) return false;
  const d = exclude.d;
  for (let i = 0; i < exclude.n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += ((features[j] as number) - (exclude.data[i * d + j] as number)) ** 2;
    if (s < minDistance * minDistance) return true;
  }
  return false;
}

/** Appends one row to a matrix (returns a new matrix). */
export function appendRow(m: Matrix, rowValues: ArrayLike<number>): Matrix {
  const out = zeros(m.n + 1, m.d);
  out.data.set(m.data);
  out.data.set(rowValues as ArrayLike<number>, m.n * m.d);
  return out;
}

/**
 * Sequential greedy q-batch: member j maximises `makeAcquisition(pending ∪ members 0..j−1)`.
 * `pending`: features (p×d) of running trials. Returns the q optima in order.
 */
export function optimizeBatch(
  space: SearchSpace,
  q: number,
  makeAcquisition: (pending: Matrix) => AcquisitionFunction,
  opts: OptimizeAcquisitionOptions & { pending?: Matrix; observed?: Matrix },
): AcquisitionOptimum[] {
  let pending = opts.pending ?? zeros(0, space.featureDim);
  const out: AcquisitionOptimum[] = [];
  for (let j = 0; j < q; j++) {
    const acq = makeAcquisition(pending);
    let exclude = pending;
    if (opts.observed) {
      const all = zeros(pending.n + opts.observed.n, space.featureDim);
      all.data.set(pending.data);
      all.data.set(opts.observed.data, pending.data.length);
      exclude = all;
    }
    const best = optimizeAcquisition(space, acq, { ...opts, seed: opts.seed + 7919 * j, exclude });
    out.push(best);
    pending = appendRow(pending, best.features);
  }
  return out;
}
