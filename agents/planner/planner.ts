import type { CampaignSpec, Failure, Recipe, TriageVerdictKind } from '../../src/domain/index.ts';
import type { DocumentPayload } from '../../src/protocol/index.ts';
import type { RecipeGate } from '../trial-ports.ts';
import type { FallbackReason, PlannerSource, PlannerStats } from '../../src/protocol/planner-stats.ts';

export type { FallbackReason, JobName, PlannerSource, PlannerStats, ValidationLayer } from '../../src/protocol/planner-stats.ts';
export { emptyPlannerStats } from '../../src/protocol/planner-stats.ts';
export type PlannerCallRecord = DocumentPayload<'plannerCall'>;

/** Turn a goal in words into a campaign, starting from a base campaign (search space, stocks, envelope). */
export interface DraftRequest {
  goal: string;
  base: CampaignSpec;
}
export type DraftOutcome =
  | {
      kind: 'campaign';
      spec: CampaignSpec;
      /** Campaign fields the planner set (dotted paths); every other field is the base campaign's or a default. */
      chosen: string[];
      rationale: string;
    }
  | { kind: 'refused'; rule: string; reason: string };

export const STRATEGIES = ['exploit', 'explore', 'diversify', 'focus-region', 'suggest-stop'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The compact, structured state of a campaign the advise job reads. */
export interface CampaignSummary {
  completed: number;
  failed: number;
  budgetLeft: number;
  pending: number;
  /** Completed trials since the best value last improved. */
  sinceImprovement: number;
  best?: { value: number; recipe: Recipe };
  /** The last few completed recipes with their primary objective. */
  recent: { recipe: Recipe; value: number }[];
  failuresByCode: Record<string, number>;
  /** Model hyper-parameters of the judging agent (lengthscales), when it has a model. */
  model?: Record<string, unknown>;
}
export interface AdviceRequest {
  spec: CampaignSpec;
  summary: CampaignSummary;
  /** At most this many candidates. */
  k: number;
  reason: 'cadence' | 'stall';
}
export interface Advice {
  strategy: Strategy;
  rationale: string;
  /** Recipes as the safety gate normalised them; each passed the gate. */
  candidates: { recipe: Recipe; rationale: string }[];
  region?: Record<string, [number, number]>;
}

export interface TriageRequest {
  spec: CampaignSpec;
  trialId: string;
  recipe: Recipe;
  failure?: Failure;
  flags: string[];
  /** What else the code knows (a batch-shift alarm's summary). */
  detail?: string;
  station?: string;
  attempt: number;
  /** Verdicts the campaign allows. */
  allowed: readonly TriageVerdictKind[];
}
export interface TriageVerdict {
  verdict: TriageVerdictKind;
  reason: string;
}

/** Facts the code computed from the store; the report job may only phrase them. */
export interface ReportFacts {
  campaignId: string;
  title: string;
  objective: { name: string; unit: string; direction: 'minimize' | 'maximize' };
  trials: { total: number; completed: number; failed: number; blocked: number; abandoned: number };
  best?: { value: number; trialIndex: number; recipe: Recipe };
  failuresByCode: Record<string, number>;
  proposers: Record<string, number>;
}
export interface ReportRequest {
  facts: ReportFacts;
}
export interface ReportText {
  markdown: string;
}

export interface PlannerResult<T> {
  value: T;
  source: PlannerSource;
  fallback?: FallbackReason;
  /** Id of the plannerCall document of this job (when a transcript sink is attached). */
  transcriptId?: string;
}

/** What a planner may use besides its input: the safety gate of a campaign (built by the composition root). */
export interface PlannerDeps {
  gateFor(spec: CampaignSpec): RecipeGate;
  /** Receives every job's record (the audit trail); returns the id of the document it became. */
  record?: (call: PlannerCallRecord) => string | undefined;
}

/**
 * The planner: four jobs, each answered with data our own code validated. The LLM planner asks a chat model; the rule
 * planner is deterministic; the replay planner answers from recorded transcripts.
 */
export interface Planner {
  readonly kind: PlannerSource;
  draft(req: DraftRequest): Promise<PlannerResult<DraftOutcome>>;
  advise(req: AdviceRequest): Promise<PlannerResult<Advice>>;
  triage(req: TriageRequest): Promise<PlannerResult<TriageVerdict>>;
  report(req: ReportRequest): Promise<PlannerResult<ReportText>>;
  stats(): PlannerStats;
}
