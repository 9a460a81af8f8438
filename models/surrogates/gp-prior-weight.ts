import { forwardSolve, type LowerFactor } from '../linalg/index.ts';

/** How a prior-mean basis's weight is estimated (ADR 0118). */
export interface PriorWeightOptions {
  /** Standard deviation of the weight's zero-mean Gaussian prior (model space per basis unit). */
  sd: number;
  /** Largest weight; the least is 0 (a basis that misleads fades, it is never turned upside down). */
  max: number;
  /** Bounds of the constant mean c (the GP's own bounds on its mean hyper-parameter). */
  meanBounds: readonly [number, number];
}

/**
 * The generalised-least-squares estimate of a GP's mean c + a·h(x) given its kernel (Rasmussen & Williams §2.7, with a
 * flat prior on c and a ~ N(0, sd²)): minimises (y − c·1 − a·h)ᵀ(K + noise)⁻¹(y − c·1 − a·h) + a²/sd², then a is
 * clipped to [0, max] and c re-estimated for the clipped a. `factor`: Cholesky factor of K + noise (n×n); `y`: the
 * standardised targets (length n); `h`: the basis at the training inputs (length n). Returns the weight a and the
 * constant c. A basis unrelated to y gets a weight near 0; the prior keeps a few results from giving it a large one.
 */
export function priorWeight(factor: LowerFactor, y: ArrayLike<number>, h: ArrayLike<number>, opts: PriorWeightOptions): { weight: number; mean: number } {
  const n = factor.n;
  const u = forwardSolve(factor, new Float64Array(n).fill(1));
  const v = forwardSolve(factor, h);
  const t = forwardSolve(factor, y);
  let uu = 0;
  let uv = 0;
  let vv = 0;
  let ut = 0;
  let vt = 0;
  for (let i = 0; i < n; i++) {
    const ui = u[i] as number;
    const vi = v[i] as number;
    const ti = t[i] as number;
    uu += ui * ui;
    uv += ui * vi;
    vv += vi * vi;
    ut += ui * ti;
    vt += vi * ti;
  }
  const vvp = vv + 1 / (opts.sd * opts.sd);
  const det = uu * vvp - uv * uv;
  let a = det > 0 ? (uu * vt - uv * ut) / det : 0;
  a = Math.min(opts.max, Math.max(0, Number.isFinite(a) ? a : 0));
  const c = uu > 0 ? (ut - a * uv) / uu : 0;
  return { weight: a, mean: Math.min(opts.meanBounds[1], Math.max(opts.meanBounds[0], c)) };
}
