import type { CampaignSpec, Logger, Suggestion } from '../src/domain/index.ts';
import type { DocumentBus } from '../src/protocol/index.ts';
import { estimateBest, type BestEstimate, type Reading, type RecipeEstimator } from './best-estimate.ts';
import type { CampaignProgress, TrialRecord } from './campaign-loop-types.ts';
import { confirmationSuggestions } from './confirmation.ts';

export interface LoopEstimateDeps {
  spec: CampaignSpec;
  campaignId: string;
  bus: DocumentBus;
  newId: () => string;
  logger: Logger;
  estimator?: RecipeEstimator | undefined;
  /** The loop's trials (read at each call). */
  trials: () => Iterable<TrialRecord>;
}

/**
 * The campaign's best (ADR 0060) as the loop keeps it: the best single reading in the progress, the best estimate over
 * the readings that count (not flagged by the batch check), and the confirmation replicates of the leading recipes.
 */
export class LoopEstimates {
  /** Trials the batch check flagged: their readings do not count towards the best estimate. */
  readonly contaminated = new Set<string>();

  constructor(private readonly deps: LoopEstimateDeps) {}

  /** Completed readings of the primary objective that count (not flagged by the batch check), with their stations. */
  readings(): (Reading & { station: string })[] {
    const primary = this.deps.spec.objectives[0];
    if (!primary) return [];
    const out: (Reading & { station: string })[] = [];
    for (const t of [...this.deps.trials()].sort((a, b) => a.index - b.index)) {
      const v = t.objectives?.[primary.name];
      if (t.status === 'completed' && v !== undefined && !this.contaminated.has(t.id)) out.push({ trialId: t.id, recipe: t.recipe, value: v, station: t.station ?? '' });
    }
    return out;
  }

  /** Updates the progress's best single reading with a completed trial. */
  updateBest(progress: CampaignProgress, trial: TrialRecord, objectives: Record<string, number>): void {
    const primary = this.deps.spec.objectives[0];
    if (!primary) return;
    const value = objectives[primary.name];
    if (value === undefined) return;
    const better = !progress.best || (primary.direction === 'minimize' ? value < progress.best.value : value > progress.best.value);
    if (better) progress.best = { trialId: trial.id, value, recipe: trial.recipe };
  }

  /**
   * Estimates the campaign's best (ADR 0060) and publishes it as a `bestEstimate` document; undefined without readings.
   * `confirming`: the confirmation phase has begun (the estimate counts its trials); `plan` replaces that count.
   */
  async publish(stage: BestEstimate['stage'], confirming: boolean, keep = 5, plan?: (e: BestEstimate) => BestEstimate['confirmation']): Promise<BestEstimate | undefined> {
    const primary = this.deps.spec.objectives[0];
    const readings = this.readings();
    if (!primary || readings.length === 0) return undefined;
    const estimate = await estimateBest(readings, this.deps.estimator, { objective: primary.name, direction: primary.direction, stage, keep });
    const c = this.deps.spec.budget.confirmation;
    if (plan) estimate.confirmation = plan(estimate);
    else if (c && confirming) {
      const trials = [...this.deps.trials()].filter((t) => t.suggestion.proposer === 'confirmation' && t.status !== 'blocked').length;
      estimate.confirmation = { replicates: c.replicates, candidates: Math.min(c.candidates, estimate.ranked.length), trials };
    }
    this.deps.bus.publish(this.deps.campaignId, 'bestEstimate', estimate);
    return estimate;
  }

  /**
   * The confirmation replicates for the `remaining` trials: the leading recipes' repeats, round-robin (ADR 0060).
   * `snapshot()` publishes the agent's current model and returns its id (the replicates name it).
   */
  async planConfirmation(remaining: number, snapshot: () => string | undefined): Promise<Suggestion[]> {
    const c = this.deps.spec.budget.confirmation;
    if (!c) return [];
    let queue: Suggestion[] = [];
    await this.publish('before-confirmation', false, Math.max(5, c.candidates), (estimate) => {
      const snapshotId = snapshot();
      queue = confirmationSuggestions(estimate, { ...c, trials: remaining }, this.deps.newId).map((sg) => (snapshotId ? { ...sg, modelSnapshotId: snapshotId } : sg));
      return { replicates: c.replicates, candidates: Math.min(c.candidates, estimate.ranked.length), trials: queue.length };
    });
    this.deps.logger.info({ trials: queue.length }, 'confirmation replicates planned');
    return queue;
  }
}
