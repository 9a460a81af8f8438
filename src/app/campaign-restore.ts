import type { LoopRestore, RestoredTrial } from '../../agents/campaign-loop.ts';
import type { FlaggedTrial } from '../../agents/trial-ports.ts';
import { makeFailure, type CampaignSpec, type Failure, type Observation, type Suggestion } from '../domain/index.ts';
import { activeRegions, stockLedger, type ActiveRegion, type LabDocument, type RunInfo, type StockLedger } from '../protocol/index.ts';
import type { Store } from '../store/store.ts';
import { CampaignNotResumableError } from './campaign-identity.ts';

/** A stored campaign as `labloop resume` finds it: what the next run continues from. */
export interface StoredCampaign {
  campaignId: string;
  spec: CampaignSpec;
  seed: number;
  state: string;
  /** Run infos of every start and resume so far (oldest first); the next run is number `runs.length + 1`. */
  runs: RunInfo[];
  lastSeq: number;
  /** Time of the last stored document, ms since the epoch (a resumed dry run's simulated clock goes on from it). */
  lastTimeMs: number;
  loop: LoopRestore;
  /** Station pairs quarantined when the campaign stopped (with the message they were quarantined with). */
  quarantined: Map<string, string>;
  /** Regions of the search space quarantined and not lifted when the campaign stopped (ADR 0106). */
  regions: ActiveRegion[];
  /** What the stock documents say: drawn and refilled per stock (ADR 0113); a resumed run's tracked volumes start from it. */
  stocks: StockLedger;
  /** Trials waiting for an operator because one of their device steps had an unknown fate. */
  awaitingRecovery: { trialId: string; index: number; station?: string | undefined; message: string }[];
}

/** Every stored document of a campaign, in sequence order. */
export async function readAllDocuments(store: Store, campaignId: string): Promise<LabDocument[]> {
  const out: LabDocument[] = [];
  for (;;) {
    const page = await store.documents.after(campaignId, out.at(-1)?.seq ?? 0, 5000);
    out.push(...page);
    if (page.length < 5000) return out;
  }
}

/**
 * Rebuilds a campaign's state from its stored documents (trials, suggestions, station and region quarantines, run infos) and its
 * observations (the projection the agents learn from). Throws CampaignNotResumableError for a campaign that is not
 * stored or has ended.
 */
export async function loadStoredCampaign(store: Store, campaignId: string): Promise<StoredCampaign> {
  const record = await store.campaigns.get(campaignId);
  if (!record) throw new CampaignNotResumableError(campaignId, 'no such campaign in this database (see `labloop campaigns`)');
  if (record.state === 'completed' || record.state === 'aborted' || record.state === 'failed')
    throw new CampaignNotResumableError(campaignId, `it has ended (${record.state}); export its results with \`labloop export ${campaignId}\``);
  const docs = await readAllDocuments(store, campaignId);
  const runs: RunInfo[] = [];
  const suggestions = new Map<string, RestoredTrial['suggestion']>();
  const trials = new Map<string, RestoredTrial>();
  const quarantined = new Map<string, string>();
  const excluded = new Set<string>();
  const proposed = new Set<string>();
  const remeasures: Suggestion[] = [];
  // Flag triages asked and not decided yet, by trigger and trial (ADR 0105).
  const triages = new Map<string, FlaggedTrial>();
  for (const doc of docs) {
    switch (doc.type) {
      case 'campaignStart':
        if (doc.payload.run) runs.push(doc.payload.run);
        break;
      case 'suggestion':
        suggestions.set(doc.payload.trialId, doc.payload.suggestion);
        proposed.add(doc.payload.suggestion.id);
        break;
      case 'plannerAction': {
        const a = doc.payload;
        if (a.kind === 'triage') {
          triages.set(`${a.trigger}:${a.trialId}`, { kind: a.trigger, trialId: a.trialId, index: a.index, recipe: a.recipe, station: a.station, flags: a.flags, ...(a.detail !== undefined ? { detail: a.detail } : {}) });
          break;
        }
        if (a.kind === 'remeasure') remeasures.push(a.suggestion);
        triages.delete(`${a.trigger ?? 'quality'}:${a.trialId}`);
        break;
      }
      case 'trialState': {
        const p = doc.payload;
        const prev = trials.get(p.trialId);
        const suggestion = suggestions.get(p.trialId) ?? prev?.suggestion ?? { id: `${p.trialId}-suggestion`, recipe: p.recipe, proposer: 'rules', rationale: 'restored without its suggestion document' };
        const failure: Failure | undefined = p.failure ?? (p.to === 'awaitingRecovery' || p.to === 'failed' || p.to === 'abandoned' ? prev?.failure : undefined);
        trials.set(p.trialId, {
          id: p.trialId,
          index: p.index,
          status: p.to,
          recipe: p.recipe,
          suggestion,
          station: p.station ?? prev?.station,
          attempt: p.attempt,
          failure,
          objectives: p.objectives ?? prev?.objectives,
          approved: (prev?.approved ?? false) || !['proposed', 'blocked'].includes(p.to) && !(p.to === 'abandoned' && p.from === 'proposed'),
        });
        break;
      }
      case 'stationState':
        if (doc.payload.quarantined) quarantined.set(doc.payload.station, doc.payload.message ?? 'quarantined');
        else quarantined.delete(doc.payload.station);
        break;
      case 'fault':
        if (doc.payload.failure.code === 'ELECTROLYTE_CONTAMINATION' && doc.payload.trialId) excluded.add(doc.payload.trialId);
        break;
      default:
        break;
    }
  }
  const observations: Observation[] = (await store.observations.list(campaignId)).map(({ campaignId: _c, seq: _s, ...o }) => o);
  const restored = [...trials.values()].sort((a, b) => a.index - b.index);
  const awaitingRecovery = restored
    .filter((t) => t.status === 'awaitingRecovery' && t.failure?.code === 'COMMAND_FATE_UNKNOWN')
    .map((t) => ({ trialId: t.id, index: t.index, station: t.station, message: (t.failure ?? makeFailure('COMMAND_FATE_UNKNOWN', '')).message }));
  const last = docs.at(-1);
  return {
    campaignId,
    spec: record.spec,
    seed: record.seed,
    state: record.state,
    runs,
    lastSeq: last?.seq ?? 0,
    lastTimeMs: last ? Date.parse(last.time) : record.createdAt.getTime(),
    loop: { trials: restored, observations, excluded: [...excluded], remeasures: remeasures.map((s) => ({ suggestion: s, dispatched: proposed.has(s.id) })), triages: [...triages.values()] },
    quarantined,
    regions: activeRegions(docs),
    stocks: stockLedger(docs),
    awaitingRecovery,
  };
}
