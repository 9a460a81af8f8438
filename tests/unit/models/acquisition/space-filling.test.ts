import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSpecSchema, normaliseRecipe, validateRecipe, type CampaignSpec } from '../../../../src/domain/index.ts';
import { Rng } from '../../../../src/domain/random.ts';
import { fromRows, zeros } from '../../../../models/linalg/index.ts';
import { mixtureColumns, spaceFillingCandidate } from '../../../../models/acquisition/space-filling.ts';
import { createSearchSpace } from '../../../../models/transforms/search-space.ts';

const oer: CampaignSpec = campaignSpecSchema.parse(parse(readFileSync(new URL('../../../../examples/oer-screen.yaml', import.meta.url), 'utf8')));

describe('composition space-filling exploration (ADR 0052)', () => {
  const space = createSearchSpace(oer, { presence: true });
  const anchorRecipe = normaliseRecipe(oer, { Ni: 0.75, Fe: 0.2, Co: 0.05, Ce: 0, Mn: 0, totalMetal: 60, complexant: 5, depositionCharge_mC_cm2: 30, annealTemperature: 150 });
  const anchor = space.encode(anchorRecipe);

  it('proposes dispensable recipes with the anchor’s other parameters and mixtures away from the taken ones', () => {
    const rng = new Rng(1);
    let taken = fromRows([anchor]);
    const cols = mixtureColumns(space);
    expect(cols).toHaveLength(5);
    const distances: number[] = [];
    for (let k = 0; k < 12; k++) {
      const { features, distance } = spaceFillingCandidate(space, { taken, anchor, rng, candidates: 128 });
      const recipe = space.decode(features);
      expect(validateRecipe(oer, recipe)).toEqual([]);
      const snapped = normaliseRecipe(oer, recipe);
      for (const [k, v] of Object.entries(recipe)) expect(snapped[k] as number).toBeCloseTo(v as number, 12);
      for (const p of ['totalMetal', 'complexant', 'depositionCharge_mC_cm2', 'annealTemperature']) expect(recipe[p] as number).toBeCloseTo(anchorRecipe[p] as number, 9);
      distances.push(distance);
      taken = fromRows([...Array.from({ length: taken.n }, (_, i) => taken.data.slice(i * taken.d, (i + 1) * taken.d)), space.encode(recipe)]);
    }
    // D²-weighted choice: on average farther from the taken mixtures than a single uniform draw (candidates: 1).
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    const weighted: number[] = [];
    const uniform: number[] = [];
    const rngW = new Rng(2);
    const rngU = new Rng(3);
    for (let k = 0; k < 100; k++) {
      weighted.push(spaceFillingCandidate(space, { taken: fromRows([anchor]), anchor, rng: rngW, candidates: 128 }).distance);
      uniform.push(spaceFillingCandidate(space, { taken: fromRows([anchor]), anchor, rng: rngU, candidates: 1 }).distance);
    }
    expect(mean(weighted)).toBeGreaterThan(mean(uniform) + 0.05);
    expect(Math.min(...distances)).toBeGreaterThan(0);
  });

  it('keeps to recipes the feasibility model accepts while any is left, and is seeded', () => {
    const noCe = (f: Float64Array) => ((f[space.featureNames.indexOf('Ce')] as number) > 0 ? -5 : 0);
    for (let s = 0; s < 10; s++) {
      const a = spaceFillingCandidate(space, { taken: zeros(0, space.featureDim), anchor, rng: new Rng(s), logFeasible: noCe, candidates: 64 });
      expect(space.decode(a.features).Ce).toBe(0);
      const b = spaceFillingCandidate(space, { taken: zeros(0, space.featureDim), anchor, rng: new Rng(s), logFeasible: noCe, candidates: 64 });
      expect(Array.from(b.features)).toEqual(Array.from(a.features));
    }
  });
});
