import type { Rng } from '../../src/domain/index.ts';

/** Decade current ranges of the simulated potentiostat, A. */
export const CURRENT_RANGES_A = [1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1] as const;

/** Noise and resolution of the instrument. With `rng` undefined every measurement is exact (apart from quantisation). */
export interface InstrumentModel {
  rng?: Rng;
  /** White current noise, fraction of the active range (σ). */
  rangeNoise: number;
  /** White current noise proportional to |I| (σ). */
  proportionalNoise: number;
  /** Mains pickup amplitude, fraction of the active range. */
  mainsFraction: number;
  /** White potential noise, V (σ). */
  potentialNoise_V: number;
  /** ADC resolution over ±range. */
  bits: number;
  /** Multiplies every noise term (outlier runs have visibly noisy curves). */
  noiseScale: number;
  /** Compliance: |I| above this is clipped and flagged as overload, A. */
  currentLimit_A: number;
}

export function instrumentModel(overrides: Partial<InstrumentModel> = {}): InstrumentModel {
  return {
    rangeNoise: 0.0005,
    proportionalNoise: 0.002,
    mainsFraction: 0.0002,
    potentialNoise_V: 0.0002,
    bits: 16,
    noiseScale: 1,
    currentLimit_A: 0.1,
    ...overrides,
  };
}

/** Smallest range that holds |I| (autoranging), capped at the compliance limit. */
export function autoRange(current_A: number, limit_A: number): number {
  const a = Math.abs(current_A);
  for (const r of CURRENT_RANGES_A) if (r >= a * 1.02 && r <= limit_A) return r;
  return Math.min(limit_A, CURRENT_RANGES_A[CURRENT_RANGES_A.length - 1] as number);
}

export function quantise(value: number, fullScale: number, bits: number): number {
  const lsb = fullScale / 2 ** (bits - 1);
  return Math.round(value / lsb) * lsb;
}

/** One current reading: noise, mains pickup at time t, quantisation, overload clipping. */
export function measureCurrent(current_A: number, t_s: number, inst: InstrumentModel): { value: number; overload: boolean } {
  const range = autoRange(current_A, inst.currentLimit_A);
  let v = current_A;
  if (inst.rng) {
    const sigma = inst.noiseScale * (inst.rangeNoise * range + inst.proportionalNoise * Math.abs(current_A));
    v += sigma * inst.rng.normal() + inst.noiseScale * inst.mainsFraction * range * Math.sin(2 * Math.PI * 50 * t_s + 0.3);
  }
  const overload = Math.abs(v) > inst.currentLimit_A;
  if (overload) v = Math.sign(v) * inst.currentLimit_A;
  return { value: quantise(v, range, inst.bits), overload };
}

/** One potential reading (V): white noise and 24-bit quantisation over ±10 V. */
export function measurePotential(e_V: number, inst: InstrumentModel): number {
  const v = inst.rng ? e_V + inst.noiseScale * inst.potentialNoise_V * inst.rng.normal() : e_V;
  return quantise(v, 10, 24);
}

/**
 * Multiplicative bubble disturbance above the onset current density: an AR(1) process whose amplitude grows with
 * j/onset, plus occasional sharp drops when a bubble covers part of the electrode. Returns the factor on I.
 */
export class BubbleNoise {
  private state = 0;
  constructor(private readonly rng: Rng | undefined, private readonly onset_A_cm2: number, private readonly scale = 1) {}

  factor(j_A_cm2: number): number {
    if (!this.rng || j_A_cm2 <= this.onset_A_cm2) {
      this.state *= 0.8;
      return 1;
    }
    const excess = Math.min(5, j_A_cm2 / this.onset_A_cm2 - 1);
    const sigma = 0.02 * excess * this.scale;
    this.state = 0.85 * this.state + sigma * this.rng.normal();
    const drop = this.rng.next() < 0.02 * excess ? -this.rng.uniform(0.03, 0.12) * Math.min(1, excess) : 0;
    return Math.max(0.5, 1 + this.state + drop);
  }
}
