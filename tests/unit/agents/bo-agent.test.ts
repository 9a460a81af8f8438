import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSpecSchema, normaliseRecipe, validateRecipe, type CampaignSpec, type Observation, type Recipe } from '../../../src/domain/index.ts';
import { createBoAgent, InvalidObservationError } from '../../../agents/bo-agent.ts';
import type { AgentContext } from '../../../agents/agent.ts';

const oer: CampaignSpec = campaignSpecSchema.parse(parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')));

function ctxFor(spec: CampaignSpec, seed = 1): AgentContext {
  let k = 0;
  return { spec, seed, newId: () => `id-${++k}` };
}

/** A smooth hidden landscape over the OER recipe (lower is better), with a failure region at high Ce. */
function eta10(r: Recipe): number {
  const n = (k: string) => r[k] as number;
  return 0.35 + 0.2 * (n('Ni') - 0.5) ** 2 + 0.3 * (n('Fe') - 0.3) ** 2 + 0.1 * n('Mn') + 0.0005 * Math.abs(n('totalMetal') - 60) + 0.00002 * (n('annealTemperature') - 300) ** 2 / 10;
}

function observe(recipe: Recipe, i: number): Observation {
  const failed = (recipe.Ce as number) > 0.45;
  return failed
    ? { trialId: `t${i}`, recipe, feasible: false, objectives: {}, failureCode: 'NO_FILM', qualityFlags: [] }
    : { trialId: `t${i}`, recipe, feasible: true, objectives: { eta10: eta10(recipe) }, qualityFlags: [] };
}

describe('BoAgent on the default OER spec', () => {
  it('runs the initial Sobol design, then BO proposals that are always valid recipes', async () => {
    const agent = createBoAgent(ctxFor(oer), { rawSamples: 64, restarts: 2, mcSamples: 64 });
    const first = await agent.suggest(4, []);
    expect(first.map((s) => s.proposer)).toEqual(['sobol', 'sobol', 'sobol', 'sobol']);
    await agent.ingest(first.map((s, i) => observe(s.recipe, i)));
    let i = 10;
    for (let round = 0; round < 3; round++) {
      const batch = await agent.suggest(3, [first[0]!.recipe]);
      for (const s of batch) {
        expect(validateRecipe(oer, normaliseRecipe(oer, s.recipe))).toEqual([]);
        expect(validateRecipe(oer, s.recipe)).toEqual([]);
      }
      await agent.ingest(batch.map((s) => observe(s.recipe, i++)));
    }
    const last = await agent.suggest(2, []);
    for (const s of last) {
      expect(s.proposer).toBe('bo');
      expect(s.rationale.length).toBeGreaterThan(20);
      expect(Number.isFinite(s.acquisitionValue)).toBe(true);
      expect(s.modelSnapshotId).toBe(agent.report().snapshot?.snapshotId);
      const p = s.predicted?.eta10;
      expect(p && Number.isFinite(p.mean) && p.sd > 0).toBe(true);
      expect(p!.mean).toBeGreaterThan(0.2);
      expect(p!.mean).toBeLessThan(0.8);
    }
    const snap = agent.report().snapshot!;
    expect(snap.agent).toBe('bo');
    expect(snap.n).toBeGreaterThan(5);
    expect(snap.parity).toHaveLength(snap.n);
    expect(Number.isFinite(snap.looRmse)).toBe(true);
    expect(snap.parity![0]!.observed).toBeGreaterThan(0.2); // objective units (V), not standardised
  });

  it('rejects NaN and infinite objectives with a clear error and ingests nothing of that batch', async () => {
    const agent = createBoAgent(ctxFor(oer));
    const [s] = await agent.suggest(1, []);
    const good = observe(s!.recipe, 1);
    const bad = { ...good, trialId: 'bad', objectives: { eta10: Number.NaN } };
    await expect(agent.ingest([good, bad])).rejects.toThrow(InvalidObservationError);
    await expect(agent.ingest([{ ...good, objectives: { eta10: Infinity } }])).rejects.toThrow(/eta10.*not a finite number/);
    expect(agent.report().observations).toBe(0);
  });

  it('works from a single observation and with duplicate observations', async () => {
    const spec = { ...oer, strategy: { ...oer.strategy, initialTrials: 1 } };
    const agent = createBoAgent(ctxFor(spec), { rawSamples: 64, restarts: 2 });
    const [s] = await agent.suggest(1, []);
    await agent.ingest([observe(s!.recipe, 1)]);
    const one = await agent.suggest(1, []);
    expect(one[0]!.proposer).toBe('bo');
    expect(validateRecipe(spec, one[0]!.recipe)).toEqual([]);
    await agent.ingest([observe(s!.recipe, 2), observe(s!.recipe, 3)]);
    const dup = await agent.suggest(2, []);
    for (const d of dup) expect(Object.values(d.recipe).every((v) => typeof v === 'string' || Number.isFinite(v))).toBe(true);
  });

  it('same seed → same proposals', async () => {
    const run = async () => {
      const agent = createBoAgent(ctxFor(oer, 42), { rawSamples: 64, restarts: 2 });
      const a = await agent.suggest(5, []);
      await agent.ingest(a.map((s, i) => observe(s.recipe, i)));
      return (await agent.suggest(2, [])).map((s) => s.recipe);
    };
    expect(await run()).toEqual(await run());
  });

  it('keeps proposing (repeats) when a tiny space is exhausted', async () => {
    const tiny = campaignSpecSchema.parse({
      ...oer,
      derivedFeatures: [],
      parameters: [{ type: 'categorical', name: 'solvent', choices: ['water', 'dmso'] }],
      strategy: { ...oer.strategy, initialTrials: 2 },
    });
    const agent = createBoAgent(ctxFor(tiny), { rawSamples: 16, restarts: 2 });
    await agent.ingest([
      { trialId: 'a', recipe: { solvent: 'water' }, feasible: true, objectives: { eta10: 0.4 }, qualityFlags: [] },
      { trialId: 'b', recipe: { solvent: 'dmso' }, feasible: true, objectives: { eta10: 0.3 }, qualityFlags: [] },
    ]);
    await agent.suggest(2, []); // the design budget
    const s = await agent.suggest(3, [{ solvent: 'dmso' }]);
    expect(s).toHaveLength(3);
    for (const x of s) expect(validateRecipe(tiny, x.recipe)).toEqual([]);
  });

  it('an agent rebuilt from stored observations goes straight to BO (no second initial design)', async () => {
    const first = createBoAgent(ctxFor(oer, 5), { rawSamples: 32, restarts: 2 });
    const design = await first.suggest(6, []);
    const stored = design.map((s, i) => observe(s.recipe, i));
    const resumed = createBoAgent(ctxFor(oer, 5), { rawSamples: 32, restarts: 2 });
    await resumed.ingest(stored);
    const next = await resumed.suggest(1, []);
    expect(next[0]!.proposer).toBe('bo');
  });

  it.each(['qLogNEI', 'ucb', 'thompson', 'logEI'] as const)('acquisition %s proposes valid recipes', async (acquisition) => {
    const agent = createBoAgent(ctxFor(oer, 7), { acquisition, rawSamples: 32, restarts: 2 });
    const design = await agent.suggest(6, []);
    await agent.ingest(design.map((s, i) => observe(s.recipe, i)));
    const batch = await agent.suggest(3, [design[0]!.recipe]);
    expect(batch).toHaveLength(3);
    for (const s of batch) {
      expect(s.proposer).toBe('bo');
      expect(validateRecipe(oer, s.recipe)).toEqual([]);
    }
    expect(new Set(batch.map((s) => JSON.stringify(s.recipe))).size).toBe(3);
  });

  it('handles two objectives (ParEGO scalarisation) and an objective threshold', async () => {
    const spec = campaignSpecSchema.parse({
      ...oer,
      objectives: [
        { name: 'eta10', direction: 'minimize', unit: 'V', feature: 'eta10_V', threshold: 0.5 },
        { name: 'cost', direction: 'minimize', unit: 'EUR', feature: 'cost' },
      ],
    });
    const agent = createBoAgent(ctxFor(spec, 8), { rawSamples: 32, restarts: 2 });
    const design = await agent.suggest(6, []);
    await agent.ingest(
      design.map((s, i) => ({ trialId: `t${i}`, recipe: s.recipe, feasible: true, objectives: { eta10: eta10(s.recipe), cost: (s.recipe.Co as number) * 3 + 1 }, qualityFlags: [] })),
    );
    const [s] = await agent.suggest(1, []);
    expect(s!.proposer).toBe('bo');
    expect(Object.keys(s!.predicted!)).toEqual(['eta10', 'cost']);
    expect(s!.predicted!.cost!.mean).toBeGreaterThan(0);
    expect(Object.keys(agent.report().snapshot!.hyperparameters)).toEqual(['eta10', 'cost']);
  });
});

describe('the campaign chooses the BO acquisition (strategy.acquisition, ucbBeta, kernel)', () => {
  const rationaleOf = async (strategy: Partial<CampaignSpec['strategy']>) => {
    const spec = campaignSpecSchema.parse({ ...parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')), strategy: { ...oer.strategy, ...strategy } });
    const { createAgent } = await import('../../../src/app/agents.ts');
    const agent = createAgent('bo', ctxFor(spec));
    const first = await agent.suggest(5, []);
    await agent.ingest(first.map((s, i) => observe(s.recipe, i)));
    const [s] = await agent.suggest(1, []);
    const h = agent.report().snapshot?.hyperparameters['eta10'] as { kernel: string; lengthscales: Record<string, number> };
    return { rationale: s!.rationale, kernel: h.kernel, lengthscales: h.lengthscales };
  };

  it('defaults to UCB (β = 4) on a Matérn-5/2 GP; qLogNEI, β and RBF when the campaign asks', async () => {
    expect(await rationaleOf({})).toMatchObject({ rationale: expect.stringContaining('UCB (β = 4)'), kernel: 'matern52' });
    expect(await rationaleOf({ acquisition: 'qLogNEI', kernel: 'rbf' })).toMatchObject({ rationale: expect.stringContaining('LogEI'), kernel: 'rbf' });
    expect((await rationaleOf({ ucbBeta: 1 })).rationale).toContain('UCB (β = 1)');
  });

  it('gives the metal fractions one shared lengthscale by default (ADR 0044), one each with mixtureLengthscales: ard', async () => {
    const metals = ['Ni', 'Fe', 'Co', 'Ce', 'Mn'];
    const shared = (await rationaleOf({})).lengthscales;
    expect(new Set(metals.map((m) => shared[m])).size).toBe(1);
    const ard = (await rationaleOf({ mixtureLengthscales: 'ard' })).lengthscales;
    expect(new Set(metals.map((m) => ard[m])).size).toBeGreaterThan(1);
  });

  it('gives the GP a component-present indicator per metal by default (ADR 0045), none with mixturePresence: false', async () => {
    const metals = ['Ni', 'Fe', 'Co', 'Ce', 'Mn'];
    const withPresence = (await rationaleOf({})).lengthscales;
    for (const m of metals) expect(withPresence[`present(${m})`]).toBeGreaterThan(0);
    const without = (await rationaleOf({ mixturePresence: false })).lengthscales;
    expect(Object.keys(without).some((k) => k.startsWith('present('))).toBe(false);
  });

  it('with the copula warp a monotone change of the objective changes no proposal; without it, it does', async () => {
    const proposals = async (strategy: Partial<CampaignSpec['strategy']>, f: (v: number) => number): Promise<Recipe[]> => {
      const spec = campaignSpecSchema.parse({ ...parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')), strategy: { ...oer.strategy, ...strategy } });
      const { createAgent } = await import('../../../src/app/agents.ts');
      const agent = createAgent('bo', ctxFor(spec, 5));
      const first = await agent.suggest(6, []);
      await agent.ingest(first.map((s, i) => ({ trialId: `t${i}`, recipe: s.recipe, feasible: true, objectives: { eta10: f(eta10(s.recipe)) }, qualityFlags: [] })));
      return (await agent.suggest(2, [])).map((s) => s.recipe);
    };
    const steep = (v: number): number => Math.exp(12 * v);
    expect(await proposals({ outcomeWarp: 'copula' }, steep)).toEqual(await proposals({ outcomeWarp: 'copula' }, (v) => v));
    expect(await proposals({ outcomeWarp: 'none' }, steep)).not.toEqual(await proposals({ outcomeWarp: 'none' }, (v) => v));
  });

  it('refuses a bad strategy with the field named', () => {
    const bad = campaignSpecSchema.safeParse({ ...parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')), strategy: { agent: 'bo', ucbBeta: -1, acquisition: 'greedy', mixtureLengthscales: 'some', outcomeWarp: 'rank', mixturePresence: 'yes' } });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['strategy.ucbBeta', 'strategy.acquisition', 'strategy.mixtureLengthscales', 'strategy.outcomeWarp', 'strategy.mixturePresence']));
  });
});
