import type { Observation, Recipe, Suggestion } from '../src/domain/index.ts';
import { Rng } from '../src/domain/random.ts';
import { validateRecipe } from '../src/domain/recipe.ts';
import { createSearchSpace } from '../models/transforms/search-space.ts';
import type { Agent, AgentContext, AgentReport } from './agent.ts';

/** Uniformly random proposals (mixtures uniform on each simplex), seeded by the context; the baseline arm. */
export function createRandomAgent(ctx: AgentContext): Agent {
  const space = createSearchSpace(ctx.spec);
  const rng = new Rng(ctx.seed).fork('random-agent');
  let observations = 0;
  return {
    name: 'random',
    async ingest(obs: Observation[]) {
      observations += obs.length;
    },
    async suggest(n: number, _pending: Recipe[]): Promise<Suggestion[]> {
      return Array.from({ length: Math.max(0, n) }, () => {
        let recipe = space.decode(space.toFeatures(space.fromUnit(Float64Array.from({ length: space.unitDim }, () => rng.next()))));
        // Rejection sampling keeps linear constraints satisfied.
        for (let attempt = 0; attempt < 10000 && validateRecipe(ctx.spec, recipe).length > 0; attempt++)
          recipe = space.decode(space.toFeatures(space.fromUnit(Float64Array.from({ length: space.unitDim }, () => rng.next()))));
        return { id: ctx.newId(), recipe, proposer: 'random' as const, rationale: 'Uniformly random point of the search space (baseline).' };
      });
    },
    report(): AgentReport {
      return { name: 'random', observations };
    },
  };
}
