/**
 * ParEGO-style scalarisation of several objectives (Knowles 2006): each round draws a weight vector uniformly from
 * the simplex and turns the observed objective vectors into one number to model and maximise.
 */

/** A weight vector drawn uniformly from the (m−1)-simplex (normalised standard exponentials). */
export function randomSimplexWeights(m: number, uniform: () => number): number[] {
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`need at least one objective, got ${m}`);
  const e = Array.from({ length: m }, () => -Math.log(1 - uniform()));
  const total = e.reduce((a, b) => a + b, 0);
  return total > 0 ? e.map((v) => v / total) : e.map(() => 1 / m);
}

/**
 * Augmented Chebyshev scalarisation of objectives to maximise: each objective is min–max normalised over the given
 * rows (a constant objective counts 0.5), then s = min_k w_k·v_k + ρ·Σ_k w_k·v_k. Y holds one array per objective.
 */
export function augmentedChebyshev(Y: readonly ArrayLike<number>[], weights: readonly number[], rho = 0.05): number[] {
  const m = Y.length;
  if (m === 0 || weights.length !== m) throw new RangeError(`${weights.length} weights for ${m} objectives`);
  const n = (Y[0] as ArrayLike<number>).length;
  const lo: number[] = [];
  const hi: number[] = [];
  for (const col of Y) {
    if (col.length !== n) throw new RangeError('every objective needs a value for every row');
    let a = Infinity;
    let b = -Infinity;
    for (let i = 0; i < n; i++) {
      a = Math.min(a, col[i] as number);
      b = Math.max(b, col[i] as number);
    }
    lo.push(a);
    hi.push(b);
  }
  return Array.from({ length: n }, (_, i) => {
    let mn = Infinity;
    let sum = 0;
    for (let k = 0; k < m; k++) {
      const span = (hi[k] as number) - (lo[k] as number);
      const v = span > 0 ? (((Y[k] as ArrayLike<number>)[i] as number) - (lo[k] as number)) / span : 0.5;
      const w = weights[k] as number;
      mn = Math.min(mn, w * v);
      sum += w * v;
    }
    return mn + rho * sum;
  });
}
