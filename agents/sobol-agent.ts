import type { Observation, Recipe, Suggestion } from '../src/domain/index.ts';
import { Rng } from '../src/domain/random.ts';
import { validateRecipe } from '../src/domain/recipe.ts';
import { SOBOL_MAX_DIMENSION, SobolEngine } from '../models/sobol.ts';
import { createSearchSpace, type SearchSpace } from '../models/transforms/search-space.ts';
import type { Agent, AgentContext, AgentReport } from './agent.ts';

/**
 * Space-filling proposals from a scrambled Sobol sequence (seeded by the context): mixtures uniform on each simplex,
 * categories from extra Sobol coordinates, every recipe normalised (dispensable). Ignores observations.
 */
export function createSobolAgent(ctx: AgentContext): Agent {
  const draw = createSobolDesign(ctx.spec, ctx.seed);
  let observations = 0;
  let issued = 0;
  return {
    name: 'sobol',
    async ingest(obs: Observation[]) {
      observations += obs.length;
    },
    async suggest(n: number, _pending: Recipe[]): Promise<Suggestion[]> {
      const out: Suggestion[] = [];
      for (let i = 0; i < n; i++) {
        issued++;
        out.push({ id: ctx.newId(), recipe: draw(), proposer: 'sobol', rationale: `Space-filling design point ${issued} from a scrambled Sobol sequence.` });
      }
      return out;
    },
    report(): AgentReport {
      return { name: 'sobol', observations };
    },
  };
}

/** A generator of normalised recipes following a scrambled Sobol sequence (random beyond 32 unit dimensions). */
export function createSobolDesign(spec: AgentContext['spec'], seed: number, space: SearchSpace = createSearchSpace(spec)): () => Recipe {
  const rng = new Rng(seed).fork('sobol-design');
  const ud = space.unitDim;
  const engine = ud > 0 && ud <= SOBOL_MAX_DIMENSION ? new SobolEngine(ud, { rng }) : undefined;
  return () => {
    // Points that violate a linear constraint are skipped (the sequence continues), so every proposal is valid.
    for (let attempt = 0; attempt < 10000; attempt++) {
      const unit = engine ? engine.draw(1).data : Float64Array.from({ length: ud }, () => rng.next());
      const recipe = space.decode(space.toFeatures(space.fromUnit(unit)));
      if (validateRecipe(spec, recipe).length === 0) return recipe;
    }
    throw new Error('no valid recipe found in 10000 design points: are the linear constraints satisfiable?');
  };
}
