import type { AgentReport } from '../../agents/agent.ts';
import type { JudgingAgent } from '../../agents/candidates.ts';
import type { CampaignSpec, Observation, Recipe, Suggestion } from '../../src/domain/index.ts';
import { Rng } from '../../src/domain/random.ts';
import { createRecipeCodec } from '../../models/generative/recipe-codec.ts';

/** A known synthetic landscape over a spec: squared distance in codec features to a fixed optimum (lower is better). */
export function syntheticLandscape(spec: Pick<CampaignSpec, 'parameters' | 'constraints'>, optimum: Recipe): (r: Recipe) => number {
  const codec = createRecipeCodec(spec);
  const opt = codec.encode([optimum]);
  return (r) => {
    const x = codec.encode([r]);
    let s = 0;
    for (let i = 0; i < x.length; i++) s += ((x[i] as number) - (opt[i] as number)) ** 2;
    return s;
  };
}

/** n uniformly drawn valid recipes of the spec, observed on `f` as objective `objective`. */
export function uniformObservations(
  spec: Pick<CampaignSpec, 'parameters' | 'constraints'>,
  f: (r: Recipe) => number,
  n: number,
  seed: number,
  objective = 'eta10',
): Observation[] {
  const codec = createRecipeCodec(spec);
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const p = codec.space.fromUnit(Array.from({ length: codec.space.unitDim }, () => rng.next()));
    const recipe = codec.space.decode(codec.space.toFeatures(p));
    return { trialId: `t${i}`, recipe, feasible: true, objectives: { [objective]: f(recipe) }, qualityFlags: [] };
  });
}

/**
 * A judge that proposes uniform recipes as `bo` and rates every recipe alike (acquisition 0), so a generative agent's
 * places depend only on its share; it ignores what it ingests.
 */
export function uniformJudge(s: CampaignSpec, seed: number): JudgingAgent {
  let round = 0;
  let id = 0;
  const own = (n: number): Suggestion[] =>
    uniformObservations(s, () => 0, n, seed * 1000 + ++round).map((o) => ({ id: `bo${++id}`, recipe: o.recipe, proposer: 'bo', rationale: 'fake BO' }));
  return {
    name: 'fake-bo',
    ingest: async () => undefined,
    suggest: async (n: number) => own(n),
    report: (): AgentReport => ({ name: 'fake-bo', observations: 0 }),
    score: async (recipes: readonly Recipe[]) => recipes.map((recipe) => ({ recipe, acquisitionValue: 0, predicted: {} })),
    suggestAmong: async (n: number) => own(n),
  };
}
