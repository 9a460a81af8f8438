import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSpecSchema, normaliseRecipe, validateRecipe, type CampaignSpec } from '../../../src/domain/index.ts';
import { createSobolAgent } from '../../../agents/sobol-agent.ts';
import { createRandomAgent } from '../../../agents/random-agent.ts';
import type { AgentContext } from '../../../agents/agent.ts';

const oer: CampaignSpec = campaignSpecSchema.parse(parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')));

function ctxFor(spec: CampaignSpec, seed = 1): AgentContext {
  let k = 0;
  return { spec, seed, newId: () => `id-${++k}` };
}

describe.each([
  ['sobol', createSobolAgent],
  ['random', createRandomAgent],
] as const)('%s agent', (name, create) => {
  it('proposes valid, dispensable recipes for the default spec', async () => {
    const agent = create(ctxFor(oer));
    const s = await agent.suggest(64, []);
    expect(s).toHaveLength(64);
    for (const sug of s) {
      expect(sug.proposer).toBe(name);
      expect(validateRecipe(oer, normaliseRecipe(oer, sug.recipe))).toEqual([]);
      expect(validateRecipe(oer, sug.recipe)).toEqual([]);
    }
    expect(new Set(s.map((x) => x.id)).size).toBe(64);
  });

  it('same seed → same proposals; different seed → different', async () => {
    const a = (await create(ctxFor(oer, 3)).suggest(5, [])).map((s) => s.recipe);
    const b = (await create(ctxFor(oer, 3)).suggest(5, [])).map((s) => s.recipe);
    const c = (await create(ctxFor(oer, 4)).suggest(5, [])).map((s) => s.recipe);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('counts ingested observations and respects linear constraints', async () => {
    const spec = { ...oer, constraints: [{ coefficients: { Ni: 1, Fe: 1 }, rhs: 0.5 }] };
    const agent = create(ctxFor(spec));
    const s = await agent.suggest(20, []);
    for (const sug of s) expect((sug.recipe.Ni as number) + (sug.recipe.Fe as number)).toBeLessThanOrEqual(0.5 + 1e-9);
    await agent.ingest([{ trialId: 't1', recipe: s[0]!.recipe, feasible: false, objectives: {}, qualityFlags: [] }]);
    expect(agent.report()).toEqual({ name, observations: 1 });
    expect(await agent.suggest(0, [])).toEqual([]);
  });
});

describe('Sobol agent coverage', () => {
  it('spreads the first points over the continuous ranges better than chance', async () => {
    const s = await createSobolAgent(ctxFor(oer, 9)).suggest(16, []);
    // Each quarter of the anneal temperature range holds 4 of the first 16 points (stratification).
    const q = [0, 0, 0, 0];
    for (const sug of s) q[Math.min(3, Math.floor((((sug.recipe.annealTemperature as number) - 25) / 475) * 4))]!++;
    expect(q).toEqual([4, 4, 4, 4]);
  });
});
