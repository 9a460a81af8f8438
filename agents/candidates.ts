import type { Observation, Proposer, Recipe, Suggestion } from '../src/domain/index.ts';
import type { Agent } from './agent.ts';

/**
 * A recipe proposed by something other than an agent's own optimiser — an LLM planner's advice, a generative model's
 * sample — to be judged by that agent's surrogate and acquisition before it can become a suggestion.
 */
export interface ExternalCandidate {
  recipe: Recipe;
  proposer: Proposer;
  rationale: string;
  /** Id of the document behind the candidate (an LLM transcript, a generative model snapshot). */
  sourceId?: string;
}

/** A recipe as the judging agent would dispense it (snapped into the search space), with its surrogate's verdict. */
export interface ScoredCandidate {
  recipe: Recipe;
  /** The acquisition value (log scale, feasibility and outcome-bound terms included) given the pending recipes. */
  acquisitionValue: number;
  /** Surrogate prediction per objective, in objective units. */
  predicted: Record<string, { mean: number; sd: number }>;
  /** Probability that the recipe runs without a coded failure, when a feasibility model exists. */
  feasibility?: number;
}

export interface SuggestAmongOptions {
  /** At most this many of the batch come from `external` (default: no cap). */
  maxExternal?: number;
}

/**
 * An agent that can judge recipes it did not propose. The hybrid and generative agents use it so that candidates of
 * every proposer compete under one surrogate and one acquisition.
 */
export interface CandidateJudge {
  /**
   * Scores recipes with the current surrogate, given the recipes still pending. Before the first feasible observation
   * there is no model: every acquisition value is 0 and `predicted` is empty.
   */
  score(recipes: readonly Recipe[], pending: readonly Recipe[]): Promise<ScoredCandidate[]>;
  /**
   * Like `Agent.suggest`, but each batch member is chosen greedily (later members see earlier ones as pending) among
   * the optimiser's own candidates and `external`, by the same acquisition; at most `maxExternal` come from `external`.
   * A chosen external candidate keeps its proposer, rationale and sourceId, with the acquisition's verdict appended.
   * During the initial design (no model yet) external candidates, in the caller's order, take up to `maxExternal` of
   * the design's places.
   */
  suggestAmong(n: number, pending: readonly Recipe[], external: readonly ExternalCandidate[], opts?: SuggestAmongOptions): Promise<Suggestion[]>;
}

export type JudgingAgent = Agent & CandidateJudge;

export function isJudgingAgent(agent: Agent): agent is JudgingAgent {
  const a = agent as Partial<CandidateJudge>;
  return typeof a.score === 'function' && typeof a.suggestAmong === 'function';
}

/** What a candidate source is asked for: how many candidates, what is still running, and what has been observed. */
export interface CandidateRequest {
  /** Candidates wanted (a source may return fewer, or more for the judge to choose among). */
  n: number;
  pending: readonly Recipe[];
}

/**
 * Something that proposes recipes without judging them itself: an LLM planner's advice, a generative model. A hybrid
 * agent asks its sources for candidates and lets a `CandidateJudge` choose the batch among them and its own optima.
 */
export interface CandidateSource {
  readonly name: string;
  /** Learns from finished trials (the same observations the judge receives). */
  ingest(observations: Observation[]): Promise<void>;
  propose(request: CandidateRequest): Promise<ExternalCandidate[]>;
}
