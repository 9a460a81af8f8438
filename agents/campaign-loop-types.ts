import type { Clock, Failure, Observation, Recipe, Suggestion, TrialStatus } from '../src/domain/index.ts';
import type { BestEstimate } from './best-estimate.ts';
import type { FlaggedTrial, RecoveryDecision } from './trial-ports.ts';

export interface CampaignProgress {
  dispatched: number;
  /** Trials whose device step has an unknown fate (the device was cut off mid-step): they wait for an operator. */
  awaitingRecovery?: number;
  completed: number;
  failed: number;
  blocked: number;
  running: number;
  budget: number;
  best?: { trialId: string; value: number; recipe: Recipe };
}

export interface CampaignResult {
  /** `paused`: stopped on request (a signal) or with trials awaiting an operator; `labloop resume` continues it. */
  state: 'completed' | 'aborted' | 'failed' | 'paused';
  reason?: string;
  progress: CampaignProgress;
  /** The campaign's best by estimated value at the end (ADR 0060); absent without a completed trial. */
  bestEstimate?: BestEstimate;
}

/** A trial of a resumed campaign as the stored documents left it. */
export interface RestoredTrial {
  id: string;
  index: number;
  status: TrialStatus;
  recipe: Recipe;
  suggestion: Suggestion;
  station?: string | undefined;
  attempt: number;
  failure?: Failure | undefined;
  objectives?: Record<string, number> | undefined;
  /** The trial was approved once (so it counts against the budget, whatever became of it). */
  approved: boolean;
}

/**
 * What a resumed campaign starts from. Terminal trials count against the budget as they did; in-flight ones run
 * again from their plan's start with the same attempt, so their device steps carry the same commandIds and the
 * devices replay what they already did (the engine's commandIds). A trial whose step had an unknown fate stays in
 * `awaitingRecovery` unless `decisions` names an operator's choice for it.
 */
export interface LoopRestore {
  trials: RestoredTrial[];
  /** What the agent learnt, in the order trials finished. */
  observations: Observation[];
  /** Trials taken out of the agent's training data (a contaminated electrolyte batch). */
  excluded: string[];
  /** Operators' decisions for trials awaiting recovery (`labloop resume --recover`). */
  decisions?: ReadonlyMap<string, RecoveryDecision> | undefined;
  /**
   * Re-measurements the flag triage queued (plannerAction documents, ADR 0103), in the order queued; `dispatched` once
   * a suggestion document carries the suggestion's id. The others are queued again, ahead of the agent.
   */
  remeasures?: { suggestion: Suggestion; dispatched: boolean }[] | undefined;
  /**
   * Flag triages an earlier run asked for (plannerAction `triage` documents, ADR 0105) and never decided — the
   * process was killed, or the campaign paused while an operator's answer was awaited. The resumed loop asks them again.
   */
  triages?: FlaggedTrial[] | undefined;
}

/** The loop's record of one trial. */
export interface TrialRecord {
  id: string;
  index: number;
  status: TrialStatus;
  recipe: Recipe;
  suggestion: Suggestion;
  station?: string;
  attempt: number;
  /** Measured objectives, once completed. */
  objectives?: Record<string, number>;
}

export type Idle = <T>(p: Promise<T>) => Promise<T>;

/**
 * An actor's presence on the clock (see Clock.join): `idle(p)` waits for `p` without holding virtual time, so the
 * clock can advance for everyone else meanwhile; `leave()` ends the presence.
 */
export function clockPresence(clock: Clock): { idle: Idle; leave: () => void } {
  let leave = clock.join();
  return {
    idle: async (p) => {
      leave();
      try {
        return await p;
      } finally {
        leave = clock.join();
      }
    },
    leave: () => leave(),
  };
}
