import type { Recipe } from '../../src/domain/index.ts';
import { validateRecipe } from '../../src/domain/recipe.ts';
import { Rng } from '../../src/domain/random.ts';
import { zeros, type Matrix } from '../linalg/index.ts';
import { SOBOL_MAX_DIMENSION, SobolEngine } from '../sobol.ts';
import { evaluateRows, type AcquisitionFunction } from '../acquisition/types.ts';
import { createChart, neighbourFeatures, sampleDispensable, stateOf } from '../transforms/face-chart.ts';
import type { SearchPoint, SearchSpace } from '../transforms/search-space.ts';
import { minimizeLbfgsb } from './lbfgsb.ts';

/**
 * Maximises an acquisition function over the dispensable set of a campaign's search space (ADR 0046):
 * raw starts drawn from the dispensable set itself (scrambled Sobol for the numbers and the weights on a face, a random
 * support per simplex of a size that fits minFraction and maxComponents; half of them as snapped uniform mixtures)
 * plus caller-given starts → Boltzmann-selected restarts (the best raw point always included) → bounded L-BFGS in the
 * chart of each start's support face (models/transforms/face-chart.ts: every fraction ≥ minFraction, at most
 * maxComponents, categories fixed) → discrete neighbour moves (add / drop / swap one component, change one category),
 * the best neighbours refined in their own chart, kept while they improve. Every point scored lies in the dispensable
 * set, so nothing is lost to snapping: the returned value is that of the recipe actually proposed (re-encoded and
 * re-scored; integers are rounded there). Candidates that violate linear constraints, fail `validateRecipe`, or
 * duplicate an excluded point are skipped.
 */
export interface OptimizeAcquisitionOptions {
  seed: number;
  /** Raw samples from the dispensable set (default 256). */
  rawSamples?: number;
  /** L-BFGS restarts (default 6). */
  restarts?: number;
  /** Iterations per restart (default 40). */
  maxIterations?: number;
  /** Boltzmann temperature on standardised raw values (default 2). */
  eta?: number;
  /** Rounds of discrete neighbour moves after each restart (default 3; 0 disables). */
  neighbourRounds?: number;
  /** Neighbours refined by L-BFGS per round (default 2). */
  neighbourRefines?: number;
  /** Extra raw candidates (e.g. observed optima and their neighbours); snapped into the dispensable set. */
  initial?: SearchPoint[];
  /** Extra raw candidates as features (e.g. the best observed recipes); snapped into the dispensable set. */
  initialFeatures?: Float64Array[];
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

/** Valid candidates re-scored as dispensed before the best is chosen. */
const RESCORED = 8;

interface Scored {
  z: Float64Array;
  v: number;
}

export function optimizeAcquisition(space: SearchSpace, acq: AcquisitionFunction, opts: OptimizeAcquisitionOptions): AcquisitionOptimum {
  const rng = new Rng(opts.seed);
  const nRaw = opts.rawSamples ?? 256;
  const nRestarts = opts.restarts ?? 6;
  const maxIterations = opts.maxIterations ?? 40;
  const D = space.featureDim;
  const hasConstraints = space.spec.constraints.length > 0;
  const violates = (z: ArrayLike<number>): boolean => hasConstraints && space.constraintSlacks(space.decodeRaw(z)).some((sl) => sl > 1e-9);

  const raw: Float64Array[] = [];
  for (const p of opts.initial ?? []) pushDispensable(space, raw, space.toFeatures(p));
  for (const z of opts.initialFeatures ?? []) pushDispensable(space, raw, z);
  const ud = space.unitDim;
  if (ud > 0) {
    const sobol = ud <= SOBOL_MAX_DIMENSION ? new SobolEngine(ud, { rng: rng.fork('raw') }) : undefined;
    const U = sobol ? sobol.draw(nRaw) : undefined;
    const supportRng = rng.fork('supports');
    for (let i = 0; i < nRaw; i++) {
      const unit = U ? U.data.subarray(i * ud, (i + 1) * ud) : Float64Array.from({ length: ud }, () => rng.next());
      if (i % 2 === 0) raw.push(sampleDispensable(space, unit, supportRng));
      else pushDispensable(space, raw, space.toFeatures(space.fromUnit(unit)));
    }
  } else raw.push(space.toFeatures({ u: new Float64Array(0), cats: new Int32Array(0) }));

  const rawX = zeros(raw.length, D);
  raw.forEach((z, i) => rawX.data.set(z, i * D));
  const rawValues = Array.from(evaluateRows(acq, rawX), (v, i) => (violates(raw[i] as Float64Array) ? -Infinity : Number.isFinite(v) ? v : -Infinity));
  const starts = boltzmannSelect(rawValues, nRestarts, opts.eta ?? 2, rng);

  const candidates: Scored[] = [];
  for (const idx of starts) {
    const start = { z: raw[idx] as Float64Array, v: rawValues[idx] as number };
    let p = localOptimize(space, acq, start, maxIterations);
    p = neighbourSearch(space, acq, p, { rounds: opts.neighbourRounds ?? 3, refines: opts.neighbourRefines ?? 2, maxIterations, violates });
    candidates.push(p);
  }
  // Fallback pool: the best raw samples, in case every optimum decodes to an excluded or invalid recipe.
  const rawOrder = rawValues.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  for (const [v, i] of rawOrder.slice(0, 64)) candidates.push({ z: raw[i] as Float64Array, v });

  // Candidates in order of their value; the first few that are valid and not excluded are re-scored as dispensed
  // (integer rounding can change a value), the best of them wins.
  candidates.sort((a, b) => b.v - a.v);
  let best: AcquisitionOptimum | undefined;
  let valid = 0;
  for (const c of candidates) {
    const o = dispensed(space, acq, c.z, opts.exclude, opts.minDistance ?? 1e-4);
    if (!o) continue;
    if (!best || o.value > best.value) best = o;
    if (++valid >= RESCORED) break;
  }
  if (best) return best;
  // Everything near-duplicates excluded points: return the best-valued distinct raw sample regardless of its value.
  for (const z of raw) {
    const o = dispensed(space, acq, z, opts.exclude, opts.minDistance ?? 1e-4, true);
    if (o) return o;
  }
  throw new Error('acquisition optimisation found no valid recipe that differs from the excluded points');
}

/** The recipe features `z` stand for, re-encoded and re-scored; undefined when invalid or excluded. */
function dispensed(space: SearchSpace, acq: AcquisitionFunction, z: Float64Array, exclude: Matrix | undefined, minDistance: number, anyValue = false): AcquisitionOptimum | undefined {
  const recipe = space.decode(z);
  if (validateRecipe(space.spec, recipe).length > 0) return undefined;
  const features = space.encode(recipe);
  if (isExcluded(features, exclude, minDistance)) return undefined;
  const value = acq.value(features);
  if (!anyValue && !Number.isFinite(value)) return undefined;
  return { features, recipe, value };
}

/** Snaps features into the dispensable set (`normaliseRecipe`) and appends them; skipped when they cannot be encoded. */
function pushDispensable(space: SearchSpace, out: Float64Array[], z: ArrayLike<number>): void {
  try {
    out.push(space.encode(space.decode(z)));
  } catch {
    // e.g. a simplex without any positive component: not a recipe.
  }
}

/** Bounded L-BFGS in the chart of the face `start` lies on (supports and categories fixed). */
function localOptimize(space: SearchSpace, acq: AcquisitionFunction, start: Scored, maxIterations: number): Scored {
  const chart = createChart(space, stateOf(space, start.z));
  if (chart.dim === 0 || maxIterations <= 0) return start;
  const D = space.featureDim;
  const feat = new Float64Array(D);
  const gFeat = new Float64Array(D);
  const gt = new Float64Array(chart.dim);
  const res = minimizeLbfgsb(
    (t, g) => {
      gFeat.fill(0);
      const v = acq.value(chart.toFeatures(t, feat), gFeat);
      chart.pullback(t, gFeat, gt);
      for (let j = 0; j < g.length; j++) g[j] = -(gt[j] as number);
      return -v;
    },
    chart.fromFeatures(start.z),
    { lower: new Float64Array(chart.dim), upper: new Float64Array(chart.dim).fill(1), maxIterations, pgtol: 1e-6, ftol: 1e-9 },
  );
  if (!Number.isFinite(res.f) || -res.f <= start.v) return start;
  return { z: chart.toFeatures(res.x), v: -res.f };
}

/**
 * Discrete moves between faces: every neighbour (one support move or one category change) is scored where it lands;
 * the best `refines` are refined in their own chart; the best result replaces the point while it improves.
 */
function neighbourSearch(
  space: SearchSpace,
  acq: AcquisitionFunction,
  start: Scored,
  o: { rounds: number; refines: number; maxIterations: number; violates: (z: ArrayLike<number>) => boolean },
): Scored {
  let cur = start;
  for (let round = 0; round < o.rounds; round++) {
    const nbs = neighbourFeatures(space, cur.z).filter((z) => !o.violates(z));
    if (nbs.length === 0) return cur;
    const X = zeros(nbs.length, space.featureDim);
    nbs.forEach((z, i) => X.data.set(z, i * space.featureDim));
    const vals = evaluateRows(acq, X);
    const order = Array.from(vals, (v, i) => [v, i] as const)
      .filter(([v]) => Number.isFinite(v))
      .sort((a, b) => b[0] - a[0])
      .slice(0, o.refines);
    let bestNext: Scored | undefined;
    for (const [v, i] of order) {
      const r = localOptimize(space, acq, { z: nbs[i] as Float64Array, v }, o.maxIterations);
      if (!o.violates(r.z) && (!bestNext || r.v > bestNext.v)) bestNext = r;
    }
    if (!bestNext || !(bestNext.v > cur.v + 1e-12)) return cur;
    cur = bestNext;
  }
  return cur;
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
