import { describe, expect, it } from 'vitest';
import { TrustRegion } from '../../../../models/acquisition/trust-region.ts';

describe('TuRBO-style trust-region length (ADR 0054)', () => {
  it('doubles after 3 improving rounds in a row, up to the maximum', () => {
    const tr = new TrustRegion({ initial: 0.1, max: 0.3 });
    const radii = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((v) => tr.update(v, 0.01));
    // The first round only sets the reference; rounds 2–4 are three successes.
    expect(radii.slice(0, 3)).toEqual([0.1, 0.1, 0.1]);
    expect(radii[3]).toBeCloseTo(0.2, 12);
    expect(radii[6]).toBeCloseTo(0.3, 12);
    expect(radii[9]).toBeCloseTo(0.3, 12);
  });

  it('halves after 8 rounds without an improvement beyond the tolerance, and restarts below the minimum', () => {
    const tr = new TrustRegion({ initial: 0.1, min: 0.03, failures: 8 });
    tr.update(1, 0.01);
    const radii: number[] = [];
    for (let k = 0; k < 24; k++) radii.push(tr.update(1 + 0.005 * k, 0.01 + 0.005 * k));
    expect(radii[6]).toBeCloseTo(0.1, 12);
    expect(radii[7]).toBeCloseTo(0.05, 12);
    expect(radii[15]).toBeCloseTo(0.1, 12); // 0.025 < min: back to the initial length
    expect(tr.restarts).toBe(1);
    // A success resets the failure count.
    const tr2 = new TrustRegion({ initial: 0.1, failures: 3 });
    [1, 1, 1, 2, 2, 2].forEach((v) => tr2.update(v, 0.01));
    expect(tr2.radius).toBeCloseTo(0.1, 12);
    tr2.update(2, 0.01);
    expect(tr2.radius).toBeCloseTo(0.05, 12);
  });
});
