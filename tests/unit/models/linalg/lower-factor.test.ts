import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/random.ts';
import {
  appendBlock,
  backSolve,
  cholesky,
  forwardSolve,
  forwardSolveMatrix,
  forwardSquaredNorm,
  lowerFactor,
  solveLower,
  solveLowerMatrix,
  solveLowerTranspose,
  toMatrix,
  zeros,
  type Matrix,
} from '../../../../models/linalg/index.ts';
import { randomSpd } from '../../../helpers/random-spd.ts';

/** Of the leading `to`×`to` block of A: the rows `from`…`to`−1 as an append to the leading `from`×`from` block. */
function appended(A: Matrix, from: number, to: number): { C: Matrix; S: Matrix } {
  const N = A.n;
  const m = to - from;
  const C = zeros(from, m);
  const S = zeros(m, m);
  for (let i = 0; i < from; i++) for (let a = 0; a < m; a++) C.data[i * m + a] = A.data[i * N + from + a] as number;
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) S.data[a * m + b] = A.data[(from + a) * N + from + b] as number;
  return { C, S };
}

describe('lower factor with appended rows', () => {
  const rng = new Rng(17);
  const N = 23;
  const A = randomSpd(N, rng);
  // Rows 0…14 in the base, 15…19 appended in one block, 20…22 appended to that.
  const head = zeros(15, 15);
  for (let i = 0; i < 15; i++) for (let j = 0; j < 15; j++) head.data[i * 15 + j] = A.data[i * N + j] as number;
  const base = lowerFactor(cholesky(head).L);
  const b1 = appended(A, 15, 20);
  const b2 = appended(A, 20, 23);
  const twice = appendBlock(appendBlock(base, b1.C, b1.S), b2.C, b2.S);
  const full = toMatrix(twice);
  const b = Float64Array.from({ length: N }, () => rng.normal());
  const B = zeros(N, 4);
  for (let i = 0; i < B.data.length; i++) B.data[i] = rng.normal();

  it('is the factor of the whole matrix', () => {
    const L = cholesky(A).L;
    let worst = 0;
    for (let i = 0; i < N * N; i++) worst = Math.max(worst, Math.abs((full.data[i] as number) - (L.data[i] as number)));
    expect(twice.n).toBe(N);
    expect(worst).toBeLessThan(1e-10);
  });

  it('solves bit for bit as the matrix routines on the same factor', () => {
    expect(Array.from(forwardSolve(twice, b))).toEqual(Array.from(solveLower(full, b)));
    expect(Array.from(backSolve(twice, b))).toEqual(Array.from(solveLowerTranspose(full, b)));
    expect(Array.from(forwardSolveMatrix(twice, B).data)).toEqual(Array.from(solveLowerMatrix(full, B).data));
    const x = solveLower(full, b);
    let vv = 0;
    for (let i = 0; i < N; i++) vv += (x[i] as number) * (x[i] as number);
    expect(forwardSquaredNorm(twice, b, new Float64Array(N))).toBe(vv);
  });

  it('shares the base rows instead of copying them; a factor with no rows appended is its matrix', () => {
    expect(twice.base).toBe(base.base);
    expect(toMatrix(base)).toBe(base.base);
    expect(() => lowerFactor(zeros(2, 3))).toThrow(/square/);
    expect(() => appendBlock(base, zeros(3, 1), zeros(1, 1))).toThrow(/C has 3 rows/);
  });
});
