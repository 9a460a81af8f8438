import { z } from 'zod';
import { recipeSchema } from './recipe.ts';
import { failureSchema } from './failure.ts';

export const TRIAL_STATUSES = ['proposed', 'approved', 'queued', 'running', 'completed', 'failed', 'abandoned', 'awaitingRecovery', 'blocked'] as const;
export const trialStatusSchema = z.enum(TRIAL_STATUSES);
export type TrialStatus = z.infer<typeof trialStatusSchema>;

/**
 * Legal transitions. `failed` may be retried (back to `queued`); `abandoned` and `blocked` (refused by the safety
 * gate, never dispatched) are final. `awaitingRecovery` waits for a policy or an operator: retry, skip or abandon.
 */
export const TRIAL_TRANSITIONS: Readonly<Record<TrialStatus, readonly TrialStatus[]>> = {
  proposed: ['approved', 'blocked', 'abandoned'],
  approved: ['queued', 'abandoned'],
  queued: ['running', 'abandoned'],
  running: ['completed', 'failed', 'awaitingRecovery', 'abandoned'],
  failed: ['queued', 'abandoned'],
  awaitingRecovery: ['queued', 'failed', 'abandoned'],
  completed: [],
  abandoned: [],
  blocked: [],
};

export class IllegalTransitionError extends Error {
  constructor(readonly from: TrialStatus, readonly to: TrialStatus) {
    super(`illegal trial transition ${from} → ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Returns `to` when the transition is legal; throws otherwise. */
export function transition(from: TrialStatus, to: TrialStatus): TrialStatus {
  if (!TRIAL_TRANSITIONS[from].includes(to)) throw new IllegalTransitionError(from, to);
  return to;
}

export const isTerminal = (s: TrialStatus): boolean => TRIAL_TRANSITIONS[s].length === 0;

export const trialSchema = z.object({
  id: z.string(),
  campaignId: z.string(),
  index: z.number().int().nonnegative(),
  status: trialStatusSchema,
  recipe: recipeSchema,
  suggestionId: z.string(),
  proposer: z.string(),
  station: z.string().optional(),
  attempts: z.number().int().nonnegative().default(0),
  failure: failureSchema.optional(),
  objectives: z.record(z.string(), z.number()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Trial = z.infer<typeof trialSchema>;
