import { describe, expect, it } from 'vitest';
import { Rng, normaliseRecipe, validateRecipe } from '../../../src/domain/index.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';

const spec = defaultSpec();

describe('recipes', () => {
  it('accepts a valid recipe', () => {
    expect(validateRecipe(spec, goodRecipe)).toEqual([]);
  });

  it('names each problem by its field', () => {
    const issues = validateRecipe(spec, { ...goodRecipe, Ni: 0.5, totalMetal: 500, complexant: Number.NaN });
    expect(issues.map((i) => i.path).sort()).toEqual(['complexant', 'metals', 'totalMetal']);
  });

  it('normalises any proposal into a dispensable recipe: simplex exact, small fractions snapped, at most 4 metals, bounds clamped', () => {
    const rng = new Rng(7);
    for (let k = 0; k < 500; k++) {
      const raw: Record<string, number> = {};
      for (const m of ['Ni', 'Fe', 'Co', 'Ce', 'Mn']) raw[m] = rng.next() ** 3;
      raw.totalMetal = rng.uniform(0, 120);
      raw.complexant = rng.uniform(-5, 60);
      raw.depositionCharge_mC_cm2 = rng.uniform(2, 150);
      raw.annealTemperature = rng.uniform(25, 500);
      const r = normaliseRecipe(spec, raw);
      expect(validateRecipe(spec, r), JSON.stringify(r)).toEqual([]);
    }
  });
});
