import type { Rng } from '../../src/domain/index.ts';

/** Where bubbles start to adhere and how much of the electrode they cover at most (a BUBBLE_COVERAGE fault). */
export interface BubbleCoverageSpec {
  /** Geometric current density above which O2 bubbles nucleate and stick, mA/cm². */
  threshold_mA_cm2: number;
  /** Largest covered fraction before a bubble detaches. */
  maxCoverage: number;
}

/**
 * A BUBBLE_COVERAGE fault of severity s ∈ (0, 1] (a badly wetted or hydrophobic electrode, no convection): bubbles
 * stick above 32 − 27·s mA/cm² (5 mA/cm² at s = 1, below the 10 mA/cm² target from s ≈ 0.8) and grow to cover
 * up to 0.5·s of the electrode before they detach.
 */
export function bubbleCoverageSpec(severity: number): BubbleCoverageSpec {
  const s = Math.min(1, Math.max(0, severity));
  return { threshold_mA_cm2: 32 - 27 * s, maxCoverage: 0.5 * s };
}

/**
 * Fraction of the electrode covered by adhering bubbles along a sweep. Above the threshold, gas evolution grows the
 * covered fraction at a rate ∝ j/threshold (≈ 5 %/s at the threshold); when it reaches a random detachment size the
 * bubble leaves and coverage falls back to a residue — a sawtooth. Below the threshold bubbles detach (τ ≈ 2 s).
 * The covered area carries no current: the measured current is (1 − θ) × that of the bare electrode.
 */
export class BubbleCoverage {
  private theta = 0;
  private detachAt: number;
  /** Largest coverage reached (ground truth for tests). */
  peak = 0;

  constructor(
    private readonly spec: BubbleCoverageSpec,
    private readonly rng: Rng,
  ) {
    this.detachAt = this.nextDetachment();
  }

  /** Advances by dt (s) at geometric current density j (A/cm²); returns the covered fraction θ. */
  step(j_A_cm2: number, dt_s: number): number {
    const ratio = (j_A_cm2 * 1000) / this.spec.threshold_mA_cm2;
    if (ratio <= 1) {
      this.theta *= Math.exp(-dt_s / 2);
      return this.theta;
    }
    this.theta = Math.max(0, this.theta + 0.05 * ratio * dt_s * (1 + 0.3 * this.rng.normal()));
    if (this.theta >= this.detachAt) {
      this.peak = Math.max(this.peak, this.detachAt);
      this.theta = this.detachAt * this.rng.uniform(0, 0.3);
      this.detachAt = this.nextDetachment();
    }
    this.peak = Math.max(this.peak, this.theta);
    return this.theta;
  }

  private nextDetachment(): number {
    return this.spec.maxCoverage * this.rng.uniform(0.5, 1);
  }
}
