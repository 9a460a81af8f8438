import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSpecSchema, validateRecipe, type CampaignSpec, type Observation, type Recipe } from '../../../src/domain/index.ts';
import { createBoAgent } from '../../../agents/bo-agent.ts';
import { createAgent } from '../../../src/app/agents.ts';

const oer: CampaignSpec = campaignSpecSchema.parse(parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')));
const ctx = (spec: CampaignSpec) => {
  let k = 0;
  return { spec, seed: 3, newId: () => `id-${++k}` };
};
const eta10 = (r: Recipe): number => 0.35 + 0.2 * ((r.Ni as number) - 0.6) ** 2 + 0.1 * (r.Mn as number) + 0.0004 * Math.abs((r.totalMetal as number) - 50);
const observe = (recipe: Recipe, i: number): Observation => ({ trialId: `t${i}`, recipe, feasible: true, objectives: { eta10: eta10(recipe) }, qualityFlags: [] });

describe('BO agent: stated priors and a space-filling share (ADR 0052)', () => {
  it('with exploreShare 0.25, one proposal in four explores mixtures at the incumbent’s other parameters', async () => {
    const agent = createBoAgent(ctx(oer), { rawSamples: 32, restarts: 1, exploreShare: 0.25, gpPriors: { noiseSd: 0.017, outputscale: 'learn' } });
    const design = await agent.suggest(6, []);
    await agent.ingest(design.map((s, i) => observe(s.recipe, i)));
    const out = [];
    let i = 10;
    for (let round = 0; round < 2; round++) {
      const batch = await agent.suggest(4, []);
      for (const s of batch) expect(validateRecipe(oer, s.recipe)).toEqual([]);
      out.push(...batch);
      await agent.ingest(batch.map((s) => observe(s.recipe, i++)));
    }
    const explore = out.filter((s) => s.rationale.startsWith('Explores a mixture'));
    expect(explore).toHaveLength(2);
    const snap = agent.report().snapshot!;
    const h = snap.hyperparameters.eta10 as { outputscale: number };
    expect(h.outputscale).not.toBe(1);
  });

  it('the campaign file states them (strict): strategy.gpPriors and strategy.exploreShare', () => {
    const spec = campaignSpecSchema.parse({ ...oer, strategy: { ...oer.strategy, exploreShare: 0.25, gpPriors: { noiseSd: 0.017, outputscale: 'learn', mixtureLengthscale: { median: 0.15, sigma: 0.5 } } } });
    expect(spec.strategy.gpPriors?.noiseSd).toBe(0.017);
    expect(createAgent('bo', ctx(spec)).name).toBe('bo');
    expect(campaignSpecSchema.safeParse({ ...oer, strategy: { ...oer.strategy, exploreShare: 0.8 } }).success).toBe(false);
    expect(campaignSpecSchema.safeParse({ ...oer, strategy: { ...oer.strategy, gpPriors: { noise: 0.01 } } }).success).toBe(false);
  });
});
