import { recipeKeys, type Recipe, type Suggestion, type Trial, type TrialStatus } from '../domain/index.ts';
import { activeRegions, ledgerVolume, stockLedger, type ActiveRegion, type DocumentPayload } from '../protocol/index.ts';
import type { CampaignRecord } from './repositories/campaigns.ts';
import type { Store } from './store.ts';

/** One trial as `labloop export` and results.csv report it. */
export interface ExportTrial {
  id: string;
  index: number;
  status: TrialStatus;
  failureCode: string | null;
  failureMessage: string | null;
  recipe: Recipe;
  objectives: Record<string, number> | null;
  proposer: string;
  suggestionId: string | null;
  station: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

export interface BestValue {
  trialId: string;
  index: number;
  value: number;
  recipe: Recipe;
}

export interface CampaignExport {
  campaign: CampaignRecord;
  trials: ExportTrial[];
  /** results.csv layout: fixed columns, then one per recipe key (spec order), then one per objective. */
  columns: string[];
  /** One flat row per trial, keyed by `columns` (values: string, number or null). */
  rows: Record<string, string | number | null>[];
  statusCounts: Partial<Record<TrialStatus, number>>;
  /** Best completed value per objective, respecting its direction: the best single reading (best-observed). */
  best: Record<string, BestValue>;
  /**
   * The campaign's best by estimated value (ADR 0060): the latest `bestEstimate` document — the measured recipe with
   * the best model-estimated value, its readings (mean ± 95 % CI, n) and the model's estimate; absent when none was made.
   */
  bestConfirmed?: DocumentPayload<'bestEstimate'>;
  /**
   * Regions of the search space quarantined and not lifted (ADR 0106), in the order quarantined: centre recipe,
   * radius in the agents' feature space, the trial and the triage's reason.
   */
  regionQuarantines: ActiveRegion[];
  /**
   * Per stock solution (ADR 0113), from the `stock` documents: listed volume, µL drawn by the liquid handlers, refills
   * (count and µL added) and what is left by the records; early warnings issued. What a campaign of this size needs.
   */
  stocks: ExportStock[];
  /** Every suggestion with the model snapshot it was made from and its predictions, in order. */
  suggestions: ExportSuggestion[];
  /** Every model snapshot (hyper-parameters, noise, lengthscales, leave-one-out RMSE; parity points left out). */
  modelSnapshots: ExportSnapshot[];
  documentCount: number;
  lastSeq: number;
  /** True when the stored document sequence is exactly 1..lastSeq. */
  gapless: boolean;
  observationCount: number;
  exportedAt: string;
}

export interface ExportStock {
  stock: string;
  listed_uL: number;
  consumed_uL: number;
  refills: { count: number; uL: number };
  remaining_uL: number;
  lowWarnings: number;
}

export interface ExportSuggestion {
  trialId: string;
  suggestionId: string;
  proposer: Suggestion['proposer'];
  modelSnapshotId: string | null;
  acquisitionValue: number | null;
  predicted: Suggestion['predicted'] | null;
}

export interface ExportSnapshot {
  snapshotId: string;
  seq: number;
  agent: string;
  n: number;
  hyperparameters: Record<string, unknown>;
  looRmse: number | null;
}

export const FIXED_COLUMNS = ['id', 'index', 'status', 'failureCode', 'proposer', 'station', 'attempts'] as const;

/**
 * Last results.csv column (`campaign.best` if a recipe key or objective is named `best`): `observed` on the best single reading, `confirmed` on every counted reading of the
 * best-confirmed recipe (ADR 0060), both joined by `+`; empty elsewhere.
 */
export const BEST_COLUMN = 'best';

export class CampaignNotFoundError extends Error {
  constructor(readonly campaignId: string) {
    super(`no campaign "${campaignId}" in the database`);
    this.name = 'CampaignNotFoundError';
  }
}

/** Everything stored about one campaign, shaped for files; the CLI writes them (this returns data only). */
export async function exportCampaign(store: Pick<Store, 'campaigns' | 'trials' | 'documents' | 'observations' | 'suggestions' | 'modelSnapshots'>, campaignId: string): Promise<CampaignExport> {
  const campaign = await store.campaigns.get(campaignId);
  if (campaign === undefined) throw new CampaignNotFoundError(campaignId);
  const [trials, seq, observations, estimates, regions, suggestions, snapshots, stockDocs] = await Promise.all([
    store.trials.list(campaignId),
    store.documents.checkSequence(campaignId),
    store.observations.list(campaignId),
    store.documents.ofType(campaignId, 'bestEstimate'),
    store.documents.ofType(campaignId, 'regionQuarantine'),
    store.suggestions.list(campaignId),
    store.modelSnapshots.summaries(campaignId),
    store.documents.ofType(campaignId, 'stock'),
  ]);
  const ledger = stockLedger(stockDocs);
  const stocks: ExportStock[] = campaign.spec.stocks.map((st) => ({
    stock: st.name,
    listed_uL: st.volume,
    consumed_uL: round1(ledger.used_uL[st.name] ?? 0),
    refills: { count: ledger.refills[st.name] ?? 0, uL: round1(ledger.refilled_uL[st.name] ?? 0) },
    remaining_uL: round1(ledgerVolume(ledger, st)),
    lowWarnings: stockDocs.filter((d) => d.payload.kind === 'low' && d.payload.stock === st.name).length,
  }));
  const exported = trials.map(toExportTrial);
  const { columns, recipeColumn, objectiveColumn, bestColumn } = resultColumns(campaign, exported);
  const best = bestValues(campaign, exported);
  const bestConfirmed = estimates.at(-1)?.payload;
  const observedId = bestConfirmed?.observed?.trialId ?? (campaign.spec.objectives[0] ? best[campaign.spec.objectives[0].name]?.trialId : undefined);
  const confirmedIds = new Set(bestConfirmed?.best?.trialIds ?? []);
  const rows = exported.map((t) => {
    const row: Record<string, string | number | null> = {
      id: t.id,
      index: t.index,
      status: t.status,
      failureCode: t.failureCode,
      proposer: t.proposer,
      station: t.station,
      attempts: t.attempts,
    };
    for (const [key, col] of recipeColumn) row[col] = t.recipe[key] ?? null;
    for (const [name, col] of objectiveColumn) row[col] = t.objectives?.[name] ?? null;
    row[bestColumn] = [t.id === observedId ? 'observed' : '', confirmedIds.has(t.id) ? 'confirmed' : ''].filter(Boolean).join('+') || null;
    return row;
  });
  const statusCounts: Partial<Record<TrialStatus, number>> = {};
  for (const t of exported) statusCounts[t.status] = (statusCounts[t.status] ?? 0) + 1;
  return {
    campaign,
    trials: exported,
    columns,
    rows,
    statusCounts,
    best,
    ...(bestConfirmed ? { bestConfirmed } : {}),
    regionQuarantines: activeRegions(regions),
    stocks,
    suggestions: suggestions.map((sg) => ({
      trialId: sg.trialId,
      suggestionId: sg.id,
      proposer: sg.proposer,
      modelSnapshotId: sg.modelSnapshotId ?? null,
      acquisitionValue: sg.acquisitionValue ?? null,
      predicted: sg.predicted ?? null,
    })),
    modelSnapshots: snapshots.map((m) => ({ snapshotId: m.id, seq: m.seq, agent: m.agent, n: m.n, hyperparameters: m.hyperparameters, looRmse: m.looRmse ?? null })),
    documentCount: seq.count,
    lastSeq: seq.lastSeq,
    gapless: seq.gapless,
    observationCount: observations.length,
    exportedAt: new Date().toISOString(),
  };
}

function toExportTrial(t: Trial): ExportTrial {
  return {
    id: t.id,
    index: t.index,
    status: t.status,
    failureCode: t.failure?.code ?? null,
    failureMessage: t.failure?.message ?? null,
    recipe: t.recipe,
    objectives: t.objectives ?? null,
    proposer: t.proposer,
    suggestionId: t.suggestionId === '' ? null : t.suggestionId,
    station: t.station ?? null,
    attempts: t.attempts,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/**
 * Column names: recipe keys and objective names as they are, prefixed (`recipe.x`, `objective.y`) only where a name
 * would collide with a fixed column or with each other. Recipe keys outside the spec follow, sorted.
 */
function resultColumns(campaign: CampaignRecord, trials: readonly ExportTrial[]) {
  const specKeys = recipeKeys(campaign.spec);
  const extra = [...new Set(trials.flatMap((t) => Object.keys(t.recipe)))].filter((k) => !specKeys.includes(k)).sort();
  const keys = [...specKeys, ...extra];
  const objectives = campaign.spec.objectives.map((o) => o.name);
  const taken = new Set<string>(FIXED_COLUMNS);
  const recipeColumn = new Map<string, string>();
  for (const k of keys) {
    const col = taken.has(k) || objectives.includes(k) ? `recipe.${k}` : k;
    taken.add(col);
    recipeColumn.set(k, col);
  }
  const objectiveColumn = new Map<string, string>();
  for (const o of objectives) {
    const col = taken.has(o) ? `objective.${o}` : o;
    taken.add(col);
    objectiveColumn.set(o, col);
  }
  const bestColumn = taken.has(BEST_COLUMN) ? `campaign.${BEST_COLUMN}` : BEST_COLUMN;
  return { columns: [...FIXED_COLUMNS, ...recipeColumn.values(), ...objectiveColumn.values(), bestColumn], recipeColumn, objectiveColumn, bestColumn };
}

function bestValues(campaign: CampaignRecord, trials: readonly ExportTrial[]): Record<string, BestValue> {
  const best: Record<string, BestValue> = {};
  for (const o of campaign.spec.objectives) {
    const sign = o.direction === 'minimize' ? 1 : -1;
    for (const t of trials) {
      const v = t.objectives?.[o.name];
      if (t.status !== 'completed' || v === undefined || !Number.isFinite(v)) continue;
      const cur = best[o.name];
      if (cur === undefined || sign * v < sign * cur.value) best[o.name] = { trialId: t.id, index: t.index, value: v, recipe: t.recipe };
    }
  }
  return best;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;
