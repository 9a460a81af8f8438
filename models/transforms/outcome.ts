import type { Objective } from '../../src/domain/index.ts';

/**
 * Outcome standardisation: z = (y − mean)/std with the sample standard deviation (n − 1). A single observation or
 * zero-variance outcomes keep std = 1 so that the transform stays invertible and finite.
 */
export interface Standardizer {
  readonly mean: number;
  readonly std: number;
  forward(y: number): number;
  backward(z: number): number;
  /** Scales a standard deviation (or the square root of a variance) back to outcome units. */
  backwardSd(sd: number): number;
}

export function fitStandardizer(y: ArrayLike<number>): Standardizer {
  const n = y.length;
  if (n === 0) throw new Error('cannot standardise an empty outcome vector');
  let mean = 0;
  for (let i = 0; i < n; i++) {
    const v = y[i] as number;
    if (!Number.isFinite(v)) throw new Error(`outcome ${i} is not finite (${v})`);
    mean += v;
  }
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((y[i] as number) - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  const std = sd > 1e-12 * Math.max(1, Math.abs(mean)) ? sd : 1;
  return {
    mean,
    std,
    forward: (v) => (v - mean) / std,
    backward: (z) => mean + z * std,
    backwardSd: (s) => s * std,
  };
}

/** +1 for maximisation, −1 for minimisation: internal values are sign·value, always maximised. */
export function objectiveSign(o: Pick<Objective, 'direction'>): 1 | -1 {
  return o.direction === 'maximize' ? 1 : -1;
}
