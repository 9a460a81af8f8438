import { describe, expect, it } from 'vitest';
import { createGenerativeAgent, GENERATOR_SHARE_AGENT } from '../../../agents/generative-agent.ts';
import { createInlineTrainer } from '../../../src/app/generative-trainer.ts';
import { campaignSpecSchema, type Observation, type Suggestion } from '../../../src/domain/index.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';
import { uniformJudge, uniformObservations } from '../../helpers/generative-fixtures.ts';

const base = defaultSpec();
const spec = campaignSpecSchema.parse({ ...base, strategy: { ...base.strategy, agent: 'generative', generative: { model: 'prior', samples: 32, retrainEvery: 4 } } });

/**
 * A campaign of `rounds` batches of 4 in which the generator's proposals score `generated` and BO's `own` (eta10,
 * minimised; i is the result's index in the campaign). Returns the generator's places per batch and the agent.
 */
async function campaign(opts: { seed: number; rounds: number; generated: (i: number) => number; own: (i: number) => number; settings?: Record<string, unknown> }) {
  let i = 0;
  const ctx = { spec, seed: opts.seed, newId: () => `id${++i}` };
  const agent = createGenerativeAgent(ctx, {
    judge: uniformJudge(spec, opts.seed),
    trainer: createInlineTrainer({ backend: 'wasm' }),
    prepareSampling: async () => undefined,
    settings: { ...spec.strategy.generative, ...opts.settings },
  });
  // The initial design: 6 results of neither source.
  await agent.ingest(uniformObservations(spec, () => 0.5, 6, opts.seed).map((o, k) => ({ ...o, trialId: `init${k}`, objectives: { eta10: 0.4 + k / 100 }, proposer: 'sobol' })));
  const places: number[] = [];
  const batches: Suggestion[][] = [];
  let n = 0;
  for (let r = 0; r < opts.rounds; r++) {
    const batch = await agent.suggest(4, []);
    batches.push(batch);
    places.push(batch.filter((s) => s.proposer === 'generative').length);
    const results: Observation[] = batch.map((s) => {
      const k = n++;
      return { trialId: s.id, recipe: s.recipe, feasible: true, objectives: { eta10: s.proposer === 'generative' ? opts.generated(k) : opts.own(k) }, qualityFlags: [], proposer: s.proposer };
    });
    await agent.ingest(results);
  }
  return { places, batches, agent };
}

describe('generative agent, adaptive share (ADR 0115)', () => {
  it('a generator whose proposals always do worse than BO\'s loses its places down to the floor', async () => {
    const { places, batches, agent } = await campaign({ seed: 3, rounds: 20, generated: (k) => 0.9 + k / 1000, own: (k) => 0.1 + k / 1000 });
    expect(places[0]).toBe(2);
    // The last 10 batches: the floor of 0.1 of 4 places, 0.4 a batch, 4 in 10 batches (± the carry).
    const late = places.slice(10).reduce((a, b) => a + b, 0);
    expect(late).toBeGreaterThanOrEqual(3);
    expect(late).toBeLessThanOrEqual(5);
    const share = agent.report().snapshots?.find((s) => s.agent === GENERATOR_SHARE_AGENT);
    expect(share?.hyperparameters).toMatchObject({ maxShare: 0.5, batch: 4 });
    expect(share?.hyperparameters['credit'] as number).toBeLessThan(0.1);
    expect((share?.hyperparameters['generative'] as { topQuartile: number }).topQuartile).toBe(0);
    // Every suggestion says why: the places and the credit.
    expect(batches.at(-1)?.every((s) => /generator places \d of 4 \(credit [\d.]+: top-quartile results generative 0\/\d+, bo \d+\/\d+\)/.test(s.rationale))).toBe(true);
  });

  it('a generator whose proposals do better keeps its full share', async () => {
    const { places, agent } = await campaign({ seed: 4, rounds: 12, generated: (k) => 0.1 + k / 1000, own: (k) => 0.9 + k / 1000 });
    expect(places).toEqual(Array.from({ length: 12 }, () => 2));
    const share = agent.report().snapshots?.find((s) => s.agent === GENERATOR_SHARE_AGENT);
    expect(share?.hyperparameters['credit']).toBe(1);
  });

  it('recovers its share when its proposals start to do better', async () => {
    // Worse for the first 40 results, then better than anything before.
    const { places } = await campaign({ seed: 5, rounds: 24, generated: (k) => (k < 40 ? 0.9 : 0.01 + k / 10_000), own: (k) => 0.2 + k / 1000 });
    expect(places.slice(6, 10).reduce((a, b) => a + b, 0)).toBeLessThan(8);
    expect(places.slice(-3)).toEqual([2, 2, 2]);
  });

  it('is deterministic for a seed', async () => {
    const run = () => campaign({ seed: 6, rounds: 8, generated: (k) => 0.9 - k / 1000, own: (k) => 0.3 + k / 1000 });
    const [a, b] = [await run(), await run()];
    expect(a.places).toEqual(b.places);
    expect(a.batches.map((bt) => bt.map((s) => [s.proposer, s.recipe, s.rationale]))).toEqual(b.batches.map((bt) => bt.map((s) => [s.proposer, s.recipe, s.rationale])));
  });

  it('adaptiveShare false keeps the fixed ⌈share·n⌉ places and publishes no share document', async () => {
    const { places, agent } = await campaign({ seed: 7, rounds: 6, generated: () => 0.9, own: () => 0.1, settings: { adaptiveShare: false } });
    expect(places).toEqual([2, 2, 2, 2, 2, 2]);
    expect(agent.report().snapshots?.some((s) => s.agent === GENERATOR_SHARE_AGENT)).toBe(false);
  });

  it('strategy.generative: adaptive by default, strict about unknown keys and bounds', () => {
    const parse = (generative: Record<string, unknown>) => campaignSpecSchema.parse({ ...base, strategy: { ...base.strategy, agent: 'generative', generative } });
    expect(parse({}).strategy.generative).toMatchObject({ share: 0.5, adaptiveShare: true, minShare: 0.1 });
    expect(() => parse({ adaptive: true })).toThrow(/adaptive/);
    expect(() => parse({ minShare: 1.5 })).toThrow();
    expect(() => parse({ adaptiveShare: 'yes' })).toThrow();
  });
});
