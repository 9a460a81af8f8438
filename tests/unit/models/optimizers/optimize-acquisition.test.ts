import { describe, expect, it } from 'vitest';
import { campaignSpecSchema, validateRecipe, type CampaignSpec } from '../../../../src/domain/index.ts';
import { normaliseRecipe } from '../../../../src/domain/recipe.ts';
import { Rng } from '../../../../src/domain/random.ts';
import { fromRows, zeros } from '../../../../models/linalg/index.ts';
import { createLogEI } from '../../../../models/acquisition/log-ei.ts';
import { createQLogNEI } from '../../../../models/acquisition/q-log-nei.ts';
import { thompsonSelect } from '../../../../models/acquisition/thompson.ts';
import type { AcquisitionFunction } from '../../../../models/acquisition/types.ts';
import { boltzmannSelect, optimizeAcquisition, optimizeBatch } from '../../../../models/optimizers/optimize-acquisition.ts';
import { scaleToUnitCube, scorePool, selectFromPool } from '../../../../models/optimizers/pool.ts';
import { fitGp } from '../../../../models/surrogates/gp.ts';
import { createSearchSpace } from '../../../../models/transforms/search-space.ts';

const mixed: CampaignSpec = campaignSpecSchema.parse({
  id: 'mixed',
  title: 'mixed',
  objectives: [{ name: 'y', direction: 'maximize', unit: '', feature: 'y' }],
  parameters: [
    { type: 'simplex', name: 'mix', components: ['A', 'B', 'C', 'D'], minFraction: 0.05, maxComponents: 3 },
    { type: 'continuous', name: 'T', low: 20, high: 80, unit: 'degC' },
    { type: 'integer', name: 'cycles', low: 1, high: 6 },
    { type: 'categorical', name: 'solvent', choices: ['water', 'ethanol', 'dmso'] },
  ],
  constraints: [{ coefficients: { A: 1, B: 1 }, rhs: 0.8 }],
  budget: { trials: 10 },
  safety: { maxTotalVolume: 1000, potentialWindow_V_RHE: [0, 2] },
});
const space = createSearchSpace(mixed);

/** A smooth synthetic acquisition on features whose optimum has A large, T mid, cycles high, solvent=dmso. */
const synthetic: AcquisitionFunction = {
  name: 'synthetic',
  value(x, grad) {
    // features: A B C D | T | cycles | water ethanol dmso
    const target = [0.7, 0.1, 0.2, 0, 0.5, 0.9, 0, 0, 1];
    let v = 0;
    for (let j = 0; j < x.length; j++) {
      const diff = (x[j] as number) - (target[j] as number);
      v -= diff * diff;
      if (grad) grad[j] = -2 * diff;
    }
    return v;
  },
};

describe('optimizeAcquisition', () => {
  it('respects simplex, bounds, integer, categorical and linear constraints exactly', () => {
    const best = optimizeAcquisition(space, synthetic, { seed: 1 });
    expect(validateRecipe(mixed, best.recipe)).toEqual([]);
    expect(best.recipe.solvent).toBe('dmso');
    expect(Number.isInteger(best.recipe.cycles)).toBe(true);
    const fr = ['A', 'B', 'C', 'D'].map((k) => best.recipe[k] as number);
    expect(Math.abs(fr.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
    expect(fr.filter((v) => v > 0).length).toBeLessThanOrEqual(3);
    expect((best.recipe.A as number) + (best.recipe.B as number)).toBeLessThanOrEqual(0.8 + 1e-9);
    expect(best.recipe.A as number).toBeGreaterThan(0.6);
    expect(best.recipe.T as number).toBeCloseTo(50, 0);
  });

  it('is deterministic for a seed and never returns an excluded point', () => {
    const a = optimizeAcquisition(space, synthetic, { seed: 5 });
    const b = optimizeAcquisition(space, synthetic, { seed: 5 });
    expect(b.recipe).toEqual(a.recipe);
    const c = optimizeAcquisition(space, synthetic, { seed: 5, exclude: fromRows([a.features]) });
    expect(c.recipe).not.toEqual(a.recipe);
  });

  it('pending points push the members of a qLogNEI batch apart', () => {
    const spec = campaignSpecSchema.parse({
      id: 'box',
      title: 'box',
      objectives: [{ name: 'y', direction: 'maximize', unit: '', feature: 'y' }],
      parameters: [
        { type: 'continuous', name: 'a', low: 0, high: 1, unit: '' },
        { type: 'continuous', name: 'b', low: 0, high: 1, unit: '' },
      ],
      budget: { trials: 10 },
      safety: { maxTotalVolume: 1000, potentialWindow_V_RHE: [0, 2] },
    });
    const s2 = createSearchSpace(spec);
    const rng = new Rng(3);
    const X = zeros(12, 2);
    for (let i = 0; i < X.data.length; i++) X.data[i] = rng.next();
    const y = Array.from({ length: 12 }, (_, i) => -(((X.data[2 * i] as number) - 0.4) ** 2) - ((X.data[2 * i + 1] as number) - 0.5) ** 2);
    const gp = fitGp(X, y, { seed: 3 });
    const batch = optimizeBatch(s2, 4, (p) => createQLogNEI(gp, { pending: p, samples: 32, seed: 3 }), { seed: 3, observed: X, rawSamples: 64, restarts: 3 });
    let minDist = Infinity;
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < i; j++)
        minDist = Math.min(minDist, Math.hypot((batch[i]!.features[0] as number) - (batch[j]!.features[0] as number), (batch[i]!.features[1] as number) - (batch[j]!.features[1] as number)));
    expect(minDist).toBeGreaterThan(0.02);
    // Without pending points every member would be the same optimum.
    const same = optimizeBatch(s2, 2, () => createLogEI(gp), { seed: 3 });
    expect(Math.hypot((same[0]!.features[0] as number) - (same[1]!.features[0] as number), (same[0]!.features[1] as number) - (same[1]!.features[1] as number))).toBeGreaterThan(0);
  });
});

describe('optimisation over the dispensable set (face charts)', () => {
  const oer: CampaignSpec = campaignSpecSchema.parse({
    id: 'oer',
    title: 'oer',
    objectives: [{ name: 'y', direction: 'maximize', unit: '', feature: 'y' }],
    parameters: [
      { type: 'simplex', name: 'metals', components: ['Ni', 'Fe', 'Co', 'Ce', 'Mn'], minFraction: 0.05, maxComponents: 3 },
      { type: 'continuous', name: 'T', low: 0, high: 1, unit: '' },
    ],
    budget: { trials: 10 },
    safety: { maxTotalVolume: 1000, potentialWindow_V_RHE: [0, 2] },
  });
  const oerSpace = createSearchSpace(oer, { presence: true });
  const metals = ['Ni', 'Fe', 'Co', 'Ce', 'Mn'];

  it('finds an optimum on an interior point of a face the raw samples rarely hit', () => {
    // Optimum Ni 0.6, Co 0.3, Ce 0.1, T 0.7: inside the face {Ni, Co, Ce}; any Fe or Mn costs (presence features).
    const target = [0.6, 0, 0.3, 0.1, 0, 0.7];
    const acq: AcquisitionFunction = {
      name: 'face',
      value(x, grad) {
        let v = 0;
        for (let j = 0; j < 6; j++) {
          const diff = (x[j] as number) - (target[j] as number);
          v -= diff * diff;
          if (grad) grad[j] = -2 * diff;
        }
        v -= 0.05 * ((x[6 + 1] as number) + (x[6 + 4] as number));
        return v;
      },
    };
    for (const seed of [1, 2, 3]) {
      const best = optimizeAcquisition(oerSpace, acq, { seed, rawSamples: 64, restarts: 3 });
      expect(validateRecipe(oer, best.recipe)).toEqual([]);
      metals.forEach((m, i) => expect(Math.abs((best.recipe[m] as number) - (target[i] as number))).toBeLessThan(1e-3));
      expect(best.recipe.T as number).toBeCloseTo(0.7, 3);
      expect(best.value).toBeGreaterThan(-1e-6);
    }
  });

  it('every output satisfies minFraction and maxComponents exactly, and its value is that of the dispensed recipe', () => {
    const rng = new Rng(12);
    for (let trial = 0; trial < 12; trial++) {
      // A random bumpy acquisition whose peaks lie anywhere (often off the dispensable set).
      const centres = Array.from({ length: 3 }, () => Array.from({ length: oerSpace.featureDim }, () => rng.next()));
      const acq: AcquisitionFunction = {
        name: 'bumps',
        value(x, grad) {
          let v = 0;
          if (grad) grad.fill(0);
          for (const c of centres) {
            let r2 = 0;
            for (let j = 0; j < x.length; j++) r2 += ((x[j] as number) - (c[j] as number)) ** 2;
            const e = Math.exp(-4 * r2);
            v += e;
            if (grad) for (let j = 0; j < x.length; j++) grad[j] = (grad[j] as number) - 8 * e * ((x[j] as number) - (c[j] as number));
          }
          return v;
        },
      };
      const batch = optimizeBatch(oerSpace, 3, () => acq, { seed: trial, rawSamples: 64, restarts: 2 });
      for (const best of batch) {
        expect(validateRecipe(oer, best.recipe)).toEqual([]);
        const present = metals.filter((m) => (best.recipe[m] as number) > 0);
        expect(present.length).toBeLessThanOrEqual(3);
        for (const m of present) expect(best.recipe[m] as number).toBeGreaterThanOrEqual(0.05);
        const snapped = normaliseRecipe(oer, best.recipe);
        expect(snapped).toEqual(best.recipe);
        expect(acq.value(oerSpace.encode(snapped))).toBe(best.value);
      }
    }
  });
});

describe('pool mode and helpers', () => {
  it('scores every row and picks the best unevaluated rows greedily', () => {
    const pool = fromRows([[0.1], [0.5], [0.52], [0.9]]);
    const acq: AcquisitionFunction = { name: 'peak', value: (x) => 1 - ((x[0] as number) - 0.5) ** 2 };
    const scores = scorePool(acq, pool);
    [0.84, 1, 0.9996, 0.84].forEach((v, i) => expect(scores[i]).toBeCloseTo(v, 12));
    expect(selectFromPool(pool, 2, () => acq, { evaluated: [false, true, false, false] })).toEqual([2, 0]);
    expect(selectFromPool(pool, 10, () => acq)).toHaveLength(4);
  });

  it('scales raw pool columns to the unit cube', () => {
    const { X } = scaleToUnitCube(fromRows([[1, 5, 3], [3, 5, 4], [2, 5, 5]]));
    expect(Array.from(X.data)).toEqual([0, 0.5, 0, 1, 0.5, 0.5, 0.5, 0.5, 1]);
  });

  it('Boltzmann selection always keeps the best raw point and returns distinct indices', () => {
    const picks = boltzmannSelect([0, 5, 1, -Infinity, 2, 3], 4, 2, new Rng(1));
    expect(picks[0]).toBe(1);
    expect(new Set(picks).size).toBe(4);
    expect(picks).not.toContain(3);
  });

  it('Thompson sampling picks distinct, mostly good candidates', () => {
    const rng = new Rng(8);
    const X = zeros(15, 1);
    for (let i = 0; i < 15; i++) X.data[i] = i / 14;
    const gp = fitGp(X, Array.from({ length: 15 }, (_, i) => -((i / 14 - 0.7) ** 2)), { seed: 8 });
    const C = fromRows(Array.from({ length: 41 }, (_, i) => [i / 40]));
    const picks = thompsonSelect(gp, C, 3, rng);
    expect(new Set(picks).size).toBe(3);
    for (const p of picks) expect(Math.abs(p / 40 - 0.7)).toBeLessThan(0.25);
  });
});
