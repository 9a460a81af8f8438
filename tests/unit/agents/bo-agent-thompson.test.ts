import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSpecSchema, validateRecipe, type CampaignSpec, type Observation, type Recipe } from '../../../src/domain/index.ts';
import { createBoAgent } from '../../../agents/bo-agent.ts';
import { faceCounts, faceKey } from '../../../agents/bo-thompson.ts';
import { createAgent } from '../../../src/app/agents.ts';
import { fromRows } from '../../../models/linalg/index.ts';
import { createSearchSpace } from '../../../models/transforms/search-space.ts';

const oer: CampaignSpec = campaignSpecSchema.parse(parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')));
const ctx = (spec: CampaignSpec, seed = 3) => {
  let k = 0;
  return { spec, seed, newId: () => `id-${++k}` };
};
// A narrow pocket on the Ni–Co–Ce face in a smooth background that favours Ni-rich inks.
const eta10 = (r: Recipe): number => {
  const d2 = ((r.Ni as number) - 0.35) ** 2 + ((r.Co as number) - 0.2) ** 2 + ((r.Ce as number) - 0.45) ** 2 + (r.Fe as number) ** 2 + (r.Mn as number) ** 2;
  return 0.36 + 0.05 * (1 - (r.Ni as number)) - 0.1 * Math.exp(-d2 / 0.02) + 0.0004 * Math.abs((r.totalMetal as number) - 50);
};
const observe = (recipe: Recipe, i: number): Observation => ({ trialId: `t${i}`, recipe, feasible: true, objectives: { eta10: eta10(recipe) }, qualityFlags: [] });

async function run(seed: number, options: Parameters<typeof createBoAgent>[1], rounds: number) {
  const agent = createBoAgent(ctx(oer, seed), options);
  const all: { recipe: Recipe; rationale: string }[] = [];
  const design = await agent.suggest(5, []);
  await agent.ingest(design.map((s, i) => observe(s.recipe, i)));
  let i = 10;
  for (let round = 0; round < rounds; round++) {
    const batch = await agent.suggest(2, []);
    for (const s of batch) expect(validateRecipe(oer, s.recipe)).toEqual([]);
    all.push(...batch);
    await agent.ingest(batch.map((s) => observe(s.recipe, i++)));
  }
  return all;
}

describe('BO agent: Thompson sampling over the dispensable set (ADR 0053–0055)', () => {
  it('with acquisition thompson and strategy.thompson every proposal is a valid Thompson sample; the same seed gives the same proposals', async () => {
    const opts = { rawSamples: 32, restarts: 1, acquisition: 'thompson' as const, thompson: { global: 96, perCentre: 32, trustRegion: true, faceBonus: 0.5 } };
    const a = await run(4, opts, 3);
    expect(a).toHaveLength(6);
    for (const s of a) expect(s.rationale).toMatch(/^Thompson sample of a GP/);
    const b = await run(4, opts, 3);
    expect(b.map((s) => s.recipe)).toEqual(a.map((s) => s.recipe));
  });

  it('global candidates from a Sobol design of the whole space (globalFrom: sobol): valid, seeded, and not the faces sampler', async () => {
    const opts = (globalFrom: 'faces' | 'sobol') => ({ rawSamples: 32, restarts: 1, acquisition: 'thompson' as const, thompson: { global: 96, perCentre: 32, globalFrom } });
    const a = await run(4, opts('sobol'), 3);
    for (const s of a) expect(s.rationale).toMatch(/^Thompson sample of a GP/);
    expect((await run(4, opts('sobol'), 3)).map((s) => s.recipe)).toEqual(a.map((s) => s.recipe));
    expect((await run(4, opts('faces'), 3)).map((s) => s.recipe)).not.toEqual(a.map((s) => s.recipe));
  });

  it('share 0.5 with UCB: half the proposals are Thompson samples', async () => {
    const a = await run(5, { rawSamples: 32, restarts: 1, thompson: { share: 0.5, global: 96, perCentre: 16 } }, 2);
    expect(a.filter((s) => s.rationale.startsWith('Thompson sample'))).toHaveLength(2);
    expect(a.filter((s) => s.rationale.startsWith('Maximises UCB'))).toHaveLength(2);
  });

  it('faces are keyed by their present components and counted', () => {
    const space = createSearchSpace(oer, { presence: true });
    const base = { totalMetal: 50, complexant: 10, depositionCharge_mC_cm2: 30, annealTemperature: 100 };
    const X = fromRows([
      space.encode({ Ni: 0.5, Fe: 0, Co: 0.2, Ce: 0.3, Mn: 0, ...base }),
      space.encode({ Ni: 0.3, Fe: 0, Co: 0.3, Ce: 0.4, Mn: 0, ...base }),
      space.encode({ Ni: 0.8, Fe: 0.2, Co: 0, Ce: 0, Mn: 0, ...base }),
    ]);
    expect(faceKey(space, X.data.subarray(0, X.d))).toBe('10110');
    expect(Object.fromEntries(faceCounts(space, X))).toEqual({ '10110': 2, '11000': 1 });
  });

  it('the campaign file states it (strict): strategy.thompson', () => {
    const spec = campaignSpecSchema.parse({ ...oer, strategy: { ...oer.strategy, acquisition: 'thompson', thompson: { global: 256, centres: 2, perCentre: 64, radius: 0.05, trustRegion: true, faceBonus: 1 } } });
    expect(spec.strategy.thompson?.perCentre).toBe(64);
    expect(createAgent('bo', ctx(spec)).name).toBe('bo');
    expect(campaignSpecSchema.safeParse({ ...oer, strategy: { ...oer.strategy, thompson: { share: 1.5 } } }).success).toBe(false);
    expect(campaignSpecSchema.safeParse({ ...oer, strategy: { ...oer.strategy, thompson: { candidates: 5 } } }).success).toBe(false);
  });
});
