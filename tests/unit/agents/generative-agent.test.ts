import { describe, expect, it } from 'vitest';
import { createBoAgent } from '../../../agents/bo-agent.ts';
import { createGenerativeAgent, type GeneratorTrainer } from '../../../agents/generative-agent.ts';
import { fromSnapshotDocument } from '../../../agents/generative-snapshot.ts';
import { loadModel } from '../../../models/generative/trained-model.ts';
import { createAgent } from '../../../src/app/agents.ts';
import { createInlineTrainer } from '../../../src/app/generative-trainer.ts';
import { campaignSpecSchema, type CampaignSpec } from '../../../src/domain/index.ts';
import { validateRecipe } from '../../../src/domain/recipe.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';
import { syntheticLandscape, uniformObservations } from '../../helpers/generative-fixtures.ts';

const optimum = { Ni: 0.5, Fe: 0.3, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 60, complexant: 10, depositionCharge_mC_cm2: 50, annealTemperature: 300 };

function ctxFor(spec: CampaignSpec, seed = 1) {
  let i = 0;
  return { spec, seed, newId: () => `id${++i}` };
}

/** Counts training requests. */
function countingTrainer(): GeneratorTrainer & { calls: number } {
  const inner = createInlineTrainer({ backend: 'wasm' });
  const t = {
    calls: 0,
    train: (req: Parameters<GeneratorTrainer['train']>[0], p?: Parameters<GeneratorTrainer['train']>[1]) => {
      t.calls++;
      return inner.train(req, p);
    },
  };
  return t;
}

describe('generative agent', () => {
  const spec = campaignSpecSchema.parse({ ...defaultSpec(), strategy: { ...defaultSpec().strategy, agent: 'generative', generative: { model: 'cvae', samples: 64, retrainEvery: 4, trainingSteps: 60 } } });
  const f = syntheticLandscape(spec, optimum);

  it('is BO alone until enough feasible results exist, then mixes generator samples in and retrains every k results', async () => {
    const trainer = countingTrainer();
    const ctx = ctxFor(spec);
    const agent = createGenerativeAgent(ctx, { judge: createBoAgent(ctx), trainer, prepareSampling: async () => undefined, settings: spec.strategy.generative ?? {} });
    const obs = uniformObservations(spec, f, 12, 3);
    await agent.ingest(obs.slice(0, 3));
    const early = await agent.suggest(2, []);
    expect(trainer.calls).toBe(0);
    expect(early.every((s) => s.proposer !== 'generative')).toBe(true);

    await agent.ingest(obs.slice(3, 10));
    const batch = await agent.suggest(4, []);
    expect(trainer.calls).toBe(1);
    const generated = batch.filter((s) => s.proposer === 'generative');
    // share 0.5 of 4: at most 2 from the generator.
    expect(generated.length).toBeLessThanOrEqual(2);
    for (const s of batch) expect(validateRecipe(spec, s.recipe)).toEqual([]);
    const report = agent.report();
    expect(report.name).toBe('generative');
    const doc = report.snapshots?.[0];
    expect(doc?.agent).toBe('generative:cvae');
    for (const s of generated) expect(s.sourceId).toBe(doc?.snapshotId);

    // Fewer than retrainEvery new results: same model.
    await agent.ingest(obs.slice(10, 12));
    await agent.suggest(2, []);
    expect(trainer.calls).toBe(1);
    await agent.ingest(uniformObservations(spec, f, 2, 99).map((o, i) => ({ ...o, trialId: `late${i}` })));
    await agent.suggest(2, []);
    expect(trainer.calls).toBe(2);
  });

  it('stores the model in its snapshot document so it can be rebuilt exactly', async () => {
    const ctx = ctxFor(spec, 4);
    const agent = createGenerativeAgent(ctx, { judge: createBoAgent(ctx), trainer: createInlineTrainer({ backend: 'wasm' }), prepareSampling: async () => undefined, settings: spec.strategy.generative ?? {} });
    await agent.ingest(uniformObservations(spec, f, 8, 5));
    await agent.suggest(2, []);
    const doc = agent.report().snapshots?.[0];
    if (!doc) throw new Error('no snapshot');
    const stored = JSON.parse(JSON.stringify(doc)) as typeof doc;
    const trained = fromSnapshotDocument(stored);
    expect(trained.snapshot.backend).toBe('wasm');
    expect(trained.snapshot.lossCurve.length).toBeGreaterThan(0);
    const m = loadModel(spec, trained);
    const s = m.sample(m.conditionsBeyondBest(0.05, 16), 16, 1);
    expect(s.recipes).toHaveLength(16);
    m.dispose();
  });

  it('generator training data can include prior rows (warm start) and the composition root builds it', async () => {
    const agent = createAgent('generative', ctxFor(spec, 2), { tfBackend: 'wasm', priorObservations: uniformObservations(spec, f, 20, 8).map((o, i) => ({ ...o, trialId: `p${i}` })) });
    // Prior rows alone suffice to train: the generator joins from the first suggestion after the design.
    await agent.ingest(uniformObservations(spec, f, 1, 6));
    const batch = await agent.suggest(3, []);
    expect(batch).toHaveLength(3);
    expect(agent.report().snapshots?.[0]?.n).toBe(21);
  });

  it('strategy.generative is strict', () => {
    const base = defaultSpec();
    expect(() => campaignSpecSchema.parse({ ...base, strategy: { ...base.strategy, agent: 'generative', generative: { model: 'cvae', sample: 5 } } })).toThrow(/sample/);
    expect(() => campaignSpecSchema.parse({ ...base, strategy: { ...base.strategy, generative: { model: 'vqvae' } } })).toThrow();
    const ok = campaignSpecSchema.parse({ ...base, strategy: { ...base.strategy, agent: 'generative', generative: { model: 'ddpm' } } });
    expect(ok.strategy.generative).toMatchObject({ model: 'ddpm', share: 0.5, samples: 256, retrainEvery: 4 });
  });
});
