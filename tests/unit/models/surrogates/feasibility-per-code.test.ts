import { describe, expect, it } from 'vitest';
import { campaignSpecSchema, type CampaignSpec } from '../../../../src/domain/index.ts';
import { Rng } from '../../../../src/domain/random.ts';
import { fitPerCodeFeasibility } from '../../../../models/surrogates/feasibility-per-code.ts';
import { createDerivedFeatures } from '../../../../models/transforms/derived-features.ts';
import { createSearchSpace } from '../../../../models/transforms/search-space.ts';

const base = {
  id: 'films',
  title: 'films',
  objectives: [{ name: 'y', direction: 'minimize', unit: 'V', feature: 'y' }],
  parameters: [
    { type: 'continuous', name: 'metal', low: 10, high: 100, unit: 'mM' },
    { type: 'continuous', name: 'complexant', low: 0, high: 50, unit: 'mM' },
    { type: 'continuous', name: 'charge', low: 2, high: 150, unit: 'mC' },
    { type: 'continuous', name: 'anneal', low: 25, high: 500, unit: 'degC' },
  ],
  budget: { trials: 10 },
  safety: { maxTotalVolume: 1000, potentialWindow_V_RHE: [0, 2] },
};
const spec: CampaignSpec = campaignSpecSchema.parse({ ...base, derivedFeatures: [{ name: 'complexantPerMetal', ratio: ['complexant', 'metal'] }] });
const space = createSearchSpace(spec);

describe('derived features', () => {
  it('are validated strictly in the campaign file', () => {
    expect(campaignSpecSchema.safeParse({ ...base, derivedFeatures: [{ name: 'r', ratio: ['complexant', 'nope'] }] }).success).toBe(false);
    expect(campaignSpecSchema.safeParse({ ...base, derivedFeatures: [{ name: 'r', ratio: ['metal', 'complexant'] }] }).success).toBe(false); // denominator may be 0
    expect(campaignSpecSchema.safeParse({ ...base, derivedFeatures: [{ name: 'r', ratio: ['complexant', 'metal'], extra: 1 }] }).success).toBe(false);
    expect(campaignSpecSchema.safeParse({ ...base, derivedFeatures: [{ name: 'metal', ratio: ['complexant', 'metal'] }] }).success).toBe(false);
  });

  it('append a ratio scaled to [0, 1] with a correct gradient', () => {
    const map = createDerivedFeatures(space, spec.derivedFeatures);
    expect(map.names).toEqual(['complexantPerMetal']);
    const z = space.encode({ metal: 20, complexant: 40, charge: 10, anneal: 100 });
    const aug = map.augment(z);
    expect(aug).toHaveLength(5);
    expect(aug[4]).toBeCloseTo(2 / 5, 12); // ratio 2 on the range [0, 5]
    const w = [0.3, -0.2, 0.5, 0.1, 1.7];
    const f = (zz: Float64Array): number => map.augment(zz).reduce((s, v, j) => s + (w[j] as number) * v * v, 0);
    const gAug = Float64Array.from(aug, (v, j) => 2 * (w[j] as number) * v);
    const g = new Float64Array(4);
    map.pullback(z, gAug, g);
    for (let j = 0; j < 4; j++) {
      const zp = Float64Array.from(z);
      const zm = Float64Array.from(z);
      zp[j] = (zp[j] as number) + 1e-6;
      zm[j] = (zm[j] as number) - 1e-6;
      expect(g[j]).toBeCloseTo((f(zp) - f(zm)) / 2e-6, 5);
    }
  });
});

describe('per-failure-code feasibility', () => {
  it('learns two failure mechanisms along the inputs that cause them; P(feasible) is their product', () => {
    const rng = new Rng(5);
    const rows = [];
    const truth = (r: Record<string, number>): string | undefined => {
      if ((r.complexant as number) / (r.metal as number) > 2 && (r.complexant as number) > 2) return 'NO_FILM';
      if ((r.anneal as number) > 300 && (r.charge as number) > 80) return 'DELAMINATION';
      return undefined;
    };
    for (let i = 0; i < 90; i++) {
      const r = { metal: 10 + 90 * rng.next(), complexant: 50 * rng.next(), charge: 2 + 148 * rng.next(), anneal: 25 + 475 * rng.next() };
      const code = truth(r);
      rows.push({ features: space.encode(r), feasible: code === undefined, ...(code ? { code } : {}) });
    }
    const derived = createDerivedFeatures(space, spec.derivedFeatures);
    const model = fitPerCodeFeasibility(rows, { derived, seed: 1 });
    expect([...model.codes.keys()]).toEqual(['DELAMINATION', 'NO_FILM']);
    const p = (r: Record<string, number>): number => Math.exp(model.logProbability(space.encode(r)));
    expect(p({ metal: 50, complexant: 10, charge: 30, anneal: 150 })).toBeGreaterThan(0.7);
    expect(p({ metal: 12, complexant: 45, charge: 30, anneal: 150 })).toBeLessThan(0.3);
    expect(p({ metal: 50, complexant: 10, charge: 140, anneal: 480 })).toBeLessThan(0.3);
    // NO_FILM's classifier relies on the ratio more than on charge or anneal.
    const ls = model.codes.get('NO_FILM')?.hyper.lengthscales ?? [];
    expect(ls[4] as number).toBeLessThan(Math.min(ls[2] as number, ls[3] as number));
    // Reusing the hyper-parameters without a refit gives the same model.
    const again = fitPerCodeFeasibility(rows, { derived, seed: 1, previous: new Map([...model.codes].map(([c, v]) => [c, v.hyper])), refit: () => false });
    const x = space.encode({ metal: 30, complexant: 30, charge: 100, anneal: 350 });
    expect(again.logProbability(x)).toBeCloseTo(model.logProbability(x), 10);
    // Input gradient against finite differences.
    const g = new Float64Array(4);
    model.logProbability(x, g);
    for (let j = 0; j < 4; j++) {
      const xp = Float64Array.from(x);
      const xm = Float64Array.from(x);
      xp[j] = (xp[j] as number) + 1e-6;
      xm[j] = (xm[j] as number) - 1e-6;
      expect(g[j]).toBeCloseTo((model.logProbability(xp) - model.logProbability(xm)) / 2e-6, 4);
    }
  });
});
