import { campaignSpecSchema, type CampaignSpec, type Observation } from '../../src/domain/index.ts';
import { Rng } from '../../src/domain/random.ts';
import { SobolEngine } from '../../models/sobol.ts';
import { createBoAgent } from '../../agents/bo-agent.ts';
import { createRandomAgent } from '../../agents/random-agent.ts';
import { createSobolAgent } from '../../agents/sobol-agent.ts';
import type { Agent } from '../../agents/agent.ts';
import { analyticFunction, type AnalyticFunction } from './analytic-functions.ts';
import { median } from './metrics.ts';

/**
 * T1 campaigns on analytic functions through the real agents (continuous search space, acquisition optimised by
 * models/optimizers): `bo` = createBoAgent with its defaults, `sobol` = createSobolAgent, `random` = createRandomAgent.
 * The BO agent's initial design is the scrambled Sobol sequence of the seed, which is exactly the Sobol arm's first
 * points, so arms are paired. Noisy variants add Gaussian noise with sd = noiseLevel·(median f − optimum), where
 * median f is over 4096 unscrambled Sobol points of the domain ("5 % noise" = 5 % of the typical gap to the optimum).
 */
export interface AnalyticTask {
  kind: 'analytic';
  fn: string;
  arm: 'bo' | 'sobol' | 'random';
  seed: number;
  q: number;
  budget: number;
  init: number;
  /** Relative noise level (0 = noiseless, 0.05 = "5 % noise"). */
  noise: number;
}

export interface AnalyticTrace {
  fn: string;
  arm: string;
  seed: number;
  q: number;
  noise: number;
  /** Best noiseless value among the first i evaluations, i = 1 … budget. */
  bestTrue: number[];
  /** Milliseconds per suggest() call made after the initial design (model proposals). */
  suggestMs: number[];
  wallMs: number;
}

const typicalCache = new Map<string, number>();

/** Median of f over 4096 unscrambled Sobol points of its domain. */
export function typicalValue(fn: AnalyticFunction): number {
  const hit = typicalCache.get(fn.name);
  if (hit !== undefined) return hit;
  const d = fn.bounds.length;
  const U = new SobolEngine(d).draw(4096);
  const vals: number[] = [];
  for (let i = 0; i < 4096; i++) vals.push(fn.f(fn.bounds.map(([lo, hi], j) => lo + (hi - lo) * (U.data[i * d + j] as number))));
  const m = median(vals);
  typicalCache.set(fn.name, m);
  return m;
}

export function noiseSd(fn: AnalyticFunction, level: number): number {
  return level * (typicalValue(fn) - fn.optimum);
}

export function analyticSpec(fn: AnalyticFunction, budget: number, init: number): CampaignSpec {
  return campaignSpecSchema.parse({
    id: `bench-${fn.name}`,
    title: `analytic benchmark ${fn.name}`,
    objectives: [{ name: 'f', direction: 'minimize', unit: '', feature: 'f' }],
    parameters: fn.bounds.map(([low, high], j) => ({ type: 'continuous', name: `x${j + 1}`, low, high, unit: '' })),
    budget: { trials: budget },
    safety: { maxTotalVolume: 1, potentialWindow_V_RHE: [0, 1] },
    strategy: { agent: 'bo', initialTrials: init },
  });
}

export async function runAnalyticCampaign(task: AnalyticTask): Promise<AnalyticTrace> {
  const t0 = performance.now();
  const fn = analyticFunction(task.fn);
  const spec = analyticSpec(fn, task.budget, task.init);
  let counter = 0;
  const ctx = { spec, seed: task.seed, newId: () => `id-${++counter}` };
  const agent: Agent = task.arm === 'bo' ? createBoAgent(ctx) : task.arm === 'sobol' ? createSobolAgent(ctx) : createRandomAgent(ctx);
  const noiseRng = new Rng(task.seed).fork('observation-noise');
  const sd = task.noise > 0 ? noiseSd(fn, task.noise) : 0;
  const bestTrue: number[] = [];
  const suggestMs: number[] = [];
  let best = Infinity;
  while (bestTrue.length < task.budget) {
    const want = Math.min(task.q, task.budget - bestTrue.length);
    const t = performance.now();
    const suggestions = await agent.suggest(want, []);
    if (bestTrue.length >= task.init) suggestMs.push(performance.now() - t);
    if (suggestions.length === 0) throw new Error(`${task.arm} returned no suggestion`);
    const obs: Observation[] = suggestions.map((s) => {
      const x = fn.bounds.map((_, j) => s.recipe[`x${j + 1}`] as number);
      const fx = fn.f(x);
      best = Math.min(best, fx);
      bestTrue.push(best);
      return { trialId: s.id, recipe: s.recipe, feasible: true, objectives: { f: fx + sd * noiseRng.normal() }, qualityFlags: [] };
    });
    await agent.ingest(obs);
  }
  return { fn: fn.name, arm: task.arm, seed: task.seed, q: task.q, noise: task.noise, bestTrue: bestTrue.slice(0, task.budget), suggestMs, wallMs: performance.now() - t0 };
}
