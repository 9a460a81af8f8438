import type { Matrix } from '../linalg/index.ts';
import { forwardSquaredNorm } from '../linalg/lower-factor.ts';
import type { KernelKind } from './kernels.ts';
import type { GaussianProcess } from './gp.ts';

/**
 * Marginal GP posteriors at many rows, fused and allocation-free (ADR 0085): per row the kernel column against the
 * training inputs, the mean c + kᵀα (plus a·h(x) with a prior mean, ADR 0118) and the variance s² − ‖L⁻¹k‖² by one
 * forward substitution into a scratch vector. The arithmetic is that of `GaussianProcess.pointPosterior` per row (same
 * values up to rounding), without its per-call allocations and generic kernel calls; about 2 µs per row and GP at
 * n ≈ 50 on this machine.
 */
export interface RowPosterior {
  /** Model-space means (length m). */
  mean: Float64Array;
  /** Model-space latent variances (length m). */
  variance: Float64Array;
}

const SQRT5 = Math.sqrt(5);

/** Rows of X (n×d, row-major) with column j multiplied by √invL2_j: squared distances then need no weights. */
export function scaleRows(X: Float64Array, n: number, invL2: ArrayLike<number>): Float64Array {
  const d = invL2.length;
  const out = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const w = Math.sqrt(invL2[j] as number);
    for (let i = 0; i < n; i++) out[i * d + j] = (X[i * d + j] as number) * w;
  }
  return out;
}

/**
 * A kernel column s²·k(r²) of one query row against n training rows, both pre-scaled (`scaleRows`), into `out`:
 * r² = Σ_j (q_j − x_ij)².
 */
export function kernelColumn(kind: KernelKind, s2: number, d: number, Xs: Float64Array, n: number, q: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let r2 = 0;
    const off = i * d;
    for (let j = 0; j < d; j++) {
      const diff = (q[j] as number) - (Xs[off + j] as number);
      r2 += diff * diff;
    }
    if (kind === 'rbf') out[i] = s2 * Math.exp(-0.5 * r2);
    else {
      const r = Math.sqrt(r2);
      out[i] = s2 * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
    }
  }
}

/** Query row r of X scaled by √invL2 into `q`. */
export function scaledRow(X: Matrix, r: number, sqrtInvL2: Float64Array, q: Float64Array): void {
  const off = r * X.d;
  for (let j = 0; j < X.d; j++) q[j] = (X.data[off + j] as number) * (sqrtInvL2[j] as number);
}

/** Posterior mean and latent variance of `gp` at every row of X (m × gp.d). */
export function posteriorRows(gp: GaussianProcess, X: Matrix): RowPosterior {
  const n = gp.n;
  const d = gp.d;
  if (X.d !== d) throw new RangeError(`rows have ${X.d} columns, the model ${d}`);
  const { kernel, outputscale: s2, mean: mu0 } = gp.hyperparameters;
  const w = gp.inverseSquaredLengthscales.map(Math.sqrt);
  const Xs = scaleRows(gp.X.data, n, gp.inverseSquaredLengthscales);
  const q = new Float64Array(d);
  const L = gp.factor;
  const alpha = gp.alpha;
  const k = new Float64Array(n);
  const v = new Float64Array(n);
  const mean = new Float64Array(X.n);
  const variance = new Float64Array(X.n);
  for (let r = 0; r < X.n; r++) {
    scaledRow(X, r, w, q);
    kernelColumn(kernel, s2, d, Xs, n, q, k);
    let mu = mu0;
    if (gp.priorMean) mu += gp.meanOffset(X.data, r * X.d);
    for (let i = 0; i < n; i++) mu += (k[i] as number) * (alpha[i] as number);
    mean[r] = mu;
    variance[r] = Math.max(s2 - forwardSquaredNorm(L, k, v), 1e-12 * s2);
  }
  return { mean, variance };
}

/** Outcome-unit mean and latent sd at every row (as `GaussianProcess.predict`). */
export function predictRows(gp: GaussianProcess, X: Matrix): { mean: Float64Array; sd: Float64Array } {
  const p = posteriorRows(gp, X);
  return { mean: p.mean.map((v) => gp.standardizer.backward(v)), sd: p.variance.map((v) => gp.standardizer.backwardSd(Math.sqrt(v))) };
}

/** UCB μ + √β·σ in model space at every row (as `createUCB(gp, { beta }).value`). */
export function ucbRows(gp: GaussianProcess, beta: number, X: Matrix): Float64Array {
  const p = posteriorRows(gp, X);
  const sb = Math.sqrt(beta);
  return p.mean.map((mu, i) => mu + sb * Math.sqrt(p.variance[i] as number));
}
