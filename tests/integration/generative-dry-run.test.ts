import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromSnapshotDocument } from '../../agents/generative-snapshot.ts';
import { loadModel } from '../../models/generative/trained-model.ts';
import { selectTfBackend } from '../../models/generative/tf-backend.ts';
import { runDryRun, type DryRunSummary } from '../../src/app/dry-run.ts';
import { createWorkerTrainer } from '../../src/app/generative-trainer.ts';
import { loadConfig } from '../../src/config/index.ts';
import { campaignSpecSchema, silentLogger } from '../../src/domain/index.ts';
import { validateRecipe } from '../../src/domain/recipe.ts';
import { openStore } from '../../src/store/open-store.ts';
import { defaultSpec } from '../helpers/default-spec.ts';
import { syntheticLandscape, uniformObservations } from '../helpers/generative-fixtures.ts';

describe('dry run with the generative agent over the MQTT and OPC UA twins', () => {
  let dir: string;
  let run: DryRunSummary;
  const base = defaultSpec({ budget: { trials: 16 }, stations: { pairs: 2 } });
  const spec = campaignSpecSchema.parse({
    ...base,
    strategy: { ...base.strategy, agent: 'generative', generative: { model: 'cvae', samples: 64, retrainEvery: 4, trainingSteps: 80, share: 1 } },
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-generative-'));
    const config = loadConfig({ LABLOOP_TF_BACKEND: 'wasm' }, { pgliteDir: path.join(dir, 'db') });
    run = await runDryRun({ spec, config, logger: silentLogger, seed: 7, outDir: path.join(dir, 'out'), clock: 'instant', transport: 'twin' });
  }, 300_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('completes, stores the generator snapshots with their weights and proposes generated recipes', async () => {
    expect(run.result.state).toBe('completed');
    const store = await openStore({ pgliteDir: path.join(dir, 'db') });
    try {
      const snaps = await store.modelSnapshots.list(run.campaignId);
      const generative = snaps.filter((s) => s.agent === 'generative:cvae');
      expect(generative.length).toBeGreaterThanOrEqual(2);
      // The adaptive share's rounds are stored too (ADR 0115): what the credit was and how many places it gave.
      const shares = snaps.filter((s) => s.agent === 'generative-share');
      expect(shares.length).toBeGreaterThan(0);
      expect(shares.at(-1)?.hyperparameters).toMatchObject({ maxShare: 1, generative: { results: expect.any(Number) }, bo: { results: expect.any(Number) } });
      const first = generative[0];
      if (!first) throw new Error('no generative snapshot');
      const trained = fromSnapshotDocument({ snapshotId: first.id, agent: first.agent, n: first.n, hyperparameters: first.hyperparameters });
      expect(trained.snapshot.backend).toBe('wasm');
      await selectTfBackend('wasm');
      const model = loadModel(spec, trained);
      const { recipes } = model.sample(model.conditionsBeyondBest(0.05, 32), 32, 1);
      for (const r of recipes) expect(validateRecipe(spec, r)).toEqual([]);
      model.dispose();
      // The suggestion documents carry the generator snapshot as sourceId.
      const docs = await store.documents.after(run.campaignId, 0, 100_000);
      const suggestions = docs.flatMap((d) => (d.type === 'suggestion' ? [d.payload.suggestion] : []));
      const fromGenerator = suggestions.filter((s) => s.proposer === 'generative');
      expect(fromGenerator.length).toBeGreaterThan(0);
      const ids = new Set(generative.map((s) => s.id));
      for (const s of fromGenerator) expect(ids.has(s.sourceId ?? '')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('the worker trainer trains off the main thread and reports progress', async () => {
    const trainer = createWorkerTrainer({ backend: 'wasm', logger: silentLogger });
    const f = syntheticLandscape(spec, { Ni: 0.5, Fe: 0.5, Co: 0, Ce: 0, Mn: 0, totalMetal: 50, complexant: 10, depositionCharge_mC_cm2: 40, annealTemperature: 200 });
    const progress: number[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const trained = await trainer.train(
        { snapshotId: 'w1', spec, observations: uniformObservations(spec, f, 50, 1), kind: 'ddpm', seed: 1, hyper: { steps: 300, hidden: 32 } },
        (p) => progress.push(p.step),
      );
      expect(trained.snapshot.backend).toBe('wasm');
      expect(progress.length).toBeGreaterThan(10);
      // The event loop kept running while the worker trained.
      expect(ticks).toBeGreaterThan(5);
    } finally {
      clearInterval(timer);
      await trainer.close();
    }
  });
});
