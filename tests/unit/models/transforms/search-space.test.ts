import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSpecSchema, normaliseRecipe, validateRecipe, type CampaignSpec } from '../../../../src/domain/index.ts';
import { Rng } from '../../../../src/domain/random.ts';
import { createSearchSpace } from '../../../../models/transforms/search-space.ts';
import { fitStandardizer, objectiveSign } from '../../../../models/transforms/outcome.ts';

const oer = campaignSpecSchema.parse(parse(readFileSync(new URL('../../../../examples/oer-screen.yaml', import.meta.url), 'utf8')));

const mixed: CampaignSpec = campaignSpecSchema.parse({
  id: 'mixed',
  title: 'mixed space',
  objectives: [{ name: 'y', direction: 'maximize', unit: '', feature: 'y' }],
  parameters: [
    { type: 'continuous', name: 'conc', low: 0.1, high: 100, unit: 'mM', log: true },
    { type: 'integer', name: 'cycles', low: 1, high: 5 },
    { type: 'categorical', name: 'solvent', choices: ['water', 'ethanol', 'dmso'] },
    { type: 'simplex', name: 'mix', components: ['A', 'B', 'C'], minFraction: 0.05 },
  ],
  budget: { trials: 10 },
  safety: { maxTotalVolume: 1000, potentialWindow_V_RHE: [0, 2] },
});

describe('search space encoding', () => {
  it('has the expected dimensions for the default OER spec', () => {
    const s = createSearchSpace(oer);
    expect(s.featureDim).toBe(9);
    expect(s.searchDim).toBe(8);
    expect(s.featureNames).toEqual(['Ni', 'Fe', 'Co', 'Ce', 'Mn', 'totalMetal', 'complexant', 'depositionCharge_mC_cm2', 'annealTemperature']);
    // The five metal fractions share one lengthscale group; the other four inputs have one each.
    expect(s.featureGroups).toEqual([0, 0, 0, 0, 0, 1, 2, 3, 4]);
  });

  it('gives each numeric input and each one-hot column its own lengthscale group, and a simplex one group', () => {
    const s = createSearchSpace(mixed);
    const groupOf = Object.fromEntries(s.featureNames.map((f, j) => [f, s.featureGroups[j]]));
    expect(new Set([groupOf.A, groupOf.B, groupOf.C]).size).toBe(1);
    expect(new Set(s.featureGroups).size).toBe(s.featureDim - 2);
    expect([...new Set(s.featureGroups)].sort((a, b) => a - b)).toEqual(Array.from({ length: s.featureDim - 2 }, (_, g) => g));
  });

  it('round-trips recipes through features and search points', () => {
    const s = createSearchSpace(mixed);
    const recipe = { conc: 3.2, cycles: 4, solvent: 'dmso', A: 0.2, B: 0, C: 0.8 };
    const z = s.encode(recipe);
    expect(Array.from(z)).toHaveLength(s.featureDim);
    const back = s.decode(z);
    expect(back.conc).toBeCloseTo(3.2, 12);
    expect(back).toMatchObject({ cycles: 4, solvent: 'dmso', B: 0 });
    expect(back.A).toBeCloseTo(0.2, 12);
    const p = s.fromFeatures(z);
    const z2 = s.toFeatures(p);
    for (let i = 0; i < z.length; i++) expect(z2[i]).toBeCloseTo(z[i] as number, 12);
    expect(validateRecipe(mixed, back)).toEqual([]);
  });

  it('every box point maps to an exact mixture and decodes to a valid recipe', () => {
    for (const spec of [oer, mixed]) {
      const s = createSearchSpace(spec);
      const rng = new Rng(1);
      for (let t = 0; t < 200; t++) {
        const unit = Array.from({ length: s.unitDim }, () => (t < 4 ? t % 2 : rng.next()));
        const z = s.toFeatures(s.fromUnit(unit));
        const recipe = s.decode(z);
        expect(validateRecipe(spec, normaliseRecipe(spec, recipe))).toEqual([]);
      }
    }
  });

  it('pulls gradients back through stick-breaking (matches finite differences)', () => {
    const s = createSearchSpace(mixed);
    const rng = new Rng(2);
    const w = Float64Array.from({ length: s.featureDim }, () => rng.normal());
    const f = (u: Float64Array, cats: Int32Array) => {
      const z = s.toFeatures({ u, cats });
      return z.reduce((a, v, i) => a + (w[i] as number) * v * v, 0);
    };
    const p = s.fromUnit(Array.from({ length: s.unitDim }, () => rng.next()));
    const z = s.toFeatures(p);
    const g = s.pullbackGradient(p, Array.from(z, (v, i) => 2 * (w[i] as number) * v));
    for (let j = 0; j < s.searchDim; j++) {
      const up = p.u.slice();
      const dn = p.u.slice();
      up[j] = (up[j] as number) + 1e-6;
      dn[j] = (dn[j] as number) - 1e-6;
      expect(g[j]).toBeCloseTo((f(up, p.cats) - f(dn, p.cats)) / 2e-6, 6);
    }
  });

  it('uniform unit points give mixtures uniform on the simplex (mean fraction 1/K)', () => {
    const s = createSearchSpace(oer);
    const rng = new Rng(3);
    const mean = new Float64Array(5);
    const N = 4000;
    for (let t = 0; t < N; t++) {
      const z = s.toFeatures(s.fromUnit(Array.from({ length: s.unitDim }, () => rng.next())));
      for (let i = 0; i < 5; i++) mean[i] = (mean[i] as number) + (z[i] as number) / N;
    }
    for (const m of mean) expect(m).toBeCloseTo(0.2, 1);
  });

  it('with presence, appends one indicator per component (own shared group), set by the fractions, gradient-free', () => {
    const s = createSearchSpace(mixed, { presence: true });
    const plain = createSearchSpace(mixed);
    expect(s.presenceDim).toBe(3);
    expect(plain.presenceDim).toBe(0);
    expect(s.featureDim).toBe(plain.featureDim + 3);
    expect(s.featureNames.slice(-3)).toEqual(['present(A)', 'present(B)', 'present(C)']);
    const g = s.featureGroups;
    expect(new Set(g.slice(-3)).size).toBe(1);
    expect(g.slice(0, -3)).not.toContain(g.at(-1));
    const recipe = { conc: 10, cycles: 2, solvent: 'ethanol', A: 0.7, B: 0, C: 0.3 };
    const z = s.encode(recipe);
    expect(Array.from(z.slice(-3))).toEqual([1, 0, 1]);
    expect(Array.from(z.slice(0, plain.featureDim))).toEqual(Array.from(plain.encode(recipe)));
    // The same indicators from a search point; decoding ignores them.
    const p = s.fromFeatures(z);
    expect(Array.from(s.toFeatures(p).slice(-3))).toEqual([1, 0, 1]);
    expect(s.decodeRaw(z)).toEqual(plain.decodeRaw(z.slice(0, plain.featureDim)));
    // Indicator gradients do not reach the box coordinates.
    const grad = new Float64Array(s.featureDim);
    grad.fill(1, plain.featureDim);
    expect(Array.from(s.pullbackGradient(p, grad)).every((v) => v === 0)).toBe(true);
  });

  it('rejects recipes with missing values or unknown categories', () => {
    const s = createSearchSpace(mixed);
    expect(() => s.encode({ conc: 1, cycles: 1, solvent: 'acetone', A: 1, B: 0, C: 0 })).toThrow(/solvent/);
    expect(() => s.encode({ conc: Number.NaN, cycles: 1, solvent: 'water', A: 1, B: 0, C: 0 })).toThrow(/conc/);
  });
});

describe('outcome transforms', () => {
  it('standardises and inverts; constant and single outcomes keep std = 1', () => {
    const t = fitStandardizer([1, 2, 3, 4]);
    expect(t.mean).toBe(2.5);
    expect(t.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(t.backward(t.forward(3.7))).toBeCloseTo(3.7, 12);
    expect(fitStandardizer([5, 5, 5]).std).toBe(1);
    expect(fitStandardizer([5]).std).toBe(1);
    expect(() => fitStandardizer([1, Number.NaN])).toThrow(/not finite/);
    expect(objectiveSign({ direction: 'minimize' })).toBe(-1);
  });
});
