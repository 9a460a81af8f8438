import type { Objective } from '../../src/domain/index.ts';
import { normQuantile } from '../stats/normal.ts';

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

/**
 * Monotone warps of (maximised) outcomes before a GP sees them, for heavy-tailed or skewed objectives:
 * - `copula`: the normal scores Φ⁻¹((rank − ½)/n) (ties share their mean rank) — a GP on ranks, robust to outliers;
 * - `log`: log(y − min + ε) with ε = 1e-3·range, which compresses a long upper tail.
 * - `auto`: `copula` when the outcomes are skewed towards the bad side (sample skewness below −1: a long tail of poor
 *   results that would set the GP's scale), otherwise none — a long tail of good results is the signal (ADR 0045).
 * Ranking by a monotone warp keeps the order of the outcomes, so the incumbent is unchanged.
 */
export type OutcomeWarp = 'none' | 'copula' | 'log' | 'auto';

/** Skewness below which `auto` warps. */
export const AUTO_WARP_SKEWNESS = -1;

/** Sample skewness (population moments); 0 for fewer than 3 values or no spread. */
export function skewness(y: ArrayLike<number>): number {
  const n = y.length;
  if (n < 3) return 0;
  let m = 0;
  for (let i = 0; i < n; i++) m += y[i] as number;
  m /= n;
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = (y[i] as number) - m;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  return m2 > 0 ? m3 / m2 ** 1.5 : 0;
}

/** The warp `auto` stands for on these outcomes (other warps are returned as they are). */
export function resolveWarp(y: ArrayLike<number>, warp: OutcomeWarp): Exclude<OutcomeWarp, 'auto'> {
  if (warp !== 'auto') return warp;
  return skewness(y) < AUTO_WARP_SKEWNESS ? 'copula' : 'none';
}

export function warpOutcomes(y: ArrayLike<number>, requested: OutcomeWarp): Float64Array {
  const n = y.length;
  const out = Float64Array.from(y as ArrayLike<number>);
  const warp = resolveWarp(y, requested);
  if (warp === 'none' || n < 2) return out;
  if (warp === 'log') {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of out) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const eps = 1e-3 * Math.max(hi - lo, 1e-12);
    return out.map((v) => Math.log(v - lo + eps));
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (out[a] as number) - (out[b] as number));
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && out[order[j + 1] as number] === out[order[i] as number]) j++;
    const mean = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k] as number] = mean;
    i = j + 1;
  }
  return ranks.map((r) => normQuantile((r - 0.5) / n));
}
