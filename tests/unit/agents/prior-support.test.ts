import { describe, expect, it } from 'vitest';
import { outsidePrior } from '../../../agents/prior-support.ts';
import type { CampaignSpec, Observation } from '../../../src/domain/index.ts';

/** Two continuous parameters on [0, 1]: features are the values themselves. */
const spec: Pick<CampaignSpec, 'parameters' | 'constraints'> = {
  constraints: [],
  parameters: [
    { type: 'continuous', name: 'a', low: 0, high: 1, unit: '', log: false },
    { type: 'continuous', name: 'b', low: 0, high: 1, unit: '', log: false },
  ],
};
const row = (a: number, b: number, i: number): Observation => ({ trialId: `p${i}`, recipe: { a, b }, feasible: true, objectives: { y: a + b }, qualityFlags: [] });
/** A 21×21 grid restricted to a < `upTo` (grid spacing 0.05, so h = 0.1 and the region's edge is 0.3 beyond it). */
const grid = (upTo: number): Observation[] => {
  const out: Observation[] = [];
  for (let i = 0; i <= 20; i++) for (let j = 0; j <= 20; j++) if (i / 20 < upTo) out.push(row(i / 20, j / 20, out.length));
  return out;
};

describe('outsidePrior (ADR 0116)', () => {
  it('keeps only uniform recipes farther than three bandwidths from every prior row, deterministically', () => {
    const prior = grid(0.3);
    const draw = outsidePrior(spec, prior);
    const out = draw(200, 5);
    // a ≥ 0.25 + 0.3 roughly: 45 % of uniform draws.
    expect(out.length).toBeGreaterThan(60);
    expect(out.length).toBeLessThan(120);
    for (const r of out) {
      const nearest = Math.min(...prior.map((p) => Math.hypot((p.recipe['a'] as number) - (r['a'] as number), (p.recipe['b'] as number) - (r['b'] as number))));
      expect(nearest).toBeGreaterThan(0.3);
    }
    expect(draw(200, 5)).toEqual(out);
    expect(outsidePrior(spec, [])(50, 5)).toEqual([]);
  });

  it('returns nothing when the prior rows spread over the whole space (gaps, not a region)', () => {
    expect(outsidePrior(spec, grid(1.01))(200, 5)).toEqual([]);
  });
});
