import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSpecSchema, normaliseRecipe, validateRecipe, type CampaignSpec } from '../../../../src/domain/index.ts';
import { Rng } from '../../../../src/domain/random.ts';
import { thompsonCandidates } from '../../../../models/acquisition/thompson-candidates.ts';
import { supportOf } from '../../../../models/transforms/face-chart.ts';
import { createSearchSpace } from '../../../../models/transforms/search-space.ts';

const oer: CampaignSpec = campaignSpecSchema.parse(parse(readFileSync(new URL('../../../../examples/oer-screen.yaml', import.meta.url), 'utf8')));

describe('Thompson candidates over the dispensable set (ADR 0053)', () => {
  const space = createSearchSpace(oer, { presence: true });
  const block = space.layout.find((b) => b.kind === 'simplex');
  if (!block || block.kind !== 'simplex') throw new Error('the OER screen has a simplex');

  it('global draws are dispensable recipes spread over every face size, small faces included', () => {
    const rows = thompsonCandidates(space, { global: 800, rng: new Rng(1) });
    expect(rows.length).toBe(800);
    const sizes = new Map<number, number>();
    const faces = new Set<string>();
    for (const z of rows) {
      const recipe = space.decode(z);
      expect(validateRecipe(oer, recipe)).toEqual([]);
      const snapped = normaliseRecipe(oer, recipe);
      for (const [k, v] of Object.entries(recipe)) expect(snapped[k] as number).toBeCloseTo(v as number, 12);
      const S = supportOf(block, recipe);
      sizes.set(S.length, (sizes.get(S.length) ?? 0) + 1);
      faces.add(S.join(','));
    }
    // Support size uniform over 1 … maxComponents (4): ≈ 200 each.
    for (const m of [1, 2, 3, 4]) expect(sizes.get(m) ?? 0).toBeGreaterThan(150);
    // Every one of the 30 faces of size 1–4 of a 5-component simplex is drawn.
    expect(faces.size).toBe(30);
    // The 3-metal face holding the simulated lab's pocket (Ni–Co–Ce) gets ≈ 800 / 4 / 10 = 20 draws; a uniform
    // simplex draw snapped to the dispensable set almost never lands on it.
    const niCoCe = rows.filter((z) => supportOf(block, space.decode(z)).join(',') === '0,2,3').length;
    expect(niCoCe).toBeGreaterThan(10);
  });

  it('local draws stay near their centre, reach neighbouring faces, and are seeded', () => {
    const centreRecipe = normaliseRecipe(oer, { Ni: 0.3, Fe: 0.07, Co: 0.2, Ce: 0.43, Mn: 0, totalMetal: 60, complexant: 30, depositionCharge_mC_cm2: 40, annealTemperature: 180 });
    const centre = space.encode(centreRecipe);
    const a = thompsonCandidates(space, { global: 0, centres: [centre], perCentre: 200, radius: 0.05, rng: new Rng(7) });
    const b = thompsonCandidates(space, { global: 0, centres: [centre], perCentre: 200, radius: 0.05, rng: new Rng(7) });
    expect(a.map((z) => Array.from(z))).toEqual(b.map((z) => Array.from(z)));
    expect(a.length).toBeGreaterThan(190);
    const dist = (z: Float64Array) => Math.sqrt(['Ni', 'Fe', 'Co', 'Ce', 'Mn'].reduce((s, m) => s + (((space.decode(z)[m] as number) ?? 0) - (centreRecipe[m] as number)) ** 2, 0));
    const d = a.map(dist).sort((x, y) => x - y);
    expect(d[Math.floor(d.length / 2)] as number).toBeLessThan(0.15);
    const faces = new Set(a.map((z) => supportOf(block, space.decode(z)).join(',')));
    expect(faces.has('0,1,2,3')).toBe(true);
    expect(faces.size).toBeGreaterThan(1);
    for (const z of a) expect(validateRecipe(oer, space.decode(z))).toEqual([]);
  });
});
