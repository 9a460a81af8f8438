import { axpyRange, cholesky, dotRange } from './cholesky.ts';
import { zeros, type Matrix } from './matrix.ts';

/**
 * Triangular solves with Cholesky factors, and appending rows to a factor.
 *
 * A lower-triangular Cholesky factor of size n is kept in two parts, so that appending rows copies nothing: the first
 * `base.n` rows are those of `base` (row-major, stride base.n), every later row i is a full row of length n in `tail`
 * (row i at offset (i − base.n)·n, entries 0 … i, zeros after). Row i reads the same values in the same order as
 * row i of the n×n matrix `toMatrix` gives, so a solve gives bit-for-bit the same result whether the factor has appended
 * rows or is one matrix (`solveLower` and the other matrix forms below are the same loops on a factor without rows
 * appended).
 *
 * Why: a GP's batch proposals condition it on the pending points ("fantasies") one batch place at a time, and copying
 * its n×n factor into an (n + k)×(n + k) one per place churned 8 MB blocks per proposal at n = 1000, which the C
 * allocator keeps as resident holes (issue 14's memory target).
 */
export interface LowerFactor {
  readonly n: number;
  readonly base: Matrix;
  readonly tail: Float64Array;
}

const NO_TAIL = new Float64Array(0);

/** The factor held in an n×n lower-triangular matrix (not copied). */
export function lowerFactor(L: Matrix): LowerFactor {
  if (L.n !== L.d) throw new RangeError(`a lower factor needs a square matrix, got ${L.n}×${L.d}`);
  return { n: L.n, base: L, tail: NO_TAIL };
}

/** Solves L·x = b; returns a new vector (as `solveLower`). */
export function forwardSolve(f: LowerFactor, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(f.n);
  forwardSolveInto(f, b, x);
  return x;
}

/** ‖L⁻¹b‖², with `v` (length n) as scratch for L⁻¹b. */
export function forwardSquaredNorm(f: LowerFactor, b: ArrayLike<number>, v: Float64Array): number {
  forwardSolveInto(f, b, v);
  let vv = 0;
  for (let i = 0; i < f.n; i++) vv += (v[i] as number) * (v[i] as number);
  return vv;
}

function forwardSolveInto(f: LowerFactor, b: ArrayLike<number>, x: Float64Array): void {
  const { n, tail } = f;
  const n0 = f.base.n;
  const base = f.base.data;
  for (let i = 0; i < n0; i++) {
    const ri = i * n0;
    x[i] = ((b[i] as number) - dotRange(base, ri, x, 0, i)) / (base[ri + i] as number);
  }
  for (let i = n0; i < n; i++) {
    const ri = (i - n0) * n;
    x[i] = ((b[i] as number) - dotRange(tail, ri, x, 0, i)) / (tail[ri + i] as number);
  }
}

/** Solves Lᵀ·x = b; returns a new vector (as `solveLowerTranspose`). */
export function backSolve(f: LowerFactor, b: ArrayLike<number>): Float64Array {
  const { n, tail } = f;
  const n0 = f.base.n;
  const base = f.base.data;
  const x = Float64Array.from(b as ArrayLike<number>);
  for (let i = n - 1; i >= n0; i--) {
    const ri = (i - n0) * n;
    const xi = (x[i] as number) / (tail[ri + i] as number);
    x[i] = xi;
    axpyRange(x, 0, -xi, tail, ri, i);
  }
  for (let i = n0 - 1; i >= 0; i--) {
    const ri = i * n0;
    const xi = (x[i] as number) / (base[ri + i] as number);
    x[i] = xi;
    axpyRange(x, 0, -xi, base, ri, i);
  }
  return x;
}

/** Solves L·X = B for every column of B (n×m); returns X (as `solveLowerMatrix`), written into `out` when given. */
export function forwardSolveMatrix(f: LowerFactor, B: Matrix, out?: Matrix): Matrix {
  const { n, tail } = f;
  const n0 = f.base.n;
  const m = B.d;
  if (B.n !== n) throw new RangeError(`forwardSolveMatrix shape mismatch ${n} vs ${B.n}×${B.d}`);
  if (out && (out.n !== n || out.d !== m)) throw new RangeError('forwardSolveMatrix output buffer has the wrong shape');
  const X = out ?? zeros(n, m);
  const x = X.data;
  for (let i = 0; i < n; i++) {
    const l = i < n0 ? f.base.data : tail;
    const ri = i < n0 ? i * n0 : (i - n0) * n;
    const xi = i * m;
    for (let c = 0; c < m; c++) x[xi + c] = B.data[xi + c] as number;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k] as number;
      if (lik !== 0) axpyRange(x, xi, -lik, x, k * m, m);
    }
    const inv = 1 / (l[ri + i] as number);
    for (let c = 0; c < m; c++) x[xi + c] = (x[xi + c] as number) * inv;
  }
  return X;
}

/**
 * The factor of [[A, C], [Cᵀ, S]] from the factor of A (n×n), m points appended at once in O(n²·m + m³): B = L⁻¹C,
 * then the factor of the Schur complement S − BᵀB (jitter as `cholesky`, up to 1e-6 of its mean diagonal). `C` is
 * n×m; only the lower triangle of the m×m `S` is read. The base rows are shared with `f`, not copied.
 */
export function appendBlock(f: LowerFactor, C: Matrix, S: Matrix): LowerFactor {
  const n = f.n;
  const m = C.d;
  if (C.n !== n) throw new RangeError(`appendBlock: C has ${C.n} rows, expected ${n}`);
  if (S.n !== m || S.d !== m) throw new RangeError(`appendBlock: S must be ${m}×${m}`);
  const B = forwardSolveMatrix(f, C);
  const schur = zeros(m, m);
  for (let a = 0; a < m; a++)
    for (let b = 0; b <= a; b++) {
      let s = S.data[a * m + b] as number;
      for (let i = 0; i < n; i++) s -= (B.data[i * m + a] as number) * (B.data[i * m + b] as number);
      schur.data[a * m + b] = s;
    }
  const Ls = cholesky(schur, { initialRelativeJitter: 1e-10, maxRelativeJitter: 1e-6 }).L;
  const n0 = f.base.n;
  const N = n + m;
  const tail = new Float64Array((N - n0) * N);
  for (let i = n0; i < n; i++) tail.set(f.tail.subarray((i - n0) * n, (i - n0) * n + i + 1), (i - n0) * N);
  for (let a = 0; a < m; a++) {
    const r = (n + a - n0) * N;
    for (let i = 0; i < n; i++) tail[r + i] = B.data[i * m + a] as number;
    for (let b = 0; b <= a; b++) tail[r + n + b] = Ls.data[a * m + b] as number;
  }
  return { n: N, base: f.base, tail };
}

/** The factor as one n×n lower-triangular matrix (the base itself when there is no tail). */
export function toMatrix(f: LowerFactor): Matrix {
  const n0 = f.base.n;
  if (f.n === n0) return f.base;
  const n = f.n;
  const out = zeros(n, n);
  for (let i = 0; i < n0; i++) out.data.set(f.base.data.subarray(i * n0, i * n0 + i + 1), i * n);
  out.data.set(f.tail, n0 * n);
  return out;
}

/** Solves L·x = b for lower-triangular L (n×n); returns a new vector. */
export function solveLower(L: Matrix, b: ArrayLike<number>): Float64Array {
  return forwardSolve(lowerFactor(L), b);
}

/** Solves Lᵀ·x = b for lower-triangular L (n×n); returns a new vector. */
export function solveLowerTranspose(L: Matrix, b: ArrayLike<number>): Float64Array {
  return backSolve(lowerFactor(L), b);
}

/** Solves (L·Lᵀ)·x = b; returns a new vector. */
export function choleskySolve(L: Matrix, b: ArrayLike<number>): Float64Array {
  return solveLowerTranspose(L, solveLower(L, b));
}

/** Solves L·X = B for every column of B (n×m); returns X (n×m). Row-oriented, so each step reads contiguous rows. */
export function solveLowerMatrix(L: Matrix, B: Matrix): Matrix {
  return forwardSolveMatrix(lowerFactor(L), B);
}

/** Solves Lᵀ·X = B for every column of B (n×m); returns X (n×m). */
export function solveLowerTransposeMatrix(L: Matrix, B: Matrix): Matrix {
  const n = L.n;
  const m = B.d;
  if (B.n !== n) throw new RangeError(`solveLowerTransposeMatrix shape mismatch ${n} vs ${B.n}×${B.d}`);
  const X = { n, d: m, data: B.data.slice() };
  const x = X.data;
  const l = L.data;
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    const xi = i * m;
    const inv = 1 / (l[ri + i] as number);
    for (let c = 0; c < m; c++) x[xi + c] = (x[xi + c] as number) * inv;
    // Row i of L (left of the diagonal) is column i of Lᵀ above the diagonal.
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k] as number;
      if (lik !== 0) axpyRange(x, k * m, -lik, x, xi, m);
    }
  }
  return X;
}
