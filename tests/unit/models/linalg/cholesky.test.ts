import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/random.ts';
import {
  cholesky,
  choleskyInPlace,
  appendBlock,
  lowerFactor,
  toMatrix,
  choleskySolve,
  fromRows,
  inverseFromCholesky,
  invertLower,
  logDetFromCholesky,
  matmul,
  matvec,
  NotPositiveDefiniteError,
  solveLower,
  solveLowerMatrix,
  solveLowerTranspose,
  transpose,
  zeros,
} from '../../../../models/linalg/index.ts';
import { randomSpd } from '../../../helpers/random-spd.ts';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('cholesky', () => {
  it('factorises in place as the first attempt of cholesky, and says when that fails', () => {
    const A = randomSpd(9, new Rng(8));
    const K = { n: 9, d: 9, data: A.data.slice() };
    expect(choleskyInPlace(K)).toBe(true);
    expect(Array.from(K.data)).toEqual(Array.from(cholesky(A).L.data));
    const indefinite = fromRows([
      [1, 2],
      [2, 1],
    ]);
    expect(choleskyInPlace(indefinite)).toBe(false);
  });

  it('factorises a hand-computed 3×3 matrix exactly', () => {
    const A = fromRows([
      [4, 12, -16],
      [12, 37, -43],
      [-16, -43, 98],
    ]);
    const { L, jitter } = cholesky(A);
    expect(jitter).toBe(0);
    expect(Array.from(L.data)).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3]);
    expect(logDetFromCholesky(L)).toBeCloseTo(Math.log(36), 12);
  });

  it('reconstructs random SPD matrices and solves linear systems to 1e-9', () => {
    const rng = new Rng(1);
    for (const n of [1, 5, 40]) {
      const A = randomSpd(n, rng);
      const { L } = cholesky(A);
      expect(maxAbsDiff(matmul(L, transpose(L)).data, A.data)).toBeLessThan(1e-9 * n);
      const b = Float64Array.from({ length: n }, () => rng.normal());
      const x = choleskySolve(L, b);
      expect(maxAbsDiff(matvec(A, x), b)).toBeLessThan(1e-9);
      expect(maxAbsDiff(matvec(L, solveLower(L, b)), b)).toBeLessThan(1e-10);
      expect(maxAbsDiff(matvec(transpose(L), solveLowerTranspose(L, b)), b)).toBeLessThan(1e-10);
      const Ainv = inverseFromCholesky(L);
      const I = matmul(A, Ainv);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(Math.abs((I.data[i * n + j] as number) - (i === j ? 1 : 0))).toBeLessThan(1e-9);
      const Li = invertLower(L);
      expect(maxAbsDiff(matmul(Li, L).data, Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0)))).toBeLessThan(1e-10);
    }
  });

  it('solves many right-hand sides at once', () => {
    const rng = new Rng(2);
    const A = randomSpd(12, rng);
    const { L } = cholesky(A);
    const B = zeros(12, 3);
    for (let i = 0; i < B.data.length; i++) B.data[i] = rng.normal();
    const X = solveLowerMatrix(L, B);
    expect(maxAbsDiff(matmul(L, X).data, B.data)).toBeLessThan(1e-10);
  });

  it('adds jitter to a singular matrix (duplicate points) and reports it', () => {
    const A = fromRows([
      [1, 1],
      [1, 1],
    ]);
    const { L, jitter } = cholesky(A);
    expect(jitter).toBeGreaterThan(0);
    expect(jitter).toBeLessThan(1e-4);
    expect(Number.isFinite(logDetFromCholesky(L))).toBe(true);
  });

  it('throws a typed error for an indefinite matrix', () => {
    const A = fromRows([
      [1, 2],
      [2, 1],
    ]);
    expect(() => cholesky(A)).toThrow(NotPositiveDefiniteError);
  });

  it('appends a block of points and matches a full refactorisation', () => {
    const rng = new Rng(5);
    const N = 12;
    const A = randomSpd(N, rng);
    for (const m of [1, 3, 5]) {
      const n = N - m;
      const sub = zeros(n, n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sub.data[i * n + j] = A.data[i * N + j] as number;
      const C = zeros(n, m);
      for (let i = 0; i < n; i++) for (let a = 0; a < m; a++) C.data[i * m + a] = A.data[i * N + n + a] as number;
      const S = zeros(m, m);
      for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) S.data[a * m + b] = A.data[(n + a) * N + n + b] as number;
      const appended = toMatrix(appendBlock(lowerFactor(cholesky(sub).L), C, S));
      expect(maxAbsDiff(appended.data, cholesky(A).L.data)).toBeLessThan(1e-10);
    }
  });
});
