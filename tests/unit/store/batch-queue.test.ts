import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/domain/index.ts';
import { BatchQueue } from '../../../src/store/batch-queue.ts';

describe('BatchQueue', () => {
  it('batches everything pushed in one tick, in order, and flush waits for the writes', async () => {
    const batches: number[][] = [];
    const q = new BatchQueue<number>({ logger: silentLogger, batchSize: 4, write: async (items) => void batches.push(items), onDropped: () => {} });
    for (let i = 0; i < 10; i++) q.push(i);
    expect(batches).toEqual([]); // nothing is written synchronously
    await q.flush();
    expect(batches).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    q.push(10);
    await q.flush();
    expect(batches.at(-1)).toEqual([10]);
    expect(q.stats()).toMatchObject({ queued: 0, written: 11, dropped: 0 });
  });

  it('retries a failing batch, then writes item by item and drops only the bad item', async () => {
    const written: number[] = [];
    const dropped: number[] = [];
    let transient = 2;
    const q = new BatchQueue<number>({
      logger: silentLogger,
      attempts: 3,
      retryDelayMs: 1,
      write: async (items) => {
        if (transient-- > 0) throw new Error('connection reset');
        if (items.includes(3)) throw new Error('bad item 3');
        written.push(...items);
      },
      onDropped: (item) => dropped.push(item),
    });
    for (const i of [1, 2, 3, 4]) q.push(i);
    await q.flush();
    expect(written).toEqual([1, 2, 4]);
    expect(dropped).toEqual([3]);
    expect(q.stats()).toMatchObject({ written: 3, dropped: 1, retries: 2 });
  });

  it('uses writeSingle in the split phase and keeps items pushed during a write', async () => {
    const singles: string[] = [];
    const whole: string[][] = [];
    let first = true;
    const q: BatchQueue<string> = new BatchQueue<string>({
      logger: silentLogger,
      attempts: 1,
      write: async (items) => {
        if (first) {
          first = false;
          q.push('late');
        }
        if (items.length > 1) throw new Error('whole batch refused');
        whole.push(items);
      },
      writeSingle: async (item) => void singles.push(item),
      onDropped: () => {},
    });
    q.push('a');
    q.push('b');
    await q.flush();
    expect(singles).toEqual(['a', 'b']);
    expect(whole).toEqual([['late']]);
    expect(q.stats()).toMatchObject({ queued: 0, written: 3 });
  });

  it('never throws into push, even when onDropped throws', async () => {
    const q = new BatchQueue<number>({
      logger: silentLogger,
      attempts: 1,
      write: async () => {
        throw new Error('always');
      },
      onDropped: () => {
        throw new Error('handler bug');
      },
    });
    expect(() => q.push(1)).not.toThrow();
    await expect(q.flush()).resolves.toBeUndefined();
    expect(q.stats().dropped).toBe(1);
  });
});
