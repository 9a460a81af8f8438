import type { CampaignSpec, Failure, Logger, Recipe, TriageVerdictKind } from '../../src/domain/index.ts';
import type { StationQuarantine } from '../batch-watch.ts';
import type { RegionQuarantine } from '../region-quarantine.ts';
import type { RecoveryPolicy } from '../trial-ports.ts';
import type { HumanDesk } from './human-desk.ts';
import type { Planner } from './planner.ts';
import { askTriage, type TriageGraph } from './triage-graph.ts';

export interface TriageRecoveryOptions {
  planner: Planner;
  spec: CampaignSpec;
  /** Verdicts the campaign allows (strategy.planner.triage); `skip` is always allowed. */
  allowed: readonly TriageVerdictKind[];
  /** Recipe and station of a trial (from the campaign's documents). */
  trialInfo: (trialId: string) => { recipe: Recipe; station?: string } | undefined;
  /** Quarantines a station (the executor), for a quarantine-station verdict. */
  stations?: StationQuarantine;
  /** The campaign's quarantined regions, for a quarantine-region verdict (ADR 0106). */
  regions?: RegionQuarantine;
  /** The console's approval queue, for an ask-human verdict (ADR 0076); without one ask-human is not offered. */
  desk?: HumanDesk;
  /** The checkpointed triage graph and the campaign's id for its threads (composition root); default: the planner directly. */
  graph?: TriageGraph;
  campaignId?: string;
  logger?: Logger;
}

/**
 * The planner's triage of a failed device step as the campaign's recovery policy (ADRs 0071, 0076). The engine
 * applies only what the campaign allows: retry (when the failure is retryable and retries are left), skip, quarantine
 * the station (then skip), ask a human (a LangGraph interrupt that becomes an approval request in the console:
 * approve retries while retries are left, reject skips). Anything else, or a verdict not allowed, is skip.
 * quarantine-region quarantines the region around the trial's recipe (ADR 0106: the campaign loop refuses every later
 * suggestion inside it until an operator lifts it), then skips the trial.
 */
export class TriageRecovery implements RecoveryPolicy {
  constructor(private readonly opts: TriageRecoveryOptions) {}

  async decide(trialId: string, failure: Failure, attempt: number): Promise<{ decision: 'retry' | 'skip' | 'abandon'; actor: string }> {
    const o = this.opts;
    const allowed = [...new Set<TriageVerdictKind>([...o.allowed, 'skip'])].filter((v) => v !== 'ask-human' || o.desk !== undefined);
    const info = o.trialInfo(trialId);
    const outcome = await askTriage(
      { planner: o.planner, spec: o.spec, ...(o.graph ? { graph: o.graph } : {}), ...(o.desk ? { desk: o.desk } : {}) },
      `${o.campaignId ?? o.spec.id}:triage:${trialId}:${attempt}`,
      { trialId, recipe: info?.recipe ?? {}, failure, flags: [], ...(info?.station ? { station: info.station } : {}), attempt, allowed },
    );
    const { verdict, reason } = outcome.result.value;
    const actor = `planner:${outcome.result.source}${outcome.result.transcriptId ? `:${outcome.result.transcriptId}` : ''}`;
    o.logger?.info({ trialId, code: failure.code, verdict, reason, source: outcome.result.source }, 'planner triage');
    if (!allowed.includes(verdict)) return { decision: 'skip', actor };
    const retryLeft = attempt < o.spec.strategy.maxRetries;
    switch (verdict) {
      case 'retry':
        return { decision: failure.retryable && retryLeft ? 'retry' : 'skip', actor };
      case 'quarantine-station':
        if (info?.station && o.stations) o.stations.quarantine(info.station, `planner triage: ${reason}`);
        return { decision: 'skip', actor };
      case 'ask-human':
        if (!outcome.answer) return { decision: 'skip', actor };
        return { decision: outcome.answer.approved && retryLeft ? 'retry' : 'skip', actor: outcome.answer.actor };
      case 'quarantine-region':
        if (info?.recipe) o.regions?.quarantine({ centre: info.recipe, trialId, reason: `planner triage of ${failure.code}: ${reason}`, actor });
        return { decision: 'skip', actor };
      case 'skip':
        return { decision: 'skip', actor };
    }
  }
}
