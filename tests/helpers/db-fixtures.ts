import { campaignSpecSchema, makeFailure, type CampaignSpec, type Failure, type Recipe, type TrialStatus } from '../../src/domain/index.ts';
import { DocumentBus, type LabDocument } from '../../src/protocol/index.ts';

/** A small valid campaign spec for store tests. */
export function testSpec(id: string, overrides: Partial<CampaignSpec> = {}): CampaignSpec {
  return campaignSpecSchema.parse({
    id,
    title: `Store test ${id}`,
    objectives: [
      { name: 'eta10', direction: 'minimize', unit: 'V', feature: 'eta10_V' },
      { name: 'tafel', direction: 'minimize', unit: 'mV/dec', feature: 'tafel_mV_dec' },
    ],
    parameters: [
      { type: 'simplex', name: 'metals', components: ['Ni', 'Fe', 'Co'] },
      { type: 'continuous', name: 'loading', low: 1, high: 10, unit: 'uL' },
    ],
    budget: { trials: 10 },
    safety: { maxTotalVolume: 2500, potentialWindow_V_RHE: [0.8, 1.9] },
    ...overrides,
  });
}

/** A unique campaign id per call (ids are lower-case, digits and dashes). */
let counter = 0;
export function uniqueCampaignId(prefix = 'c'): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 6)}`;
}

export function recipeFor(i: number): Recipe {
  const ni = 0.2 + 0.05 * (i % 5);
  return { Ni: ni, Fe: 0.5 - ni / 2, Co: 0.5 - ni / 2, loading: 1 + (i % 9) };
}

export interface ScenarioTrial {
  status: TrialStatus;
  failure?: Failure;
  objectives?: Record<string, number>;
}

/**
 * Publishes the documents of a small campaign on `bus`: campaign start, a model snapshot, then per trial a
 * suggestion and its trialState path (with runStart/event/runStop for trials that ran), station states and an
 * operator action. Returns every document published, in order.
 */
export function publishScenario(bus: DocumentBus, campaignId: string, seed = 7): LabDocument[] {
  const docs: LabDocument[] = [];
  const capture = bus.subscribe((d) => {
    if (d.campaignId === campaignId) docs.push(d);
  });
  const spec = testSpec(campaignId);
  bus.publish(campaignId, 'campaignStart', { spec, seed, resumed: false });
  bus.publish(campaignId, 'modelSnapshot', { snapshotId: `${campaignId}-snap-1`, agent: 'sobol', n: 2, hyperparameters: { lengthscale: [0.5, 0.2] }, looRmse: 0.01, parity: [{ observed: 0.31, predicted: 0.32, sd: 0.01 }, { observed: 0.4, predicted: 0.39, sd: 0.02 }] });
  const trials: ScenarioTrial[] = [
    { status: 'completed', objectives: { eta10: 0.351, tafel: 48.25 } },
    { status: 'completed', objectives: { eta10: 0.3125, tafel: 41 } },
    { status: 'failed', failure: makeFailure('PRECIPITATION', 'precipitate in the cell') },
    { status: 'completed', objectives: { eta10: 0.402, tafel: 60.5 } }, // retried once after a transport fault
    { status: 'blocked', failure: makeFailure('SAFETY_BLOCKED', 'above the Ni concentration limit') },
    { status: 'running' },
  ];
  trials.forEach((t, index) => {
    const trialId = `${campaignId}-t${index}`;
    const recipe = recipeFor(index);
    const proposer = index < 2 ? 'sobol' : 'bo';
    const station = `pair-${index % 2}`;
    bus.publish(campaignId, 'suggestion', {
      trialId,
      suggestion: { id: `${trialId}-s`, recipe, proposer, rationale: `because ${index}`, acquisitionValue: 0.1 * index, modelSnapshotId: `${campaignId}-snap-1` },
    });
    const state = (from: TrialStatus | null, to: TrialStatus, extra: { station?: string; failure?: Failure; attempt?: number } = {}) =>
      bus.publish(campaignId, 'trialState', { trialId, index, from, to, recipe, proposer, attempt: extra.attempt ?? 0, ...extra });
    state(null, 'proposed');
    if (t.status === 'blocked') {
      state('proposed', 'blocked', { failure: t.failure as Failure });
      return;
    }
    state('proposed', 'approved');
    state('approved', 'queued', { station });
    const run = (attempt: number, outcome: 'completed' | 'failed', failure?: Failure) => {
      const runId = `${trialId}-r${attempt}`;
      state('queued', 'running', { station, attempt });
      bus.publish(campaignId, 'runStart', { trialId, runId, station, attempt });
      bus.publish(campaignId, 'event', { runId, trialId, stream: 'LSV', measurementId: `${runId}-m`, features: { eta10_V: 0.3 }, flags: attempt === 0 ? ['noisy'] : ['ok'] });
      bus.publish(campaignId, 'runStop', {
        runId,
        trialId,
        status: outcome,
        objectives: outcome === 'completed' ? (t.objectives ?? {}) : {},
        duration_s: 12.5,
        ...(failure ? { failure } : {}),
      });
    };
    if (index === 3) {
      const lost = makeFailure('DEVICE_LOST', 'station went away');
      run(0, 'failed', lost);
      state('running', 'failed', { station, failure: lost, attempt: 0 });
      bus.publish(campaignId, 'stationState', { station, device: `${station}-lh`, state: 'error', consecutiveFaults: 1, quarantined: false, message: 'lost' });
      state('failed', 'queued', { station: 'pair-0', attempt: 1 });
      run(1, 'completed');
      state('running', 'completed', { station: 'pair-0', attempt: 1 });
      return;
    }
    if (t.status === 'running') {
      state('queued', 'running', { station });
      return;
    }
    run(0, t.status === 'completed' ? 'completed' : 'failed', t.failure);
    state('running', t.status, { station, ...(t.failure ? { failure: t.failure } : {}) });
  });
  bus.publish(campaignId, 'stationState', { station: 'pair-1', device: 'pair-1-pstat', state: 'ready', consecutiveFaults: 0, quarantined: false });
  bus.publish(campaignId, 'stationState', { station: 'pair-1', device: 'pair-1-lh', state: 'busy', activeRunId: 'x', consecutiveFaults: 0, quarantined: true });
  bus.publish(campaignId, 'operatorAction', { actor: 'ada', action: 'quarantine', target: 'pair-1', accepted: true });
  bus.publish(campaignId, 'campaignState', { state: 'paused', reason: 'operator' });
  capture();
  return docs;
}

/** The trial rows the documents imply, folded independently of the store's projection code. */
export function expectedTrials(docs: readonly LabDocument[]) {
  const out = new Map<string, { id: string; index: number; status: TrialStatus; station?: string; attempts: number; failureCode?: string; objectives?: Record<string, number>; proposer: string; recipe: Recipe; suggestionId: string }>();
  const suggestionOf = new Map<string, string>();
  for (const d of docs) {
    if (d.type === 'suggestion') suggestionOf.set(d.payload.trialId, d.payload.suggestion.id);
    if (d.type === 'trialState') {
      const p = d.payload;
      const prev = out.get(p.trialId);
      const keeps = ['failed', 'awaitingRecovery', 'abandoned', 'blocked'].includes(p.to);
      const failureCode = p.failure?.code ?? (keeps ? prev?.failureCode : undefined);
      const station = p.station ?? prev?.station;
      out.set(p.trialId, {
        id: p.trialId,
        index: p.index,
        status: p.to,
        attempts: p.attempt,
        proposer: p.proposer,
        recipe: p.recipe,
        suggestionId: suggestionOf.get(p.trialId) ?? '',
        ...(station === undefined ? {} : { station }),
        ...(failureCode === undefined ? {} : { failureCode }),
        ...(prev?.objectives ? { objectives: prev.objectives } : {}),
      });
    }
    if (d.type === 'runStop' && d.payload.status === 'completed') {
      const t = out.get(d.payload.trialId);
      if (t) t.objectives = d.payload.objectives;
    }
  }
  return [...out.values()].sort((a, b) => a.index - b.index);
}

export { DocumentBus };
