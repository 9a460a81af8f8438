/**
 * Dense float64 matrices, row-major. A `Matrix` with shape n×d stores entry (i, j) at `data[i * d + j]`.
 * All Gaussian-process algebra in labloop runs on these (see docs/decisions/0004-gp-numerics-float64.md).
 */
export interface Matrix {
  /** Number of rows. */
  readonly n: number;
  /** Number of columns. */
  readonly d: number;
  /** Row-major entries, length n·d. */
  readonly data: Float64Array;
}

/** An n×d matrix of zeros. */
export function zeros(n: number, d: number): Matrix {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 0) throw new RangeError(`bad matrix shape ${n}×${d}`);
  return { n, d, data: new Float64Array(n * d) };
}

/** Wraps existing row-major data (not copied). */
export function matrix(n: number, d: number, data: Float64Array): Matrix {
  if (data.length !== n * d) throw new RangeError(`matrix data has length ${data.length}, expected ${n}×${d}`);
  return { n, d, data };
}

/** Builds a matrix from rows of equal length (copied). `d` is needed only when `rows` is empty. */
export function fromRows(rows: ArrayLike<number>[], d?: number): Matrix {
  const cols = rows[0]?.length ?? d ?? 0;
  const m = zeros(rows.length, cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new RangeError(`row ${i} has ${r.length} entries, expected ${cols}`);
    for (let j = 0; j < cols; j++) m.data[i * cols + j] = r[j] as number;
  });
  return m;
}

/** Rows as plain arrays (copies). */
export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.n; i++) out.push(Array.from(m.data.subarray(i * m.d, (i + 1) * m.d)));
  return out;
}

/** A view (no copy) of row i. */
export function row(m: Matrix, i: number): Float64Array {
  return m.data.subarray(i * m.d, (i + 1) * m.d);
}

export function get(m: Matrix, i: number, j: number): number {
  return m.data[i * m.d + j] as number;
}

export function identity(n: number): Matrix {
  const m = zeros(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function clone(m: Matrix): Matrix {
  return { n: m.n, d: m.d, data: m.data.slice() };
}

export function transpose(m: Matrix): Matrix {
  const t = zeros(m.d, m.n);
  for (let i = 0; i < m.n; i++) for (let j = 0; j < m.d; j++) t.data[j * m.n + i] = m.data[i * m.d + j] as number;
  return t;
}

/** A·B (n×k times k×m). */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.d !== b.n) throw new RangeError(`matmul shape mismatch ${a.n}×${a.d} · ${b.n}×${b.d}`);
  const out = zeros(a.n, b.d);
  const A = a.data;
  const B = b.data;
  const C = out.data;
  for (let i = 0; i < a.n; i++) {
    const ci = i * b.d;
    for (let k = 0; k < a.d; k++) {
      const aik = A[i * a.d + k] as number;
      if (aik === 0) continue;
      const bk = k * b.d;
      for (let j = 0; j < b.d; j++) C[ci + j] = (C[ci + j] as number) + aik * (B[bk + j] as number);
    }
  }
  return out;
}

/** A·x for a vector x of length A.d. */
export function matvec(a: Matrix, x: ArrayLike<number>): Float64Array {
  if (x.length !== a.d) throw new RangeError(`matvec shape mismatch ${a.n}×${a.d} · ${x.length}`);
  const out = new Float64Array(a.n);
  for (let i = 0; i < a.n; i++) {
    let s = 0;
    const off = i * a.d;
    for (let j = 0; j < a.d; j++) s += (a.data[off + j] as number) * (x[j] as number);
    out[i] = s;
  }
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Rows `indices` of m, copied into a new matrix. */
export function selectRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const out = zeros(indices.length, m.d);
  for (let r = 0; r < indices.length; r++) out.data.set(row(m, indices[r] as number), r * m.d);
  return out;
}

/** Stacks matrices with the same column count vertically. */
export function vstack(parts: Matrix[], d?: number): Matrix {
  const cols = parts[0]?.d ?? d ?? 0;
  const n = parts.reduce((s, p) => s + p.n, 0);
  const out = zeros(n, cols);
  let off = 0;
  for (const p of parts) {
    if (p.d !== cols) throw new RangeError(`vstack column mismatch ${p.d} vs ${cols}`);
    out.data.set(p.data, off);
    off += p.data.length;
  }
  return out;
}
