import { zeros, type Matrix } from './matrix.ts';

/** Thrown when a matrix stays numerically indefinite even after the largest allowed jitter. */
export class NotPositiveDefiniteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotPositiveDefiniteError';
  }
}

export interface CholeskyResult {
  /** Lower-triangular factor, n×n row-major (upper triangle is zero). A + jitter·I = L·Lᵀ. */
  L: Matrix;
  /** Diagonal jitter that had to be added (0 when A factorised as given). */
  jitter: number;
}

export interface CholeskyOptions {
  /** First jitter tried, relative to the mean diagonal (default 1e-10). */
  initialRelativeJitter?: number;
  /** Largest jitter tried, relative to the mean diagonal (default 1e-4). */
  maxRelativeJitter?: number;
}

/**
 * Cholesky factorisation A = L·Lᵀ of a symmetric n×n matrix (only the lower triangle of A is read). When A is not
 * numerically positive definite, retries with jitter·I added, the jitter growing tenfold from
 * `initialRelativeJitter·mean(diag A)` up to `maxRelativeJitter·mean(diag A)`; throws NotPositiveDefiniteError after that.
 */
export function cholesky(A: Matrix, opts: CholeskyOptions = {}, out?: Matrix): CholeskyResult {
  if (A.n !== A.d) throw new RangeError(`cholesky needs a square matrix, got ${A.n}×${A.d}`);
  const n = A.n;
  if (out && (out.n !== n || out.d !== n)) throw new RangeError('cholesky output buffer has the wrong shape');
  const L = out ?? zeros(n, n);
  if (n === 0) return { L, jitter: 0 };
  if (tryFactor(A.data, L.data, n, 0)) return { L, jitter: 0 };
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += Math.abs(A.data[i * n + i] as number);
  meanDiag = meanDiag / n || 1;
  const maxJitter = (opts.maxRelativeJitter ?? 1e-4) * meanDiag;
  for (let jitter = (opts.initialRelativeJitter ?? 1e-10) * meanDiag; jitter <= maxJitter * (1 + 1e-9); jitter *= 10) {
    if (tryFactor(A.data, L.data, n, jitter)) return { L, jitter };
  }
  throw new NotPositiveDefiniteError(`matrix of size ${n} is not positive definite even with jitter ${maxJitter.toExponential(2)}`);
}

/**
 * Factorises the symmetric n×n `A` where it stands, without jitter: the lower triangle is read and overwritten by L,
 * the upper triangle zeroed — the same arithmetic as `cholesky`'s first attempt. False when A is not numerically
 * positive definite; A is then spoilt and must be rebuilt for a retry with jitter.
 */
export function choleskyInPlace(A: Matrix): boolean {
  if (A.n !== A.d) throw new RangeError(`cholesky needs a square matrix, got ${A.n}×${A.d}`);
  return tryFactor(A.data, A.data, A.n, 0);
}

/** Σ_{k<len} a[aOff+k]·b[bOff+k], four accumulators (about twice as fast in V8 as the plain loop). */
export function dotRange(a: Float64Array, aOff: number, b: Float64Array, bOff: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += (a[aOff + k] as number) * (b[bOff + k] as number);
    s1 += (a[aOff + k + 1] as number) * (b[bOff + k + 1] as number);
    s2 += (a[aOff + k + 2] as number) * (b[bOff + k + 2] as number);
    s3 += (a[aOff + k + 3] as number) * (b[bOff + k + 3] as number);
  }
  for (; k < len; k++) s0 += (a[aOff + k] as number) * (b[bOff + k] as number);
  return s0 + s1 + (s2 + s3);
}

/** y[yOff+k] += alpha·x[xOff+k] for k < len (unrolled by four). */
export function axpyRange(y: Float64Array, yOff: number, alpha: number, x: Float64Array, xOff: number, len: number): void {
  let k = 0;
  for (; k + 3 < len; k += 4) {
    y[yOff + k] = (y[yOff + k] as number) + alpha * (x[xOff + k] as number);
    y[yOff + k + 1] = (y[yOff + k + 1] as number) + alpha * (x[xOff + k + 1] as number);
    y[yOff + k + 2] = (y[yOff + k + 2] as number) + alpha * (x[xOff + k + 2] as number);
    y[yOff + k + 3] = (y[yOff + k + 3] as number) + alpha * (x[xOff + k + 3] as number);
  }
  for (; k < len; k++) y[yOff + k] = (y[yOff + k] as number) + alpha * (x[xOff + k] as number);
}

/** Row-oriented (Cholesky–Banachiewicz) factorisation into `l`; false when a pivot is not positive. */
function tryFactor(a: Float64Array, l: Float64Array, n: number, jitter: number): boolean {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = (a[ri + j] as number) - dotRange(l, ri, l, rj, j);
      if (i === j) {
        s += jitter;
        if (!(s > 0) || !Number.isFinite(s)) return false;
        l[ri + i] = Math.sqrt(s);
      } else {
        l[ri + j] = s / (l[rj + j] as number);
      }
    }
    for (let j = i + 1; j < n; j++) l[ri + j] = 0;
  }
  return true;
}

/** log det(L·Lᵀ) = 2 Σ log L_ii. */
export function logDetFromCholesky(L: Matrix): number {
  let s = 0;
  for (let i = 0; i < L.n; i++) s += Math.log(L.data[i * L.n + i] as number);
  return 2 * s;
}

/** L⁻¹ for lower-triangular L (lower-triangular result). Row-oriented: row i = (e_i − Σ_k L_ik·row k) / L_ii. */
export function invertLower(L: Matrix, out?: Matrix): Matrix {
  const n = L.n;
  const inv = out ?? zeros(n, n);
  const l = L.data;
  const v = inv.data;
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    v.fill(0, ri, ri + n);
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k] as number;
      if (lik === 0) continue;
      axpyRange(v, ri, -lik, v, k * n, k + 1);
    }
    const d = 1 / (l[ri + i] as number);
    for (let c = 0; c < i; c++) v[ri + c] = (v[ri + c] as number) * d;
    v[ri + i] = d;
  }
  return inv;
}

/** (L·Lᵀ)⁻¹ = L⁻ᵀ·L⁻¹, symmetric n×n. `work` and `out` (n×n) may be given to avoid allocations. */
export function inverseFromCholesky(L: Matrix, work?: Matrix, out?: Matrix): Matrix {
  const n = L.n;
  const Li = invertLower(L, work);
  const res = out ?? zeros(n, n);
  const li = Li.data;
  const o = res.data;
  // Transpose L⁻¹ in place of `res` scratch? No: use the upper triangle of `li` itself as Uᵀ storage is lower; build
  // U = (L⁻¹)ᵀ row-major so that (L⁻ᵀL⁻¹)_ij = Σ_{k ≥ max(i,j)} U_ik·U_jk is a dot product of contiguous row tails.
  for (let i = 0; i < n; i++) for (let k = 0; k < i; k++) li[k * n + i] = li[i * n + k] as number;
  // Now the upper triangle of `li` holds U (row i, columns k ≥ i); the strict lower part is stale and unused.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = dotRange(li, j * n + i, li, i * n + i, n - i);
      o[i * n + j] = v;
      o[j * n + i] = v;
    }
  }
  return res;
}
