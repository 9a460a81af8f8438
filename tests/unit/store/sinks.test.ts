import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentBus } from '../../../src/protocol/index.ts';
import { attachDocumentSink, createMeasurementSink, type MeasurementRecord, type Store } from '../../../src/store/index.ts';
import { openTempStore } from '../../helpers/db.ts';
import { recipeFor } from '../../helpers/db-fixtures.ts';

describe('document and measurement sinks under failure', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTempStore();
  }, 120_000);
  afterAll(async () => {
    await store?.close();
  });

  it('stores every storable document, records the one Postgres refuses, and keeps a document whose projection fails', async () => {
    const bus = new DocumentBus();
    const sink = attachDocumentSink(bus, store, { attempts: 2, retryDelayMs: 1 });
    const c = 'sink-poison';
    expect(() => {
      bus.publish(c, 'operatorAction', { actor: 'ada', action: 'pause', accepted: true });
      bus.publish(c, 'operatorAction', { actor: 'ada', action: 'note', accepted: true, reason: 'nul \u0000 byte' }); // jsonb refuses \u0000
      bus.publish(c, 'operatorAction', { actor: 'ada', action: 'resume', accepted: true });
      bus.publish(c, 'trialState', { trialId: 'a', index: 0, from: null, to: 'proposed', recipe: recipeFor(0), proposer: 'bo', attempt: 0 });
      bus.publish(c, 'trialState', { trialId: 'b', index: 0, from: null, to: 'proposed', recipe: recipeFor(1), proposer: 'bo', attempt: 0 }); // same index: projection refused
    }).not.toThrow();
    await sink.flush();
    const stats = sink.stats();
    expect(stats.lost.map((l) => l.seq)).toEqual([2]);
    expect(stats).toMatchObject({ written: 4, dropped: 1, projectionErrors: 1 });
    expect((await store.documents.after(c, 0)).map((d) => d.seq)).toEqual([1, 3, 4, 5]);
    expect(await store.documents.checkSequence(c)).toEqual({ count: 4, lastSeq: 5, gapless: false });
    expect((await store.trials.list(c)).map((t) => t.id)).toEqual(['a']);
    expect((await store.operatorActions.list(c)).map((a) => a.action)).toEqual(['pause', 'resume']);

    // Later documents keep flowing after the failures; one published just before detach is still written,
    // one published after it is not.
    bus.publish(c, 'campaignState', { state: 'aborted' });
    sink.detach();
    bus.publish(c, 'campaignState', { state: 'failed' });
    await sink.flush();
    expect(await store.documents.lastSeq(c)).toBe(6);
  });

  it('re-projects nothing for a document already stored (an idempotent retry)', async () => {
    const bus = new DocumentBus();
    const c = 'sink-dup';
    const first = attachDocumentSink(bus, store);
    bus.publish(c, 'trialState', { trialId: 'd1', index: 0, from: null, to: 'proposed', recipe: recipeFor(0), proposer: 'bo', attempt: 0 });
    await first.flush();
    first.detach();
    const second = attachDocumentSink(bus, store);
    bus.resumeSequence(c, 0); // the same seq again, with another status
    bus.publish(c, 'trialState', { trialId: 'd1', index: 0, from: null, to: 'abandoned', recipe: recipeFor(0), proposer: 'bo', attempt: 0 });
    await second.flush();
    expect(second.stats()).toMatchObject({ duplicates: 1, dropped: 0 });
    expect((await store.trials.get('d1'))?.status).toBe('proposed');
  });

  it('links a suggestion to its trial whichever document is stored first', async () => {
    const bus = new DocumentBus();
    const sink = attachDocumentSink(bus, store);
    const c = 'sink-link';
    const suggestion = (trialId: string) => ({ trialId, suggestion: { id: `${trialId}-s`, recipe: recipeFor(0), proposer: 'human' as const, rationale: 'by hand' } });
    const proposed = (trialId: string, index: number) => ({ trialId, index, from: null, to: 'proposed' as const, recipe: recipeFor(0), proposer: 'human', attempt: 0 });
    bus.publish(c, 'trialState', proposed('late', 0));
    await sink.flush();
    bus.publish(c, 'suggestion', suggestion('late')); // after the trial row exists
    bus.publish(c, 'suggestion', suggestion('early'));
    await sink.flush();
    bus.publish(c, 'trialState', proposed('early', 1)); // after its suggestion row exists
    await sink.flush();
    sink.detach();
    expect((await store.trials.list(c)).map((t) => [t.id, t.suggestionId])).toEqual([
      ['late', 'late-s'],
      ['early', 'early-s'],
    ]);
  });

  it('counts an invalid measurement record instead of throwing at the engine', async () => {
    const sink = createMeasurementSink(store);
    const bad = { id: 'm-bad', campaignId: 'c', trialId: 't', runId: 'r', technique: 'LSV', arrays: { E: [1, 'x'] } } as unknown as MeasurementRecord;
    await expect(sink.write(bad)).resolves.toBeUndefined();
    await sink.write({ id: 'm-good', campaignId: 'c', trialId: 't-sink', runId: 'r', technique: 'LSV', arrays: { E: [1, 2] } });
    await sink.flush();
    expect(sink.stats()).toMatchObject({ invalid: 1, written: 1, dropped: 0 });
    expect((await store.measurements.listByTrial('t-sink')).map((m) => m.arrays)).toEqual([{ E: [1, 2] }]);
    expect(await store.measurements.get('m-bad')).toBeUndefined();
  });
});
