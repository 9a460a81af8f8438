import { describe, expect, it } from 'vitest';
import { storeConsoleReader } from '../../../src/app/console-reader.ts';
import type { Store } from '../../../src/store/index.ts';

const at = new Date('2026-01-01T00:00:00Z');
const summary = (id: string, seq: number) => ({ id, campaignId: 'c', seq, agent: 'bo', n: seq, hyperparameters: {}, looRmse: 0.01, createdAt: at });
const parity = [{ observed: 0.3, predicted: 0.31, sd: 0.01 }];

describe('console reader: model snapshots', () => {
  it('sends parity points with the newest snapshot that has them only', async () => {
    const store = {
      modelSnapshots: {
        summaries: async () => [summary('s1', 1), summary('s2', 2), summary('share', 3)],
        latestWithParity: async () => ({ ...summary('s2', 2), parity }),
      },
    } as unknown as Store;
    const views = await storeConsoleReader(store).modelSnapshots('c');
    expect(views.map((v) => [v.id, v.parity])).toEqual([
      ['s1', undefined],
      ['s2', parity],
      ['share', undefined],
    ]);
    expect(views[0]).toMatchObject({ seq: 1, agent: 'bo', looRmse: 0.01, createdAt: '2026-01-01T00:00:00.000Z' });
  });
});
