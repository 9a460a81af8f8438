import { hypervolume } from '../../models/metrics/hypervolume.ts';
import { Rng } from '../../src/domain/random.ts';

/**
 * Benchmark metrics (BENCHMARKS.md §A). For a pool of N points and a top set of K points:
 *   Top%(i)  fraction of the top set found after i evaluations (initial points included);
 *   EF(i)    = Top%(i) / (i/N), the enhancement over random sampling, whose expected Top%(i) is exactly i/N;
 *   AF(a)    = a·N / i(a), the acceleration to reach Top% = a.
 * "Reaching Top% a" means finding at least ceil(a·K) top points. Campaign arrays are 0-based: entry i−1 is after i
 * evaluations. Censored values (a campaign that stopped before reaching a level) are `null` / +∞ in medians.
 */

/** Top points needed for Top% ≥ a. */
export function requiredHits(K: number, a: number): number {
  return Math.max(1, Math.ceil(a * K - 1e-9));
}

/** Top%(i) for i = 1 … length, from the evaluation order; after the campaign's last evaluation the value is carried forward. */
export function topCurve(order: readonly number[], isTop: ArrayLike<number>, K: number, length = order.length): Float64Array {
  const out = new Float64Array(length);
  let hits = 0;
  for (let i = 0; i < length; i++) {
    if (i < order.length && isTop[order[i] as number]) hits++;
    out[i] = hits / K;
  }
  return out;
}

/** Evaluations a campaign needed to reach Top% ≥ a (initial points included), or null if it never did. */
export function experimentsTo(order: readonly number[], isTop: ArrayLike<number>, K: number, a: number): number | null {
  const need = requiredHits(K, a);
  let hits = 0;
  for (let i = 0; i < order.length; i++) {
    if (isTop[order[i] as number]) hits++;
    if (hits >= need) return i + 1;
  }
  return null;
}

/** First i (1-based) where an aggregated curve reaches a, or null. */
export function firstCrossing(curve: ArrayLike<number>, a: number): number | null {
  for (let i = 0; i < curve.length; i++) if ((curve[i] as number) >= a - 1e-12) return i + 1;
  return null;
}

/** Quantile with linear interpolation between order statistics (numpy's default); +∞ entries sort last. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo] as number;
  const b = s[hi] as number;
  if (lo === hi || a === b) return a;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  return a + (pos - lo) * (b - a);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Median of possibly censored counts (null = never reached); null when the median itself is censored. */
export function censoredMedian(values: readonly (number | null)[]): number | null {
  if (values.length === 0) return null;
  const m = median(values.map((v) => (v === null ? Infinity : v)));
  return Number.isFinite(m) ? m : null;
}

/** Pointwise quantile of equally long curves. */
export function pointwiseQuantile(curves: readonly Float64Array[], q: number): Float64Array {
  const len = curves[0]?.length ?? 0;
  const out = new Float64Array(len);
  const col = new Array<number>(curves.length);
  for (let i = 0; i < len; i++) {
    for (let c = 0; c < curves.length; c++) col[c] = (curves[c] as Float64Array)[i] as number;
    out[i] = quantile(col, q);
  }
  return out;
}

export interface LiangAggregate {
  /** The fold-averaged curves (splits × folds of them). */
  averaged: Float64Array[];
  median: Float64Array;
  p5: Float64Array;
  p95: Float64Array;
}

/**
 * Liang et al. (2021) aggregation: `splits` random partitions of the campaigns into `folds` folds; each fold's curves
 * are averaged; the median and 5th/95th percentiles are taken pointwise over all splits × folds averaged curves.
 * The partitions come from a seeded shuffle, so the aggregate is reproducible.
 */
export function liangAggregate(curves: readonly Float64Array[], opts: { splits?: number; folds?: number; seed?: number } = {}): LiangAggregate {
  const splits = opts.splits ?? 10;
  const folds = opts.folds ?? 5;
  const rng = new Rng(opts.seed ?? 2021);
  const n = curves.length;
  const len = curves[0]?.length ?? 0;
  const averaged: Float64Array[] = [];
  if (n < folds) throw new RangeError(`Liang aggregation needs at least ${folds} campaigns, got ${n}`);
  for (let s = 0; s < splits; s++) {
    const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    for (let f = 0; f < folds; f++) {
      const members = perm.slice(Math.round((f * n) / folds), Math.round(((f + 1) * n) / folds));
      const avg = new Float64Array(len);
      for (const m of members) {
        const c = curves[m] as Float64Array;
        for (let i = 0; i < len; i++) avg[i] = (avg[i] as number) + (c[i] as number);
      }
      for (let i = 0; i < len; i++) avg[i] = (avg[i] as number) / members.length;
      averaged.push(avg);
    }
  }
  return { averaged, median: pointwiseQuantile(averaged, 0.5), p5: pointwiseQuantile(averaged, 0.05), p95: pointwiseQuantile(averaged, 0.95) };
}

/** EF(i) = Top%(i)·N/i. */
export function efCurve(curve: ArrayLike<number>, N: number): Float64Array {
  return Float64Array.from({ length: curve.length }, (_, i) => ((curve[i] as number) * N) / (i + 1));
}

/** Largest EF of a curve and the first i where it occurs. */
export function efMax(curve: ArrayLike<number>, N: number): { value: number; at: number } {
  const ef = efCurve(curve, N);
  let best = { value: 0, at: 1 };
  ef.forEach((v, i) => {
    if (v > best.value + 1e-12) best = { value: v, at: i + 1 };
  });
  return best;
}

/** AF(a) = a·N / i(a); null when i(a) is unknown. */
export function accelerationFactor(a: number, N: number, experiments: number | null): number | null {
  return experiments === null || experiments <= 0 ? null : (a * N) / experiments;
}

/** Random sampling's expected Top%(i) = i/N reaches a at i = a·N (the reference of AF). */
export function randomExpectedCurveCrossing(a: number, N: number): number {
  return a * N;
}

/** Mean evaluations random sampling without replacement needs to find k = ceil(a·K) top points: k(N+1)/(K+1). */
export function randomMeanExperiments(a: number, N: number, K: number): number {
  return (requiredHits(K, a) * (N + 1)) / (K + 1);
}

/** Natural logs of 0! … n!. */
function logFactorials(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  for (let i = 2; i <= n; i++) out[i] = (out[i - 1] as number) + Math.log(i);
  return out;
}

/** P(a random campaign of i draws without replacement holds at least k of the K top points): hypergeometric tail. */
export function randomReachProbability(i: number, k: number, N: number, K: number, lf = logFactorials(N)): number {
  const lc = (n: number, r: number): number => (lf[n] as number) - (lf[r] as number) - (lf[n - r] as number);
  let p = 0;
  for (let j = k; j <= Math.min(i, K); j++) {
    if (i - j > N - K) continue;
    p += Math.exp(lc(K, j) + lc(N - K, i - j) - lc(N, i));
  }
  return Math.min(1, p);
}

/** Median evaluations random sampling needs to reach Top% ≥ a (exact, from the hypergeometric distribution). */
export function randomMedianExperiments(a: number, N: number, K: number): number {
  const k = requiredHits(K, a);
  const lf = logFactorials(N);
  let lo = k;
  let hi = N;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (randomReachProbability(mid, k, N, K, lf) >= 0.5) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Ax-style score: 100·(best − baseline)/(optimum − baseline); 100 = the optimum found, 0 = no better than the baseline. */
export function axScore(best: number, baseline: number, optimum: number): number {
  const span = optimum - baseline;
  return span === 0 ? 100 : (100 * (best - baseline)) / span;
}

/**
 * Percentile bootstrap CI of a statistic of per-seed values. `values` is seeds × arms-compared (one row per seed),
 * resampled by seed, so paired comparisons keep their pairing.
 */
export function bootstrapCi<T>(rows: readonly T[], statistic: (sample: T[]) => number, opts: { reps?: number; seed?: number; level?: number } = {}): [number, number] {
  const reps = opts.reps ?? 2000;
  const level = opts.level ?? 0.95;
  const rng = new Rng(opts.seed ?? 7);
  const stats: number[] = [];
  for (let r = 0; r < reps; r++) {
    const sample = Array.from({ length: rows.length }, () => rows[rng.int(rows.length)] as T);
    const v = statistic(sample);
    stats.push(Number.isNaN(v) ? Infinity : v);
  }
  return [quantile(stats, (1 - level) / 2), quantile(stats, 1 - (1 - level) / 2)];
}

/**
 * Several objectives: the fraction of the pool's Pareto-set hypervolume dominated by the evaluated points after each
 * evaluation (entry i−1 after i), in the pool's min–max scaled units (reference point: the pool's worst in each
 * objective); carried forward to `length`. The evaluated Pareto front is kept incrementally.
 */
export function hypervolumeCurve(order: readonly number[], hv: { scaled: readonly ArrayLike<number>[]; total: number }, length = order.length): Float64Array {
  const out = new Float64Array(length);
  let front: number[][] = [];
  let current = 0;
  for (let i = 0; i < length; i++) {
    const idx = order[i];
    if (idx !== undefined) {
      const p = hv.scaled.map((c) => c[idx] as number);
      const dominated = front.some((f) => f.every((v, k) => v >= (p[k] as number)));
      if (!dominated) {
        front = front.filter((f) => !p.every((v, k) => v >= (f[k] as number)));
        front.push(p);
        current = hv.total > 0 ? hypervolume(front, p.map(() => 0)) / hv.total : 0;
      }
    }
    out[i] = current;
  }
  return out;
}
