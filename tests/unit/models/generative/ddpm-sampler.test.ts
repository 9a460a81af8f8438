import { beforeAll, describe, expect, it } from 'vitest';
import { samplingSchedule } from '../../../../models/generative/ddpm.ts';
import { loadModel, trainModel, type TrainedModel } from '../../../../models/generative/trained-model.ts';
import { selectTfBackend } from '../../../../models/generative/tf-backend.ts';
import { validateRecipe } from '../../../../src/domain/recipe.ts';
import { defaultSpec } from '../../../helpers/default-spec.ts';
import { syntheticLandscape, uniformObservations } from '../../../helpers/generative-fixtures.ts';

const spec = defaultSpec();
const f = syntheticLandscape(spec, { Ni: 0.5, Fe: 0.3, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 60, complexant: 10, depositionCharge_mC_cm2: 50, annealTemperature: 300 });
let backend = '';
beforeAll(async () => {
  backend = (await selectTfBackend('wasm')).backend;
});

describe('DDPM sampling schedule (ADR 0086)', () => {
  it('strides evenly from T down to the first step; S ≥ T is every step', () => {
    expect(samplingSchedule(40, 10)).toEqual([40, 36, 32, 28, 24, 20, 16, 12, 8, 4]);
    expect(samplingSchedule(40, 3)).toEqual([40, 27, 13]);
    expect(samplingSchedule(10, 50)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(samplingSchedule(40, 0)).toEqual([40]);
  });

  it('a strided DDIM sampler gives valid, seeded samples; a snapshot without sampleSteps replays the ancestral chain', () => {
    const obs = uniformObservations(spec, f, 60, 4);
    const trained = trainModel({ snapshotId: 'd', spec, observations: obs, kind: 'ddpm', seed: 5, hyper: { steps: 3, hidden: 16, T: 12, sampleSteps: 4 }, backend });
    expect(trained.snapshot.architecture).toContain('DDIM sampling in 4 steps');
    const m = loadModel(spec, trained);
    const cond = m.conditionsBeyondBest(0.05, 100);
    const s = m.sample(cond, 100, 7);
    expect(s.recipes).toHaveLength(100);
    for (const r of s.recipes) expect(validateRecipe(spec, r)).toEqual([]);
    expect(Array.from(m.sampleFeatures(cond, 100, 7))).toEqual(Array.from(m.sampleFeatures(cond, 100, 7)));
    // The same weights without sampleSteps (an older snapshot) sample all T steps, as explicit sampleSteps = T does.
    const { sampleSteps: _drop, ...older } = trained.snapshot.hyperparameters;
    const legacy = loadModel(spec, { ...trained, snapshot: { ...trained.snapshot, hyperparameters: older } } as TrainedModel);
    const full = loadModel(spec, { ...trained, snapshot: { ...trained.snapshot, hyperparameters: { ...older, sampleSteps: 12 } } });
    expect(Array.from(legacy.sampleFeatures(cond, 100, 7))).toEqual(Array.from(full.sampleFeatures(cond, 100, 7)));
    expect(Array.from(legacy.sampleFeatures(cond, 100, 7))).not.toEqual(Array.from(m.sampleFeatures(cond, 100, 7)));
    m.dispose();
    legacy.dispose();
    full.dispose();
  });
});
