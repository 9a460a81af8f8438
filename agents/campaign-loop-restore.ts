import { makeFailure, type Failure, type TrialStatus } from '../src/domain/index.ts';
import type { Agent } from './agent.ts';
import type { TrainingData } from './batch-watch.ts';
import type { CampaignProgress, LoopRestore, TrialRecord } from './campaign-loop-types.ts';
import type { RecipeGate, RecoveryDecision, TrialExecutor } from './trial-ports.ts';

type Sample = Parameters<TrialExecutor['run']>[1]['sample'];

/** How a restored in-flight trial continues. */
export type Restart =
  /** Proposed but not approved: it goes through the approval policy again, then runs on `station`. */
  | { kind: 'approve'; station: string; sample: Sample }
  /** Approved, queued or running: it replays its plan on `station` with the same attempt (same commandIds). */
  | { kind: 'run'; station: string; sample: Sample }
  /** Awaiting recovery: it starts at the recovery decision for `failure`. */
  | { kind: 'recover'; sample: Sample; failure: Failure };

/** The loop's state and actions a restore needs (the loop's own fields). */
export interface RestoreHost {
  readonly trials: Map<string, TrialRecord>;
  readonly progress: CampaignProgress;
  readonly reserved: Set<string>;
  readonly decisions: Map<string, RecoveryDecision>;
  readonly contaminated: Set<string>;
  readonly agent: Agent;
  readonly training?: TrainingData | undefined;
  readonly gate: RecipeGate;
  readonly executor: TrialExecutor;
  updateBest(trial: TrialRecord, objectives: Record<string, number>): void;
  setStatus(trial: TrialRecord, to: TrialStatus, failure?: Failure): void;
  restart(trial: TrialRecord, how: Restart): void;
}

const IN_FLIGHT: readonly TrialStatus[] = ['proposed', 'approved', 'queued', 'running', 'awaitingRecovery'];

/**
 * Rebuilds the loop's state from a resumed campaign's trials (see LoopRestore): records, counters, the best, the
 * agent's observations, the batch check's exclusions; then restarts the in-flight trials. Returns the next trial index.
 */
export async function restoreLoop(r: LoopRestore, host: RestoreHost): Promise<number> {
  let nextIndex = 0;
  const { progress } = host;
  for (const [id, d] of r.decisions ?? []) host.decisions.set(id, d);
  for (const t of r.trials) {
    const record: TrialRecord = { id: t.id, index: t.index, status: t.status, recipe: t.recipe, suggestion: t.suggestion, attempt: t.attempt, ...(t.station ? { station: t.station } : {}), ...(t.objectives ? { objectives: t.objectives } : {}) };
    host.trials.set(t.id, record);
    nextIndex = Math.max(nextIndex, t.index + 1);
    if (t.status === 'completed') {
      progress.completed++;
      if (t.objectives) host.updateBest(record, t.objectives);
    } else if (t.status === 'failed') progress.failed++;
    else if (t.status === 'blocked') progress.blocked++;
    if (t.status !== 'blocked' && (t.approved || t.status === 'proposed')) progress.dispatched++;
  }
  // Stored observations do not keep their proposer: it comes back from the trial records.
  const withProposer = r.observations.map((o) => {
    const proposer = o.proposer ?? host.trials.get(o.trialId)?.suggestion.proposer;
    return proposer ? { ...o, proposer } : o;
  });
  if (withProposer.length > 0) await host.agent.ingest(withProposer);
  if (r.excluded.length > 0) await host.training?.exclude(r.excluded);
  for (const id of r.excluded) host.contaminated.add(id);
  // In-flight trials go back to the station their steps may have reached first; the others take any free one.
  const onStation = (s: TrialStatus): boolean => s === 'queued' || s === 'running';
  const inflight = r.trials.filter((t) => IN_FLIGHT.includes(t.status));
  inflight.sort((a, b) => Number(onStation(b.status)) - Number(onStation(a.status)));
  for (const t of inflight) {
    const trial = host.trials.get(t.id) as TrialRecord;
    const verdict = host.gate.checkRecipe(trial.recipe);
    if (!verdict.allowed) {
      host.setStatus(trial, 'abandoned', makeFailure('SAFETY_BLOCKED', verdict.reasons.join('; ')));
      continue;
    }
    if (t.status === 'awaitingRecovery') {
      host.restart(trial, { kind: 'recover', sample: verdict.sample, failure: t.failure ?? makeFailure('INTERNAL', 'failure not recorded') });
      continue;
    }
    const wanted = onStation(t.status) ? t.station : undefined;
    const station = wanted && !host.reserved.has(wanted) ? wanted : host.executor.availableStations().find((s) => !host.reserved.has(s));
    if (!station) {
      host.setStatus(trial, 'abandoned', makeFailure('ABORTED', 'no station to resume it on'));
      continue;
    }
    host.reserved.add(station);
    host.restart(trial, { kind: t.status === 'proposed' ? 'approve' : 'run', station, sample: verdict.sample });
  }
  return nextIndex;
}
