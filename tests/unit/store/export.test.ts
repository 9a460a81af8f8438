import { describe, expect, it } from 'vitest';
import { makeFailure, type Trial } from '../../../src/domain/index.ts';
import { CampaignNotFoundError, exportCampaign, FIXED_COLUMNS } from '../../../src/store/export.ts';
import type { CampaignRecord } from '../../../src/store/repositories/campaigns.ts';
import { testSpec } from '../../helpers/db-fixtures.ts';

const now = new Date('2026-02-01T00:00:00.000Z');
const campaign: CampaignRecord = {
  id: 'exp',
  title: 'Export test',
  spec: testSpec('exp', { parameters: [{ type: 'simplex', name: 'metals', components: ['Ni', 'Fe'], minFraction: 0.02 }, { type: 'integer', name: 'status', low: 1, high: 3, unit: '' }] }),
  seed: 5,
  state: 'completed',
  stateReason: undefined,
  owner: undefined,
  leaseExpiresAt: undefined,
  heartbeatAt: undefined,
  createdAt: now,
  updatedAt: now,
};
const trial = (index: number, extra: Partial<Trial>): Trial => ({
  id: `t${index}`,
  campaignId: 'exp',
  index,
  status: 'completed',
  recipe: { Ni: 0.5, Fe: 0.5, status: 2 },
  suggestionId: `s${index}`,
  proposer: 'bo',
  attempts: 0,
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
  ...extra,
});
const trials: Trial[] = [
  trial(0, { objectives: { eta10: 0.4, tafel: 50 }, station: 'pair-0' }),
  trial(1, { objectives: { eta10: 0.31, tafel: 70 }, recipe: { Ni: 1, Fe: 0, status: 1, extra: 'x' } }),
  trial(2, { status: 'failed', failure: makeFailure('NO_FILM', 'nothing deposited'), suggestionId: '' }),
];
const estimate = (stage: 'before-confirmation' | 'final', mean: number) => ({
  type: 'bestEstimate',
  payload: {
    objective: 'eta10',
    direction: 'minimize',
    stage,
    basis: 'model',
    best: { recipe: trials[0]!.recipe, trialIds: ['t0'], n: 1, mean, model: { mean: 0.41, sd: 0.01 } },
    observed: { trialId: 't1', value: 0.31, recipe: trials[1]!.recipe },
    ranked: [],
  },
});
const fakeStore = {
  campaigns: { get: async (id: string) => (id === 'exp' ? campaign : undefined) },
  trials: { list: async () => trials },
  documents: {
    checkSequence: async () => ({ count: 40, lastSeq: 40, gapless: true }),
    ofType: async (_id: string, type: string) => (type === 'bestEstimate' ? [estimate('before-confirmation', 0.5), estimate('final', 0.4)] : []),
  },
  observations: { list: async () => [{}, {}, {}] },
  suggestions: { list: async () => [{ id: 's0', trialId: 't0', proposer: 'bo', rationale: '', recipe: {}, modelSnapshotId: 'm1', acquisitionValue: 1.5, predicted: { eta10: { mean: 0.4, sd: 0.02 } } }] },
  modelSnapshots: { summaries: async () => [{ id: 'm1', seq: 7, agent: 'bo', n: 5, hyperparameters: { eta10: { noise: 0.1 } }, looRmse: 0.02 }] },
} as unknown as Parameters<typeof exportCampaign>[0];

describe('exportCampaign', () => {
  it('returns results.csv rows: fixed columns, recipe keys in spec order, then objectives; collisions prefixed', async () => {
    const out = await exportCampaign(fakeStore, 'exp');
    expect(out.columns).toEqual([...FIXED_COLUMNS, 'Ni', 'Fe', 'recipe.status', 'extra', 'eta10', 'tafel', 'best']);
    expect(out.rows[0]).toEqual({ id: 't0', index: 0, status: 'completed', failureCode: null, proposer: 'bo', station: 'pair-0', attempts: 0, Ni: 0.5, Fe: 0.5, 'recipe.status': 2, extra: null, eta10: 0.4, tafel: 50, best: 'confirmed' });
    expect(out.rows[1]?.best).toBe('observed');
    expect(out.rows[2]?.best).toBeNull();
    expect(out.rows[2]).toMatchObject({ status: 'failed', failureCode: 'NO_FILM', eta10: null });
    expect(out.trials[2]).toMatchObject({ suggestionId: null, failureMessage: 'nothing deposited' });
    expect(out.statusCounts).toEqual({ completed: 2, failed: 1 });
    expect(out.best).toEqual({ eta10: { trialId: 't1', index: 1, value: 0.31, recipe: trials[1]!.recipe }, tafel: { trialId: 't0', index: 0, value: 50, recipe: trials[0]!.recipe } });
    expect(out).toMatchObject({ documentCount: 40, lastSeq: 40, gapless: true, observationCount: 3 });
  });

  it('exports the latest best estimate (best-confirmed), every suggestion with its model snapshot id, and the snapshots without parity', async () => {
    const out = await exportCampaign(fakeStore, 'exp');
    expect(out.bestConfirmed).toMatchObject({ stage: 'final', best: { mean: 0.4, n: 1, trialIds: ['t0'] } });
    expect(out.suggestions).toEqual([{ trialId: 't0', suggestionId: 's0', proposer: 'bo', modelSnapshotId: 'm1', acquisitionValue: 1.5, predicted: { eta10: { mean: 0.4, sd: 0.02 } } }]);
    expect(out.modelSnapshots).toEqual([{ snapshotId: 'm1', seq: 7, agent: 'bo', n: 5, hyperparameters: { eta10: { noise: 0.1 } }, looRmse: 0.02 }]);
  });

  it('names the missing campaign', async () => {
    await expect(exportCampaign(fakeStore, 'nope')).rejects.toBeInstanceOf(CampaignNotFoundError);
  });
});
