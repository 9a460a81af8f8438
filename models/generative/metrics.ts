/**
 * Metrics of generated recipes (ADR 0084), in the codec's normalised feature space (every column in [0, 1]; one-hot
 * categoricals, simplex fractions). Distances are Euclidean divided by √F, so a threshold reads as an RMS difference
 * per feature column. Rows: n×F float arrays.
 */
export function rowDistance(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, F: number): number {
  let s = 0;
  for (let k = 0; k < F; k++) {
    const d = (a[ai * F + k] as number) - (b[bi * F + k] as number);
    s += d * d;
  }
  return Math.sqrt(s / F);
}

/** For each row of `rows`, the distance to its nearest row of `reference` (Infinity when the reference is empty). */
export function nearestDistances(rows: ArrayLike<number>, n: number, reference: ArrayLike<number>, m: number, F: number): Float64Array {
  const out = new Float64Array(n).fill(Infinity);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      const d = rowDistance(rows, i, reference, j, F);
      if (d < (out[i] as number)) out[i] = d;
    }
  return out;
}

/** Share of distinct rows (rows closer than `eps` count as one). */
export function uniqueness(rows: ArrayLike<number>, n: number, F: number, eps = 1e-6): number {
  if (n === 0) return 0;
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (!kept.some((j) => rowDistance(rows, i, rows, j, F) < eps)) kept.push(i);
  return kept.length / n;
}

/**
 * Coverage at threshold δ: COV-R (recall) is the share of reference rows with a generated row within δ; COV-P
 * (precision) the share of generated rows within δ of some reference row.
 */
export function coverage(generated: ArrayLike<number>, n: number, reference: ArrayLike<number>, m: number, F: number, delta: number): { recall: number; precision: number } {
  if (n === 0 || m === 0) return { recall: 0, precision: 0 };
  const toRef = nearestDistances(generated, n, reference, m, F);
  const toGen = nearestDistances(reference, m, generated, n, F);
  return { recall: toGen.filter((d) => d <= delta).length / m, precision: toRef.filter((d) => d <= delta).length / n };
}

/** 1-Wasserstein distance between two samples of a real value (their empirical distributions). */
export function wasserstein1d(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || b.length === 0) return Number.NaN;
  const xs = [...a].sort((p, q) => p - q);
  const ys = [...b].sort((p, q) => p - q);
  // ∫ |F_a⁻¹(u) − F_b⁻¹(u)| du over the merged quantile grid.
  const cuts = new Set<number>([0, 1]);
  for (let i = 1; i < xs.length; i++) cuts.add(i / xs.length);
  for (let j = 1; j < ys.length; j++) cuts.add(j / ys.length);
  const grid = [...cuts].sort((p, q) => p - q);
  let w = 0;
  for (let k = 0; k + 1 < grid.length; k++) {
    const lo = grid[k] as number;
    const hi = grid[k + 1] as number;
    const mid = (lo + hi) / 2;
    const qa = xs[Math.min(xs.length - 1, Math.floor(mid * xs.length))] as number;
    const qb = ys[Math.min(ys.length - 1, Math.floor(mid * ys.length))] as number;
    w += (hi - lo) * Math.abs(qa - qb);
  }
  return w;
}

export interface GenerationMetrics {
  /** Decoded rows that are valid recipes and pass the safety gate, over rows drawn. */
  validity: number;
  uniqueness: number;
  /** Share of valid rows farther than `noveltyThreshold` from every training row. */
  novelty: number;
  /** Mean distance to the nearest training row. */
  meanNearest: number;
  covR: number;
  covP: number;
  /** Coverage threshold δ (normalised feature distance). */
  delta: number;
  /** W1 between the generated recipes' property values and the target property sample. */
  wasserstein: number;
  /** Share of valid rows whose property meets the target. */
  hitRate: number;
}
