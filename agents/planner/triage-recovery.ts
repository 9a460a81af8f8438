import type { CampaignSpec, Failure, Logger, Recipe, TriageVerdictKind } from '../../src/domain/index.ts';
import type { StationQuarantine } from '../batch-watch.ts';
import type { RecoveryPolicy } from '../trial-ports.ts';
import type { Planner } from './planner.ts';

export interface TriageRecoveryOptions {
  planner: Planner;
  spec: CampaignSpec;
  /** Verdicts the campaign allows (strategy.planner.triage); `skip` is always allowed. */
  allowed: readonly TriageVerdictKind[];
  /** Recipe and station of a trial (from the campaign's documents). */
  trialInfo: (trialId: string) => { recipe: Recipe; station?: string } | undefined;
  /** Quarantines a station (the executor), for a quarantine-station verdict. */
  stations?: StationQuarantine;
  /** An operator's decision (the console), for an ask-human verdict; without one it becomes skip. */
  human?: RecoveryPolicy;
  logger?: Logger;
}

/**
 * The planner's triage of a failed device step as the campaign's recovery policy (ADR 0071). The engine applies only
 * what the campaign allows: retry (when the failure is retryable and retries are left), skip, quarantine the station
 * (then skip), ask a human (the console's recovery decision). Anything else, or a verdict not allowed, is skip.
 * quarantine-region is recorded with its reason and applied as skip (the optimiser's feasibility model learns the region).
 */
export class TriageRecovery implements RecoveryPolicy {
  constructor(private readonly opts: TriageRecoveryOptions) {}

  async decide(trialId: string, failure: Failure, attempt: number): Promise<{ decision: 'retry' | 'skip' | 'abandon'; actor: string }> {
    const o = this.opts;
    const allowed = [...new Set<TriageVerdictKind>([...o.allowed, 'skip'])].filter((v) => v !== 'ask-human' || o.human !== undefined);
    const info = o.trialInfo(trialId);
    const result = await o.planner.triage({
      spec: o.spec,
      trialId,
      recipe: info?.recipe ?? {},
      failure,
      flags: [],
      ...(info?.station ? { station: info.station } : {}),
      attempt,
      allowed,
    });
    const { verdict, reason } = result.value;
    const actor = `planner:${result.source}${result.transcriptId ? `:${result.transcriptId}` : ''}`;
    o.logger?.info({ trialId, code: failure.code, verdict, reason, source: result.source }, 'planner triage');
    if (!allowed.includes(verdict)) return { decision: 'skip', actor };
    switch (verdict) {
      case 'retry':
        return { decision: failure.retryable && attempt < o.spec.strategy.maxRetries ? 'retry' : 'skip', actor };
      case 'quarantine-station':
        if (info?.station && o.stations) o.stations.quarantine(info.station, `planner triage: ${reason}`);
        return { decision: 'skip', actor };
      case 'ask-human':
        return o.human ? o.human.decide(trialId, failure, attempt) : { decision: 'skip', actor };
      case 'quarantine-region':
      case 'skip':
        return { decision: 'skip', actor };
    }
  }
}
