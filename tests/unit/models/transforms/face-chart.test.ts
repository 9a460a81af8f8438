import { describe, expect, it } from 'vitest';
import { campaignSpecSchema, validateRecipe, type CampaignSpec } from '../../../../src/domain/index.ts';
import { normaliseRecipe } from '../../../../src/domain/recipe.ts';
import { Rng } from '../../../../src/domain/random.ts';
import {
  createChart,
  maxSupportSize,
  neighbourFeatures,
  projectOntoSupport,
  sampleDispensable,
  stateOf,
  supportNeighbours,
  supportOf,
} from '../../../../models/transforms/face-chart.ts';
import { createSearchSpace } from '../../../../models/transforms/search-space.ts';

const spec: CampaignSpec = campaignSpecSchema.parse({
  id: 'faces',
  title: 'faces',
  objectives: [{ name: 'y', direction: 'maximize', unit: '', feature: 'y' }],
  parameters: [
    { type: 'simplex', name: 'metals', components: ['Ni', 'Fe', 'Co', 'Ce', 'Mn'], minFraction: 0.05, maxComponents: 4 },
    { type: 'continuous', name: 'T', low: 25, high: 500, unit: 'degC' },
    { type: 'categorical', name: 'solvent', choices: ['water', 'ethanol'] },
  ],
  budget: { trials: 10 },
  safety: { maxTotalVolume: 1000, potentialWindow_V_RHE: [0, 2] },
});
const space = createSearchSpace(spec, { presence: true });
const metals = ['Ni', 'Fe', 'Co', 'Ce', 'Mn'];

describe('face charts of the dispensable set', () => {
  it('describes the space as a layout of blocks', () => {
    expect(space.layout.map((b) => b.kind)).toEqual(['simplex', 'continuous', 'categorical']);
    const b = space.layout[0];
    expect(b && b.kind === 'simplex' && [b.feature, b.maxComponents, b.minFraction, b.presence]).toEqual([0, 4, 0.05, 8]);
  });

  it('maps every box point onto exactly its face: support S, every part ≥ minFraction, a recipe dispensed unchanged', () => {
    const rng = new Rng(4);
    for (const S of [[0], [1, 3], [0, 2, 3], [0, 1, 2, 4]]) {
      const chart = createChart(space, { supports: [S], cats: Int32Array.of(1) });
      expect(chart.dim).toBe(1 + S.length - 1);
      for (let trial = 0; trial < 50; trial++) {
        // Include the box corners, where parts sit exactly at the floor.
        const t = Float64Array.from({ length: chart.dim }, () => (trial < 10 ? Math.round(rng.next()) : rng.next()));
        const z = chart.toFeatures(t);
        const recipe = space.decode(z);
        expect(validateRecipe(spec, recipe)).toEqual([]);
        expect(supportOf({ components: metals }, recipe)).toEqual(S);
        for (const i of S) expect(recipe[metals[i] as string] as number).toBeGreaterThanOrEqual(0.05);
        // Dispensing (normaliseRecipe) changes nothing: the features of the dispensed recipe are the scored ones.
        const again = space.encode(normaliseRecipe(spec, recipe));
        for (let j = 0; j < z.length; j++) expect(Math.abs((again[j] as number) - (z[j] as number))).toBeLessThan(1e-12);
        expect(recipe.solvent).toBe('ethanol');
        // The chart coordinates come back.
        const back = chart.fromFeatures(z);
        for (let j = 0; j < t.length; j++) if (S.length === 1 || j === 0 || trial >= 10) expect(back[j]).toBeCloseTo(t[j] as number, 9);
      }
    }
  });

  it('pulls feature gradients back to chart coordinates (finite differences)', () => {
    const chart = createChart(space, { supports: [[0, 2, 3, 4]], cats: Int32Array.of(0) });
    const weights = Float64Array.from({ length: space.featureDim }, (_, j) => Math.sin(1.3 * j + 0.4));
    const f = (t: Float64Array): number => {
      const z = chart.toFeatures(t);
      let s = 0;
      for (let j = 0; j < z.length; j++) s += (weights[j] as number) * (z[j] as number) ** 2;
      return s;
    };
    const t = Float64Array.of(0.3, 0.2, 0.6, 0.45);
    const z = chart.toFeatures(t);
    const g = chart.pullback(t, Float64Array.from(z, (v, j) => 2 * (weights[j] as number) * v));
    for (let j = 0; j < t.length; j++) {
      const tp = Float64Array.from(t);
      const tm = Float64Array.from(t);
      tp[j] = (tp[j] as number) + 1e-6;
      tm[j] = (tm[j] as number) - 1e-6;
      expect(g[j]).toBeCloseTo((f(tp) - f(tm)) / 2e-6, 6);
    }
  });

  it('lists support neighbours: add, drop and swap one component within maxComponents', () => {
    expect(maxSupportSize({ components: metals, minFraction: 0.05, maxComponents: 4 })).toBe(4);
    expect(maxSupportSize({ components: metals, minFraction: 0.3, maxComponents: 4 })).toBe(3);
    const nb = supportNeighbours([0, 2], 5, 4);
    // add 3 + drop 2 + swap 2·3
    expect(nb).toHaveLength(3 + 2 + 6);
    expect(nb).toContainEqual([0, 1, 2]);
    expect(nb).toContainEqual([2]);
    expect(nb).toContainEqual([1, 2]);
    expect(new Set(nb.map((s) => s.join())).size).toBe(nb.length);
    // A full support only drops or swaps; a singleton cannot drop.
    expect(supportNeighbours([0, 1, 2, 3], 5, 4).every((s) => s.length <= 4)).toBe(true);
    expect(supportNeighbours([1], 5, 4).every((s) => s.length >= 1)).toBe(true);
  });

  it('neighbour points and random draws are all dispensable', () => {
    const rng = new Rng(9);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const z = sampleDispensable(space, Float64Array.from({ length: space.unitDim }, () => rng.next()), rng);
      const recipe = space.decode(z);
      expect(validateRecipe(spec, recipe)).toEqual([]);
      seen.add(supportOf({ components: metals }, recipe).join());
      for (const nb of neighbourFeatures(space, z)) expect(validateRecipe(spec, space.decode(nb))).toEqual([]);
    }
    // Supports of every size and many subsets are drawn.
    expect(seen.size).toBeGreaterThan(20);
    const z = sampleDispensable(space, Float64Array.from({ length: space.unitDim }, () => 0.5), rng);
    const S = stateOf(space, z).supports[0] as number[];
    const absent = [0, 1, 2, 3, 4].find((i) => !S.includes(i));
    if (S.length < 4 && absent !== undefined) {
      const moved = projectOntoSupport(space, z, 0, [...S, absent].sort());
      expect(moved[absent]).toBeGreaterThan(0.05);
    }
  });
});
