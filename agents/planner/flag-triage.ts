import type { CampaignSpec, Logger, Proposer, TriageVerdictKind } from '../../src/domain/index.ts';
import type { StationQuarantine } from '../batch-watch.ts';
import type { RegionQuarantine } from '../region-quarantine.ts';
import type { FlagDecision, FlagPolicy, FlaggedTrial } from '../trial-ports.ts';
import type { HumanDesk } from './human-desk.ts';
import type { Planner } from './planner.ts';
import { askTriage, type TriageGraph } from './triage-graph.ts';

/**
 * Quality flags that do not question a measurement (a short Tafel window only narrows a secondary feature): a trial
 * with only these is not triaged.
 */
export const BENIGN_FLAGS: ReadonlySet<string> = new Set(['tafel_window_short']);

export interface FlagTriageOptions {
  planner: Planner;
  spec: CampaignSpec;
  campaignId: string;
  /** Verdicts the campaign allows (strategy.planner.triage); `skip` is always allowed. */
  allowed: readonly TriageVerdictKind[];
  /** Quarantines a station (the executor), for a quarantine-station verdict on a quality flag. */
  stations?: StationQuarantine;
  /** The campaign's quarantined regions, for a quarantine-region verdict (ADR 0106). */
  regions?: RegionQuarantine;
  /** The console's approval queue, for an ask-human verdict; without one ask-human is not offered. */
  desk?: HumanDesk;
  /** The checkpointed triage graph (composition root); default: the planner directly. */
  graph?: TriageGraph;
  logger?: Logger;
}

/**
 * The planner's triage of a flagged trial (analysis quality flags) or a batch-shift alarm (ADR 0075). The engine
 * applies only verdicts the campaign allows: retry re-measures the recipe once (a new trial, counted against the
 * budget); quarantine-station quarantines the trial's station (a batch shift has quarantined it already);
 * ask-human puts the question to an operator (approve: re-measure; reject: keep the measurement); skip keeps the
 * measurement; quarantine-region keeps it too and quarantines the region around the trial's recipe (ADR 0106: the
 * campaign loop refuses every later suggestion inside it until an operator lifts it).
 */
export class FlagTriage implements FlagPolicy {
  constructor(private readonly opts: FlagTriageOptions) {}

  async triage(event: FlaggedTrial): Promise<FlagDecision> {
    const o = this.opts;
    const flags = event.flags.filter((f) => !BENIGN_FLAGS.has(f));
    if (flags.length === 0) return { remeasure: false, verdict: 'skip', actor: 'policy', reason: 'only benign flags', proposer: 'rules' };
    const allowed = [...new Set<TriageVerdictKind>([...o.allowed, 'skip'])].filter((v) => v !== 'ask-human' || o.desk !== undefined);
    const thread = `${o.campaignId}:${event.kind === 'batch-shift' ? 'shift' : 'flag'}:${event.trialId}`;
    const outcome = await askTriage(
      { planner: o.planner, spec: o.spec, ...(o.graph ? { graph: o.graph } : {}), ...(o.desk ? { desk: o.desk } : {}) },
      thread,
      { trialId: event.trialId, recipe: event.recipe, flags, station: event.station, attempt: 0, allowed, ...(event.detail ? { detail: event.detail } : {}) },
    );
    const { verdict, reason } = outcome.result.value;
    const proposer: Proposer = outcome.result.source === 'rules' ? 'rules' : 'llm';
    const actor = `planner:${outcome.result.source}${outcome.result.transcriptId ? `:${outcome.result.transcriptId}` : ''}`;
    o.logger?.info({ trialId: event.trialId, kind: event.kind, flags, verdict, reason, source: outcome.result.source }, 'planner triage of a flagged trial');
    const decision = (remeasure: boolean, by = actor, p: Proposer = proposer): FlagDecision => ({ remeasure, verdict, actor: by, reason, proposer: p });
    if (!allowed.includes(verdict)) return { ...decision(false), verdict: 'skip' };
    switch (verdict) {
      case 'retry':
        return decision(true);
      case 'quarantine-station':
        if (event.kind !== 'batch-shift') o.stations?.quarantine(event.station, `planner triage of trial #${event.index} (${flags.join(', ')}): ${reason}`);
        return decision(false);
      case 'ask-human':
        return outcome.answer ? decision(outcome.answer.approved, outcome.answer.actor, 'human') : decision(false);
      case 'quarantine-region':
        o.regions?.quarantine({ centre: event.recipe, trialId: event.trialId, reason: `planner triage of trial #${event.index} (${flags.join(', ')}): ${reason}`, actor });
        return decision(false);
      case 'skip':
        return decision(false);
    }
  }
}
