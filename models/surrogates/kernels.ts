/**
 * Stationary ARD kernels written as functions of the scaled squared distance r² = Σ_j (Δ_j/ℓ_j)², unit outputscale.
 * Both kernels and their derivative with respect to r² are smooth at r = 0, so gradients with respect to inputs and
 * log-lengthscales follow by the chain rule:
 *   ∂k/∂x_j = k'(r²)·2Δ_j/ℓ_j²,   ∂k/∂log ℓ_j = −k'(r²)·2Δ_j²/ℓ_j².
 */
export type KernelKind = 'rbf' | 'matern52';
export const KERNEL_KINDS: readonly KernelKind[] = ['rbf', 'matern52'];

const SQRT5 = Math.sqrt(5);

/** k(r²): RBF exp(−r²/2); Matérn-5/2 (1 + √5 r + 5r²/3)·exp(−√5 r). */
export function kernelValue(kind: KernelKind, r2: number): number {
  if (kind === 'rbf') return Math.exp(-0.5 * r2);
  const r = Math.sqrt(r2);
  return (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
}

/** dk/d(r²): RBF −k/2; Matérn-5/2 −(5/6)(1 + √5 r)·exp(−√5 r). */
export function kernelDerivR2(kind: KernelKind, r2: number): number {
  if (kind === 'rbf') return -0.5 * Math.exp(-0.5 * r2);
  const r = Math.sqrt(r2);
  return -(5 / 6) * (1 + SQRT5 * r) * Math.exp(-SQRT5 * r);
}

/** Scaled squared distance between a and b (length d) with inverse squared lengthscales `invL2`. */
export function scaledSqDist(a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, bOff: number, invL2: Float64Array): number {
  let s = 0;
  for (let j = 0; j < invL2.length; j++) {
    const diff = (a[aOff + j] as number) - (b[bOff + j] as number);
    s += diff * diff * (invL2[j] as number);
  }
  return s;
}
