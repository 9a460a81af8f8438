import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSpecSchema, normaliseRecipe, validateRecipe, type CampaignSpec, type Observation, type Recipe } from '../../../src/domain/index.ts';
import { createEvidenceBoAgent, encodingVariants, type EncodingChoice } from '../../../agents/bo-evidence.ts';
import { createSobolDesign } from '../../../agents/sobol-agent.ts';
import { createBo } from '../../../src/app/bo-factory.ts';
import type { AgentContext } from '../../../agents/agent.ts';
import { Rng } from '../../../src/domain/random.ts';

const oer: CampaignSpec = campaignSpecSchema.parse(parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')));

function ctxFor(spec: CampaignSpec, seed = 1): AgentContext {
  let k = 0;
  return { spec, seed, newId: () => `id-${++k}` };
}

/** Observations of `f` (plus seeded noise of SD `noise`) at `n` Sobol recipes of the spec. */
function observations(spec: CampaignSpec, n: number, f: (r: Recipe) => number, noise = 0.003): Observation[] {
  const design = createSobolDesign(spec, 7);
  const rng = new Rng(11);
  return Array.from({ length: n }, (_, i) => {
    const recipe = design();
    return { trialId: `t${i}`, recipe, feasible: true, objectives: { eta10: f(recipe) + noise * rng.normal() }, qualityFlags: [] };
  });
}

const frac = (r: Recipe, k: string): number => r[k] as number;

describe('encoding variants', () => {
  it('crosses presence indicators with shared/ARD mixture lengthscales, the configured encoding first', () => {
    expect(encodingVariants(oer).map((v) => v.label)).toEqual(['presence+shared', 'presence+ard', 'no-presence+shared', 'no-presence+ard']);
    expect(encodingVariants(oer, { mixturePresence: false }).map((v) => v.label)).toEqual(['no-presence+shared', 'no-presence+ard', 'presence+shared', 'presence+ard']);
    expect(encodingVariants(oer, { shareMixtureLengthscales: false })[0]?.label).toBe('presence+ard');
    const noMixture = { ...oer, parameters: oer.parameters.filter((p) => p.type !== 'simplex') };
    expect(encodingVariants(noMixture)).toHaveLength(1);
  });
});

describe('BO agent with the mixture encoding chosen by evidence', () => {
  it('chooses presence indicators when the outcome jumps with a component being present', async () => {
    // +80 mV whenever Mn is in the recipe at all (≥ 5 %), whatever its fraction: a step presence indicators express.
    const f = (r: Recipe) => 0.35 + (frac(r, 'Mn') > 0 ? 0.08 : 0) + 0.05 * (frac(r, 'Ni') - 0.4) ** 2;
    const agent = createEvidenceBoAgent(ctxFor(oer), { rawSamples: 64, restarts: 2 });
    await agent.ingest(observations(oer, 40, f));
    const batch = await agent.suggest(2, []);
    for (const s of batch) expect(validateRecipe(oer, normaliseRecipe(oer, s.recipe))).toEqual([]);
    const choice = agent.report().snapshot?.hyperparameters._encoding as EncodingChoice;
    expect(choice.n).toBe(40);
    expect(Object.keys(choice.looLogDensity)).toHaveLength(4);
    expect(choice.chosen.startsWith('presence')).toBe(true);
    // The presence variants explain the step better than either variant without them.
    const d = choice.looLogDensity;
    expect(Math.max(d['presence+shared']!, d['presence+ard']!)).toBeGreaterThan(Math.max(d['no-presence+shared']!, d['no-presence+ard']!));
  });

  it('moves away from the configured encoding when another predicts clearly better (one fraction matters, sharply)', async () => {
    // Only Fe matters, on a scale far shorter than the other fractions': one lengthscale per fraction (ARD) fits it.
    const f = (r: Recipe) => 0.35 + 0.05 * Math.sin(14 * frac(r, 'Fe'));
    const agent = createEvidenceBoAgent(ctxFor(oer), { rawSamples: 64, restarts: 2 });
    await agent.ingest(observations(oer, 48, f, 0.002));
    await agent.suggest(1, []);
    const choice = agent.report().snapshot?.hyperparameters._encoding as EncodingChoice;
    expect(choice.chosen.endsWith('+ard')).toBe(true);
    expect(choice.looLogDensity[choice.chosen]!).toBeGreaterThan(choice.looLogDensity['presence+shared']! + 0.05);
  });

  it('keeps the default encoding until enough observations, then re-chooses every `every` results', async () => {
    const f = (r: Recipe) => 0.35 + 0.1 * (frac(r, 'Fe') - 0.25) ** 2 + 0.0004 * Math.abs((r.totalMetal as number) - 50);
    const obs = observations(oer, 30, f);
    const agent = createEvidenceBoAgent(ctxFor(oer, 3), { rawSamples: 64, restarts: 2, evidence: { minObservations: 12, every: 8 } });
    await agent.ingest(obs.slice(0, 8));
    await agent.suggest(1, []);
    expect(agent.report().snapshot?.hyperparameters._encoding).toBeUndefined();
    await agent.ingest(obs.slice(8, 14));
    await agent.suggest(1, []);
    expect((agent.report().snapshot?.hyperparameters._encoding as EncodingChoice).n).toBe(14);
    await agent.ingest(obs.slice(14, 20)); // 6 new: no new choice yet
    await agent.suggest(1, []);
    expect((agent.report().snapshot?.hyperparameters._encoding as EncodingChoice).n).toBe(14);
    await agent.ingest(obs.slice(20, 22));
    await agent.suggest(1, []);
    const choice = agent.report().snapshot?.hyperparameters._encoding as EncodingChoice;
    expect(choice.n).toBe(22);
    // Another encoding replaces the default only with a margin.
    const d = choice.looLogDensity;
    if (choice.chosen !== 'presence+shared') expect(d[choice.chosen]!).toBeGreaterThan(d['presence+shared']! + 0.05);
    for (const v of Object.values(d)) expect(Number.isFinite(v)).toBe(true);
  });

  it('is what `strategy.encoding: evidence` builds; `fixed` (the default) is the plain BO agent', async () => {
    const f = (r: Recipe) => 0.35 + (frac(r, 'Mn') > 0 ? 0.08 : 0);
    const evidence = createBo(ctxFor(campaignSpecSchema.parse({ ...parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')), strategy: { ...oer.strategy, encoding: 'evidence' } })));
    const plain = createBo(ctxFor(oer));
    for (const a of [evidence, plain]) {
      await a.ingest(observations(oer, 16, f));
      await a.suggest(1, []);
    }
    expect(evidence.report().snapshot?.hyperparameters._encoding).toBeDefined();
    expect(plain.report().snapshot?.hyperparameters._encoding).toBeUndefined();
    expect(() => campaignSpecSchema.parse({ ...oer, strategy: { ...oer.strategy, encoding: 'auto' } })).toThrow(/encoding/);
  });
});
