import { describe, expect, it } from 'vitest';
import { createBoAgent } from '../../../agents/bo-agent.ts';
import { positivePart, priorMeanBasis } from '../../../agents/bo-prior-mean.ts';
import { createSearchSpace } from '../../../models/transforms/search-space.ts';
import { createAgent } from '../../../src/app/agents.ts';
import { generativeStrategySchema, type CampaignSpec, type Observation, type Recipe } from '../../../src/domain/index.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';

const base = defaultSpec();
/** Two continuous parameters on [0, 1], one objective y maximised. */
const spec: CampaignSpec = {
  ...base,
  parameters: [
    { type: 'continuous', name: 'a', low: 0, high: 1, unit: '', log: false },
    { type: 'continuous', name: 'b', low: 0, high: 1, unit: '', log: false },
  ],
  constraints: [],
  derivedFeatures: [],
  objectives: [{ name: 'y', direction: 'maximize', unit: '', feature: 'y' }],
  strategy: { ...base.strategy, initialTrials: 4 },
};
/** A narrow peak at (cx, cy) (height 1) over a low slope. */
const peak = (cx: number, cy: number) => (r: Recipe): number => Math.exp(-(((r.a as number) - cx) ** 2 + ((r.b as number) - cy) ** 2) / (2 * 0.1 ** 2)) + 0.1 * (r.b as number);
const truth = peak(0.8, 0.2);
/** Prior rows on a 21×21 grid, y = `f` there. */
const grid = (f: (r: Recipe) => number): Observation[] => {
  const out: Observation[] = [];
  for (let i = 0; i <= 20; i++) for (let j = 0; j <= 20; j++) out.push({ trialId: `p${out.length}`, recipe: { a: i / 20, b: j / 20 }, feasible: true, objectives: { y: f({ a: i / 20, b: j / 20 }) }, qualityFlags: [] });
  return out;
};

/** A BO campaign of batches of 2 on the truth: evaluations to the first y ≥ 0.9, and the agent's last snapshot. */
async function campaign(seed: number, prior: Observation[] | undefined, budget = 30) {
  let k = 0;
  const agent = createBoAgent({ spec, seed, newId: () => `id${++k}` }, { rawSamples: 64, restarts: 2, ...(prior ? { priorMeanRows: prior } : {}) });
  const seen: number[] = [];
  const recipes: Recipe[] = [];
  while (seen.length < budget) {
    const batch = await agent.suggest(2, []);
    await agent.ingest(batch.map((s, i) => ({ trialId: `t${seen.length + i}`, recipe: s.recipe, feasible: true, objectives: { y: truth(s.recipe) }, qualityFlags: [] })));
    for (const s of batch) {
      seen.push(truth(s.recipe));
      recipes.push(s.recipe);
    }
  }
  const first = seen.findIndex((v) => v >= 0.9);
  return { first: first < 0 ? budget + 1 : first + 1, recipes, snapshot: agent.report().snapshot };
}
const weightOf = (snapshot: { hyperparameters: Record<string, unknown> } | undefined): number | undefined =>
  (snapshot?.hyperparameters['y'] as { priorWeight?: number } | undefined)?.priorWeight;

describe('BO agent with a prior mean from related results (ADR 0118)', () => {
  it('a right prior (the landscape, scaled and shifted) finds the peak in fewer evaluations than cold BO', async () => {
    const right = grid((r) => 3 * truth(r) - 1);
    let cold = 0;
    let warm = 0;
    for (const seed of [1, 2, 3]) {
      cold += (await campaign(seed, undefined)).first;
      const w = await campaign(seed, right);
      warm += w.first;
      expect(weightOf(w.snapshot)).toBeGreaterThan(0.2);
    }
    expect(warm).toBeLessThan(cold);
    expect(warm).toBeLessThanOrEqual(3 * 12);
  });

  it('a misleading prior (the peak elsewhere) loses its weight as results arrive', async () => {
    const { snapshot } = await campaign(1, grid(peak(0.2, 0.8)), 30);
    expect(weightOf(snapshot)).toBeLessThan(0.15);
  });

  it('is deterministic for a seed; cold snapshots carry no weight', async () => {
    const prior = grid((r) => truth(r) + 0.3 * (r.a as number));
    const one = await campaign(5, prior, 12);
    const two = await campaign(5, prior, 12);
    expect(two.recipes).toEqual(one.recipes);
    expect(weightOf((await campaign(5, undefined, 8)).snapshot)).toBeUndefined();
  });

  it('priorMeanBasis: signed to larger-is-better, feasible rows only; none without rows', () => {
    const space = createSearchSpace(spec, { presence: true });
    const minimised = { ...spec, objectives: [{ ...spec.objectives[0]!, direction: 'minimize' as const }] };
    const rows = grid(truth);
    const up = priorMeanBasis(spec, space, rows)!;
    const down = priorMeanBasis(minimised, space, rows)!;
    const at = space.encode({ a: 0.8, b: 0.2 });
    expect(up.value(at)).toBeGreaterThan(1);
    // The positive part: where the prior is bad it says nothing (≈ 0), not "worse".
    expect(down.value(at)).toBeGreaterThanOrEqual(0);
    expect(down.value(at)).toBeLessThan(0.01);
    expect(priorMeanBasis(spec, space, [])).toBeUndefined();
    expect(priorMeanBasis(spec, space, rows.map((o) => ({ ...o, feasible: false })))).toBeUndefined();
  });
});

describe('positivePart (ADR 0118)', () => {
  it('is a smooth max(0, m) with the gradient of its value', () => {
    const linear = { d: 1, value: (x: ArrayLike<number>, off = 0) => 3 * (x[off] as number), valueAndGradient: (x: ArrayLike<number>, g: Float64Array) => ((g[0] = 3), 3 * (x[0] as number)) };
    const p = positivePart(linear);
    expect(p.value([1])).toBeCloseTo(3, 5);
    expect(p.value([-1])).toBeGreaterThan(0);
    expect(p.value([-1])).toBeLessThan(1e-5);
    const g = new Float64Array(1);
    for (const x of [-0.2, 0, 0.05, 0.4]) {
      expect(p.valueAndGradient([x], g)).toBeCloseTo(p.value([x]), 12);
      expect(g[0]).toBeCloseTo((p.value([x + 1e-6]) - p.value([x - 1e-6])) / 2e-6, 5);
    }
  });
});

describe('strategy.generative.priorMean (ADR 0118)', () => {
  it('the composition root gives the generative agent\'s BO the prior rows only when asked', async () => {
    const weightAfter = async (priorMean: boolean): Promise<number | undefined> => {
      const s = { ...spec, strategy: { ...spec.strategy, agent: 'generative' as const, generative: generativeStrategySchema.parse({ model: 'prior', samples: 16, priorMean }) } };
      let k = 0;
      const agent = createAgent('generative', { spec: s, seed: 1, newId: () => `g${++k}` }, { priorObservations: grid(truth) });
      await agent.ingest(grid(truth).filter((_, i) => i % 53 === 0).map((o, i) => ({ ...o, trialId: `r${i}`, proposer: 'sobol' })));
      await agent.suggest(2, []);
      return weightOf(agent.report().snapshot);
    };
    expect(await weightAfter(true)).toBeGreaterThan(0);
    expect(await weightAfter(false)).toBeUndefined();
  });

  it('defaults to off, takes a boolean only, and the schema stays strict', () => {
    expect(generativeStrategySchema.parse({}).priorMean).toBe(false);
    expect(generativeStrategySchema.parse({ priorMean: true }).priorMean).toBe(true);
    expect(generativeStrategySchema.safeParse({ priorMean: 'yes' }).success).toBe(false);
    expect(generativeStrategySchema.safeParse({ priorMeanWeight: 1 }).success).toBe(false);
  });
});
