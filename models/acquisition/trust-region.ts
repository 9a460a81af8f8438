/**
 * A TuRBO-style trust-region length (ADR 0054): the scale of the local candidates around the model-estimated leaders
 * doubles after `successes` rounds in a row in which the best model estimate improved, halves after `failures` rounds
 * in a row in which it did not, and starts again at `initial` when it falls below `min` (a restart: the global
 * candidates keep exploring meanwhile, so the restart only resets the local scale).
 */
export interface TrustRegionOptions {
  initial: number;
  min: number;
  max: number;
  successes: number;
  failures: number;
}

export const DEFAULT_TRUST_REGION: TrustRegionOptions = { initial: 0.1, min: 0.0125, max: 0.4, successes: 3, failures: 8 };

export class TrustRegion {
  radius: number;
  restarts = 0;
  private best = -Infinity;
  private wins = 0;
  private losses = 0;
  private readonly o: TrustRegionOptions;

  constructor(options: Partial<TrustRegionOptions> = {}) {
    this.o = { ...DEFAULT_TRUST_REGION, ...options };
    this.radius = this.o.initial;
  }

  /** One round: `estimate` is the best model-estimated value (larger is better); improvements within `tolerance` do not count. */
  update(estimate: number, tolerance: number): number {
    if (!Number.isFinite(estimate)) return this.radius;
    if (this.best === -Infinity || estimate > this.best + tolerance) {
      if (this.best !== -Infinity) this.wins++;
      this.losses = 0;
    } else {
      this.losses++;
      this.wins = 0;
    }
    this.best = Math.max(this.best, estimate);
    if (this.wins >= this.o.successes) {
      this.radius = Math.min(this.o.max, 2 * this.radius);
      this.wins = 0;
    } else if (this.losses >= this.o.failures) {
      this.radius /= 2;
      this.losses = 0;
      if (this.radius < this.o.min) {
        this.radius = this.o.initial;
        this.restarts++;
      }
    }
    return this.radius;
  }
}
