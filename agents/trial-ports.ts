import type { Failure, Recipe, Suggestion } from '../src/domain/index.ts';
import type { SamplePlan } from '../src/devices/sample-preparation.ts';
import type { TrialOutcome } from '../src/protocol/index.ts';

/** What the campaign loop needs from the lab: stations and a way to run a trial on one. Implemented in src/app over the engine. */
export interface TrialExecutor {
  /** Ids of stations that are idle and not quarantined. */
  availableStations(): string[];
  /** Stations not quarantined (busy or idle). */
  usableStations(): number;
  run(stationId: string, request: { trialId: string; recipe: Recipe; sample: SamplePlan; attempt: number }): Promise<TrialOutcome>;
  whileNotPaused(): Promise<void>;
  readonly aborted: boolean;
  /** Resolves when a station's state may have changed (freed, released, quarantined). */
  stationsChanged(): Promise<void>;
}

/**
 * Stock solutions as a supply (ADR 0113). The executor holds a trial the stocks cannot supply before its liquid
 * handling is dispatched (its run fails with STOCK_LOW, nothing sent), and a device's INSUFFICIENT_LIQUID on a stock is
 * the same supply event: neither is a recipe failure nor a fault of the station. The loop retries such a trial (a new
 * attempt, new commandIds) once the stocks can supply it, or pauses the campaign until an operator refills them.
 */
export interface StockSupply {
  /** True when the failure is a stock running out. */
  isShortage(failure: Failure): boolean;
  /**
   * Whether the stocks can supply the trial's sample again (now, or after a refill by the lab's own operator, e.g. a
   * dry run's simulated operator); otherwise the reason the campaign pauses with, naming the stocks.
   */
  resupply(trialId: string, sample: SamplePlan, failure: Failure): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** The trial's retries after a stock ran out, which do not count against its recovery retries. */
  retries(trialId: string): number;
}

export type RecipeVerdict = { allowed: true; recipe: Recipe; sample: SamplePlan } | { allowed: false; recipe: Recipe; reasons: string[] };

/** The safety gate as the loop sees it. */
export interface RecipeGate {
  checkRecipe(recipe: Recipe): RecipeVerdict;
}

export interface ApprovalDecision {
  approved: boolean;
  actor: string;
  reason?: string;
}

/** Decides whether a suggestion may run: automatically, or by an operator in the console. */
export interface ApprovalPolicy {
  approve(trialId: string, suggestion: Suggestion): Promise<ApprovalDecision>;
}

export type RecoveryDecision = 'retry' | 'skip' | 'abandon';

/** Decides what happens to a trial whose device step failed (not a chemistry failure). */
export interface RecoveryPolicy {
  decide(trialId: string, failure: Failure, attempt: number): Promise<{ decision: RecoveryDecision; actor: string }>;
}

export const autoApproval: ApprovalPolicy = { approve: async () => ({ approved: true, actor: 'auto' }) };

export function autoRecovery(maxRetries: number): RecoveryPolicy {
  return {
    decide: async (_trialId, failure, attempt) => ({
      decision: failure.retryable && attempt < maxRetries ? 'retry' : 'skip',
      actor: 'policy',
    }),
  };
}

/**
 * A completed trial the analysis flagged (quality flags), or the trial whose reading raised a batch-shift alarm
 * (ADR 0075): the campaign's triage decides what follows.
 */
export interface FlaggedTrial {
  kind: 'quality' | 'batch-shift';
  trialId: string;
  index: number;
  recipe: Recipe;
  station: string;
  flags: string[];
  /** The alarm's summary (batch shift). */
  detail?: string;
}

export interface FlagDecision {
  /** Re-measure the recipe once (a new trial). */
  remeasure: boolean;
  verdict: string;
  actor: string;
  reason: string;
  /** Proposer of the re-measurement. */
  proposer: Suggestion['proposer'];
}

/** Decides what follows a flagged trial; the loop applies `remeasure`, the policy applies the rest itself. */
export interface FlagPolicy {
  triage(event: FlaggedTrial): Promise<FlagDecision>;
}
