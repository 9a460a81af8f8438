import { z } from 'zod';
import { recipeSchema } from './recipe.ts';

export const PROPOSERS = ['bo', 'sobol', 'random', 'generative', 'llm', 'rules', 'human', 'confirmation', 'reference'] as const;
export const proposerSchema = z.enum(PROPOSERS);
export type Proposer = z.infer<typeof proposerSchema>;

export const suggestionSchema = z.object({
  id: z.string(),
  recipe: recipeSchema,
  proposer: proposerSchema,
  rationale: z.string(),
  acquisitionValue: z.number().optional(),
  modelSnapshotId: z.string().optional(),
  /** Id of the document behind an LLM or generative proposal (a planner transcript, a generative model snapshot). */
  sourceId: z.string().optional(),
  /** Surrogate prediction at the recipe, per objective (mean and standard deviation in objective units). */
  predicted: z.record(z.string(), z.object({ mean: z.number(), sd: z.number() })).optional(),
});
export type Suggestion = z.infer<typeof suggestionSchema>;
