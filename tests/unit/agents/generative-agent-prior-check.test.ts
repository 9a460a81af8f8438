import { describe, expect, it } from 'vitest';
import { createGenerativeAgent, GENERATOR_SHARE_AGENT } from '../../../agents/generative-agent.ts';
import { createInlineTrainer } from '../../../src/app/generative-trainer.ts';
import { campaignSpecSchema, type Observation, type Suggestion } from '../../../src/domain/index.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';
import { syntheticLandscape, uniformJudge, uniformObservations } from '../../helpers/generative-fixtures.ts';

const base = defaultSpec();
const spec = campaignSpecSchema.parse({ ...base, strategy: { ...base.strategy, agent: 'generative', generative: { model: 'prior', samples: 32, retrainEvery: 4 } } });
const truth = syntheticLandscape(spec, uniformObservations(spec, () => 0, 1, 99)[0]?.recipe ?? {});

/**
 * A warm-started campaign of `rounds` batches of 4 on the synthetic truth (eta10 minimised), the prior rows' eta10 being
 * `priorValue` of the truth at 150 uniform recipes. Returns the generator's places per batch and the agent.
 */
async function campaign(opts: { seed: number; rounds: number; priorValue: (t: number) => number; settings?: Record<string, unknown> }) {
  let i = 0;
  const ctx = { spec, seed: opts.seed, newId: () => `id${++i}` };
  const prior = uniformObservations(spec, truth, 150, 40 + opts.seed).map((o, k) => ({ ...o, trialId: `prior-${k}`, objectives: { eta10: opts.priorValue(o.objectives['eta10'] as number) } }));
  const agent = createGenerativeAgent(ctx, {
    judge: uniformJudge(spec, opts.seed),
    trainer: createInlineTrainer({ backend: 'wasm' }),
    prepareSampling: async () => undefined,
    settings: { ...spec.strategy.generative, ...opts.settings },
    priorObservations: prior,
  });
  await agent.ingest(uniformObservations(spec, truth, 8, opts.seed).map((o, k) => ({ ...o, trialId: `init${k}`, proposer: 'sobol' })));
  const places: number[] = [];
  const batches: Suggestion[][] = [];
  for (let r = 0; r < opts.rounds; r++) {
    const batch = await agent.suggest(4, []);
    batches.push(batch);
    places.push(batch.filter((s) => s.proposer === 'generative').length);
    const results: Observation[] = batch.map((s) => ({ trialId: s.id, recipe: s.recipe, feasible: true, objectives: { eta10: truth(s.recipe) }, qualityFlags: [], proposer: s.proposer }));
    await agent.ingest(results);
  }
  const share = agent.report().snapshots?.find((s) => s.agent === GENERATOR_SHARE_AGENT)?.hyperparameters;
  return { places, batches, share };
}

describe('generative agent, check of the prior (ADR 0116)', () => {
  it('a prior that ranks the target\'s results right keeps the generator\'s places and trains it', async () => {
    const { places, share } = await campaign({ seed: 3, rounds: 10, priorValue: (t) => 0.2 + t });
    expect(places.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(18);
    expect(share?.['priorCheck']).toMatchObject({ factor: 1, priorRowsInTraining: true });
  });

  it('a prior that misranks them loses the generator\'s places down to the floor and leaves its training', async () => {
    const { places, share, batches } = await campaign({ seed: 3, rounds: 12, priorValue: (t) => -t });
    // The floor: 0.1 of 4 places, 0.4 a batch (± the carry).
    expect(places.slice(4).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4);
    const check = share?.['priorCheck'] as { factor: number; priorRowsInTraining: boolean; priorAgreement: number; ownAgreement: number };
    expect(check.factor).toBeLessThan(0.5);
    expect(check.priorAgreement).toBeLessThan(check.ownAgreement);
    expect(check.priorRowsInTraining).toBe(false);
    expect(batches.at(-1)?.every((s) => /prior check: factor [\d.]+ \(the prior orders [\d.]+ of \d+ top-quartile pairs right/.test(s.rationale))).toBe(true);
  });

  it('priorTrustAfter ramps a right prior\'s places in over the first results', async () => {
    const ramped = await campaign({ seed: 3, rounds: 10, priorValue: (t) => 0.2 + t, settings: { priorTrustAfter: 40 } });
    const plain = await campaign({ seed: 3, rounds: 10, priorValue: (t) => 0.2 + t });
    const early = (p: number[]) => p.slice(0, 4).reduce((a, b) => a + b, 0);
    expect(early(ramped.places)).toBeLessThan(early(plain.places));
    expect(ramped.share?.['priorCheck']).toMatchObject({ trust: 1 });
    expect((plain.share?.['priorCheck'] as { trust: number }).trust).toBe(1);
  });

  it('priorCheck false trusts the prior as given (ADR 0115 alone)', async () => {
    const { share } = await campaign({ seed: 3, rounds: 6, priorValue: (t) => -t, settings: { priorCheck: false } });
    expect(share?.['priorCheck']).toBeUndefined();
  });

  it('is deterministic for a seed', async () => {
    const run = () => campaign({ seed: 5, rounds: 6, priorValue: (t) => t * (1 + 0.3 * Math.sin(30 * t)) });
    const [a, b] = [await run(), await run()];
    expect(a.places).toEqual(b.places);
    expect(a.share).toEqual(b.share);
    expect(a.batches.map((bt) => bt.map((s) => [s.proposer, s.recipe, s.rationale]))).toEqual(b.batches.map((bt) => bt.map((s) => [s.proposer, s.recipe, s.rationale])));
  });

  it('strategy.generative.priorCheck: on by default, a boolean, strict', () => {
    const parse = (generative: Record<string, unknown>) => campaignSpecSchema.parse({ ...base, strategy: { ...base.strategy, agent: 'generative', generative } });
    expect(parse({}).strategy.generative).toMatchObject({ priorCheck: true, priorTrustAfter: 0, exploreOutsidePrior: true });
    expect(() => parse({ exploreOutsidePrior: 1 })).toThrow();
    expect(() => parse({ priorTrustAfter: -1 })).toThrow();
    expect(() => parse({ priorTrustAfter: 2.5 })).toThrow();
    expect(parse({ priorCheck: false }).strategy.generative?.priorCheck).toBe(false);
    expect(() => parse({ priorCheck: 'yes' })).toThrow();
    expect(() => parse({ priorChecks: true })).toThrow(/priorChecks/);
  });
});
