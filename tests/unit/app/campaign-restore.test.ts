import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStoredCampaign } from '../../../src/app/campaign-restore.ts';
import { makeFailure } from '../../../src/domain/index.ts';
import { parseDocument, type LabDocument } from '../../../src/protocol/index.ts';
import type { Store } from '../../../src/store/store.ts';
import { openTempStore } from '../../helpers/db.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';

/** What `labloop resume` rebuilds from the stored documents of an interrupted campaign. */

let store: Store;
beforeAll(async () => {
  store = await openTempStore();
});
afterAll(async () => {
  await store.close();
});

const T0 = Date.UTC(2026, 0, 1);
let seq = 0;
function doc(campaignId: string, type: LabDocument['type'], payload: unknown): LabDocument {
  seq++;
  return parseDocument({ v: 1, campaignId, seq, time: new Date(T0 + seq * 1000).toISOString(), type, payload });
}

describe('loadStoredCampaign', () => {
  it('rebuilds trials, the budget spent, in-flight stations, quarantines and the trials awaiting an operator', async () => {
    const id = 'restore-1';
    seq = 0;
    const spec = defaultSpec({ id });
    const run = { runId: 'r1', kind: 'dry-run', clock: 'instant', lab: { kind: 'simulated', transport: 'sim', faultRate: 0, journal: '/tmp/x' }, virtualStart_s: 0 };
    const t = (trialId: string, index: number, extra: Record<string, unknown> = {}) => ({ trialId, index, recipe: goodRecipe, proposer: 'rules', attempt: 0, ...extra });
    const steps = (trialId: string, index: number, path: string[], extra: Record<string, unknown> = {}) =>
      path.map((to, i) => doc(id, 'trialState', { ...t(trialId, index, extra), from: i === 0 ? null : path[i - 1], to }));
    const fate = makeFailure('COMMAND_FATE_UNKNOWN', 'the device restarted while t5.a0.s1.r0 was running');
    const docs = [
      doc(id, 'campaignStart', { spec, seed: 3, resumed: false, run }),
      doc(id, 'suggestion', { trialId: 't1', suggestion: { id: 's1', recipe: goodRecipe, proposer: 'bo', rationale: 'ucb' } }),
      ...steps('t1', 0, ['proposed', 'approved', 'queued', 'running'], { station: 'pair1' }),
      doc(id, 'trialState', { ...t('t1', 0, { station: 'pair1', objectives: { eta10: 0.31 } }), from: 'running', to: 'completed', objectives: { eta10: 0.31 } }),
      ...steps('t2', 1, ['proposed', 'blocked']),
      ...steps('t3', 2, ['proposed', 'abandoned']),
      ...steps('t4', 3, ['proposed', 'approved', 'queued', 'running'], { station: 'pair2', attempt: 1 }),
      ...steps('t5', 4, ['proposed', 'approved', 'queued', 'running'], { station: 'pair3' }),
      doc(id, 'trialState', { ...t('t5', 4, { station: 'pair3' }), from: 'running', to: 'awaitingRecovery', failure: fate }),
      doc(id, 'stationState', { station: 'pair4', device: 'lh-pair4+ps-pair4', state: 'maintenance', quarantined: true, message: 'electrolyte' }),
    ];
    await store.campaigns.upsert({ spec, seed: 3, state: 'running' });
    await store.documents.append(docs);
    const stored = await loadStoredCampaign(store, id);
    expect(stored.runs).toHaveLength(1);
    expect(stored.seed).toBe(3);
    expect(stored.lastSeq).toBe(docs.length);
    expect(stored.lastTimeMs).toBe(T0 + docs.length * 1000);
    const byId = new Map(stored.loop.trials.map((x) => [x.id, x]));
    expect(byId.get('t1')).toMatchObject({ status: 'completed', approved: true, objectives: { eta10: 0.31 }, suggestion: { id: 's1', proposer: 'bo' } });
    expect(byId.get('t2')).toMatchObject({ status: 'blocked', approved: false });
    expect(byId.get('t3')).toMatchObject({ status: 'abandoned', approved: false });
    expect(byId.get('t4')).toMatchObject({ status: 'running', station: 'pair2', attempt: 1, approved: true });
    expect(byId.get('t5')).toMatchObject({ status: 'awaitingRecovery', failure: { code: 'COMMAND_FATE_UNKNOWN' } });
    expect(stored.awaitingRecovery).toEqual([{ trialId: 't5', index: 4, station: 'pair3', message: fate.message }]);
    expect([...stored.quarantined]).toEqual([['pair4', 'electrolyte']]);
  });

  it('refuses a campaign that is not stored, or has ended, naming what to do instead', async () => {
    await expect(loadStoredCampaign(store, 'nope')).rejects.toMatchObject({ name: 'CampaignNotResumableError', message: expect.stringMatching(/no such campaign/) });
    await store.campaigns.upsert({ spec: defaultSpec({ id: 'ended' }), seed: 1, state: 'completed' });
    await expect(loadStoredCampaign(store, 'ended')).rejects.toMatchObject({ message: expect.stringMatching(/has ended \(completed\).*labloop export ended/) });
  });
});
