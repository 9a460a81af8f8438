import type { Failure, Recipe, Suggestion, TrialStatus } from '../domain/index.ts';
import type { CampaignState, DocumentOf, LabDocument } from '../protocol/index.ts';
import type { DeviceReport } from './repositories/stations.ts';

/**
 * What a batch of documents changes in the projected tables, computed without I/O. Documents of one batch are
 * folded in sequence order, so one row per key is written per batch (Postgres refuses to upsert a row twice in one
 * statement) and the fold equals applying the documents one by one.
 */

/** Trial statuses whose failure stays recorded; any other status clears it (a retried or completed trial). */
export const FAILURE_KEEPING_STATUSES: readonly TrialStatus[] = ['failed', 'awaitingRecovery', 'abandoned', 'blocked'];

export interface CampaignChange {
  id: string;
  start?: { spec: DocumentOf<'campaignStart'>['payload']['spec']; seed: number };
  state?: { state: CampaignState; reason: string | null };
  time: Date;
}

export interface TrialChange {
  id: string;
  campaignId: string;
  index: number;
  status: TrialStatus;
  recipe: Recipe;
  proposer: string;
  /** null: not reported in this batch (the stored station is kept). */
  station: string | null;
  /** Set when the latest state carries a failure; otherwise kept or cleared by status (FAILURE_KEEPING_STATUSES). */
  failure: Failure | null;
  attempts: number;
  objectives: Record<string, number> | null;
  suggestionId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StationChange {
  campaignId: string;
  id: string;
  state: DeviceReport['state'];
  device: string;
  devices: Record<string, DeviceReport>;
  quarantined: boolean;
  consecutiveFaults: number;
  activeRunId: string | null;
  message: string | null;
  lastHeartbeat: Date;
}

export interface ProjectionPlan {
  campaigns: CampaignChange[];
  trials: TrialChange[];
  /** Objectives of completed runs whose trial has no state change in this batch. */
  objectivePatches: { trialId: string; objectives: Record<string, number> }[];
  suggestions: { campaignId: string; trialId: string; suggestion: Suggestion; time: Date }[];
  modelSnapshots: { campaignId: string; seq: number; payload: DocumentOf<'modelSnapshot'>['payload']; time: Date }[];
  stations: StationChange[];
  operatorActions: { campaignId: string; seq: number; time: Date; payload: DocumentOf<'operatorAction'>['payload'] }[];
  /**
   * Trials whose observation must be (re-)derived: they reached completed/failed/abandoned or got a completed run's
   * objectives in this batch; with the seq of the last such document.
   */
  observationCandidates: Map<string, { campaignId: string; seq: number }>;
  /** Quality flags of runs this batch started or added events to (merge into ProjectionState once committed). */
  runFlags: Map<string, Set<string>>;
}

/** Sink state that outlives a batch: quality flags of each trial's current run, from its `event` documents. */
export interface ProjectionState {
  runFlags: Map<string, Set<string>>;
}

const OBSERVABLE: readonly string[] = ['completed', 'failed', 'abandoned'];

/** The flags of a trial's current run as of this plan: the batch's changes over the committed state. */
export function runFlagsOf(plan: Pick<ProjectionPlan, 'runFlags'>, state: ProjectionState, trialId: string): string[] {
  return [...(plan.runFlags.get(trialId) ?? state.runFlags.get(trialId) ?? [])].sort();
}

/** Merges a committed plan's run flags into the state. */
export function commitRunFlags(state: ProjectionState, plan: Pick<ProjectionPlan, 'runFlags'>): void {
  for (const [trialId, flags] of plan.runFlags) state.runFlags.set(trialId, flags);
}

export function newProjectionState(): ProjectionState {
  return { runFlags: new Map() };
}

/** Plans the batch; `state` is read, never modified (see commitRunFlags). */
export function planProjection(docs: readonly LabDocument[], state: ProjectionState): ProjectionPlan {
  const campaigns = new Map<string, CampaignChange>();
  const trials = new Map<string, TrialChange>();
  const objectives = new Map<string, Record<string, number>>();
  const suggestionOf = new Map<string, string>();
  const stations = new Map<string, StationChange>();
  const plan: ProjectionPlan = {
    campaigns: [],
    trials: [],
    objectivePatches: [],
    suggestions: [],
    modelSnapshots: [],
    stations: [],
    operatorActions: [],
    observationCandidates: new Map(),
    runFlags: new Map(),
  };
  const candidate = (trialId: string, doc: LabDocument) => plan.observationCandidates.set(trialId, { campaignId: doc.campaignId, seq: doc.seq });
  const campaign = (doc: LabDocument): CampaignChange => {
    let c = campaigns.get(doc.campaignId);
    if (c === undefined) campaigns.set(doc.campaignId, (c = { id: doc.campaignId, time: new Date(doc.time) }));
    c.time = new Date(doc.time);
    return c;
  };

  for (const doc of docs) {
    const time = new Date(doc.time);
    switch (doc.type) {
      case 'campaignStart':
        campaign(doc).start = { spec: doc.payload.spec, seed: doc.payload.seed };
        campaign(doc).state = { state: 'running', reason: null };
        break;
      case 'campaignState':
        campaign(doc).state = { state: doc.payload.state, reason: doc.payload.reason ?? null };
        break;
      case 'trialState': {
        const p = doc.payload;
        const prev = trials.get(p.trialId);
        const failure = p.failure ?? (FAILURE_KEEPING_STATUSES.includes(p.to) ? (prev?.failure ?? null) : null);
        trials.set(p.trialId, {
          id: p.trialId,
          campaignId: doc.campaignId,
          index: p.index,
          status: p.to,
          recipe: p.recipe,
          proposer: p.proposer,
          station: p.station ?? prev?.station ?? null,
          failure,
          attempts: p.attempt,
          objectives: prev?.objectives ?? null,
          suggestionId: prev?.suggestionId ?? suggestionOf.get(p.trialId) ?? null,
          createdAt: prev?.createdAt ?? time,
          updatedAt: time,
        });
        if (OBSERVABLE.includes(p.to)) candidate(p.trialId, doc);
        break;
      }
      case 'runStart':
        plan.runFlags.set(doc.payload.trialId, new Set());
        break;
      case 'event': {
        const id = doc.payload.trialId;
        const flags = plan.runFlags.get(id) ?? new Set(state.runFlags.get(id));
        for (const f of doc.payload.flags) flags.add(f);
        plan.runFlags.set(id, flags);
        break;
      }
      case 'runStop':
        if (doc.payload.status === 'completed') {
          const t = trials.get(doc.payload.trialId);
          if (t) t.objectives = doc.payload.objectives;
          else objectives.set(doc.payload.trialId, doc.payload.objectives);
          candidate(doc.payload.trialId, doc);
        }
        break;
      case 'suggestion': {
        const { suggestion, trialId } = doc.payload;
        plan.suggestions.push({ campaignId: doc.campaignId, trialId, suggestion, time });
        suggestionOf.set(trialId, suggestion.id);
        const t = trials.get(trialId);
        if (t && t.suggestionId === null) t.suggestionId = suggestion.id;
        break;
      }
      case 'modelSnapshot':
        plan.modelSnapshots.push({ campaignId: doc.campaignId, seq: doc.seq, payload: doc.payload, time });
        break;
      case 'stationState': {
        const p = doc.payload;
        const key = `${doc.campaignId}\u0000${p.station}`;
        const report: DeviceReport = { state: p.state, time: doc.time, ...(p.activeRunId ? { activeRunId: p.activeRunId } : {}), ...(p.message ? { message: p.message } : {}) };
        stations.set(key, {
          campaignId: doc.campaignId,
          id: p.station,
          state: p.state,
          device: p.device,
          devices: { ...(stations.get(key)?.devices ?? {}), [p.device]: report },
          quarantined: p.quarantined,
          consecutiveFaults: p.consecutiveFaults,
          activeRunId: p.activeRunId ?? null,
          message: p.message ?? null,
          lastHeartbeat: time,
        });
        break;
      }
      case 'operatorAction':
        plan.operatorActions.push({ campaignId: doc.campaignId, seq: doc.seq, time, payload: doc.payload });
        break;
      case 'descriptor':
      case 'fault':
        break; // kept in the documents table only
    }
  }
  // A runStop folded before its trial's first state change in this batch still belongs to that trial.
  for (const [trialId, o] of objectives) {
    const t = trials.get(trialId);
    if (t) t.objectives ??= o;
    else plan.objectivePatches.push({ trialId, objectives: o });
  }
  plan.campaigns = [...campaigns.values()];
  plan.trials = [...trials.values()];
  plan.stations = [...stations.values()];
  return plan;
}
