import { matmul, transpose, zeros, type Matrix } from '../../models/linalg/index.ts';
import type { Rng } from '../../src/domain/random.ts';

/** A random symmetric positive-definite n×n matrix: B·Bᵀ with standard normal B, plus 0.1·n on the diagonal. */
export function randomSpd(n: number, rng: Rng): Matrix {
  const B = zeros(n, n);
  for (let i = 0; i < B.data.length; i++) B.data[i] = rng.normal();
  const A = matmul(B, transpose(B));
  for (let i = 0; i < n; i++) A.data[i * n + i] = (A.data[i * n + i] as number) + n * 0.1;
  return A;
}
