import type { AgentContext } from '../../agents/agent.ts';
import type { CampaignSpec, Observation, Recipe } from '../../src/domain/index.ts';

/** An agent context with sequential ids. */
export function agentContext(spec: CampaignSpec, seed = 1): AgentContext {
  let k = 0;
  return { spec, seed, newId: () => `id-${++k}` };
}

/** A quicker acquisition search for unit tests. */
export const FAST_BO = { rawSamples: 64, restarts: 2 };

/** A smooth η10 of the default space: lower is better, best near Ni 0.5, Fe 0.3, no Ce. */
export const syntheticEta10 = (r: Recipe): number => 0.3 + 0.4 * ((r.Ni as number) - 0.5) ** 2 + 0.6 * ((r.Fe as number) - 0.3) ** 2 + 0.2 * (r.Ce as number);

/** A completed trial of `recipe` measured on syntheticEta10. */
export const observeSynthetic = (recipe: Recipe, i: number): Observation => ({ trialId: `t${i}`, recipe, feasible: true, objectives: { eta10: syntheticEta10(recipe) }, qualityFlags: [] });
