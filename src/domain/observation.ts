import { z } from 'zod';
import { recipeSchema } from './recipe.ts';
import { failureCodeSchema } from './failure.ts';
import { proposerSchema } from './suggestion.ts';

/**
 * What an agent learns from one finished trial. A failed trial is an observation too: `feasible: false` with its
 * failure code, so a feasibility model can learn where recipes fail.
 */
export const observationSchema = z.object({
  trialId: z.string(),
  recipe: recipeSchema,
  feasible: z.boolean(),
  /** Objective name → measured value (objective units); absent when infeasible. */
  objectives: z.record(z.string(), z.number()),
  /** Objective name → known noise variance (replicates), when available. */
  noiseVariance: z.record(z.string(), z.number().nonnegative()).optional(),
  failureCode: failureCodeSchema.optional(),
  qualityFlags: z.array(z.string()).default([]),
  /**
   * Who proposed the trial's recipe (its suggestion's proposer), when known: the campaign loop sets it, a resumed loop
   * restores it from the trial records. Agents that weigh their sources by outcome read it (ADR 0115).
   */
  proposer: proposerSchema.optional(),
});
export type Observation = z.infer<typeof observationSchema>;
