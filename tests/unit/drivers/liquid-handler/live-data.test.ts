import { describe, expect, it } from 'vitest';
import { LiveDataFeed } from '../../../../drivers/liquid-handler/live-data.ts';
import { liquidHandlerTopics, type DataChunk } from '../../../../drivers/liquid-handler/wire-contract.ts';
import { TransportListeners, type MqttTransport } from '../../../../drivers/transport/mqtt.ts';

/** A transport that only records (un)subscriptions; the test injects inbound messages. */
function fakeTransport(): MqttTransport & { subs: string[]; inject(topic: string, payload: unknown): void } {
  const listeners = new TransportListeners();
  const subs: string[] = [];
  return {
    clientId: 'agent',
    protocolVersion: 4,
    connected: true,
    subs,
    connect: async () => undefined,
    publish: async () => undefined,
    subscribe: async (filters) => void subs.push(...filters),
    unsubscribe: async (filters) => {
      for (const f of filters) subs.splice(subs.indexOf(f), 1);
    },
    onMessage: (l) => listeners.onMessage(l),
    onConnectionChange: (l) => listeners.onConnectionChange(l),
    close: async () => undefined,
    inject: (topic, payload) => listeners.emitMessage({ topic, payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), qos: 0, retain: false }),
  };
}

const topics = liquidHandlerTopics('lab', 'lh-1');
const chunk = (runId: string, seq: number, final = false): DataChunk => ({
  schema: 'sdl.data.v1',
  deviceId: 'lh-1',
  runId,
  stream: 'progress',
  seq,
  at: '2026-11-25T00:00:00.000Z',
  samples: final ? { status: ['succeeded'] } : { step: [seq] },
  final,
});

describe('LiveDataFeed', () => {
  it('delivers each valid chunk once per listener, in seq order, and drops malformed or mismatched ones', async () => {
    const t = fakeTransport();
    const feed = new LiveDataFeed({ transport: t, topics });
    const a: number[] = [];
    const b: number[] = [];
    const offA = await feed.subscribe({ runId: 'r1' }, (c) => a.push(c.seq));
    const offB = await feed.subscribe({}, (c) => b.push(c.seq));
    expect(t.subs).toEqual([topics.dataFilter('r1'), topics.dataFilter()]);
    const at = topics.data('r1', 'progress');
    t.inject(at, chunk('r1', 0));
    t.inject(at, chunk('r1', 0)); // the copy an overlapping subscription brings
    t.inject(at, chunk('r1', 2));
    t.inject(at, chunk('r1', 1)); // late and older: dropped
    t.inject(at, '{not json');
    t.inject(at, { ...chunk('r1', 3), samples: { a: [1], b: [1, 2] } });
    t.inject(topics.data('r2', 'progress'), chunk('r1', 4)); // topic and payload disagree
    t.inject(topics.data('r2', 'progress'), chunk('r2', 0));
    expect(a).toEqual([0, 2]);
    expect(b).toEqual([0, 2, 0]);
    await offA();
    await offB();
    expect(t.subs).toEqual([]);
  });

  it('streams one run until its final chunk, or until finish(); a slow consumer loses the oldest chunks', async () => {
    const t = fakeTransport();
    const feed = new LiveDataFeed({ transport: t, topics });
    const s = await feed.stream('r1', { maxBuffered: 2 });
    for (const seq of [0, 1, 2]) t.inject(topics.data('r1', 'progress'), chunk('r1', seq));
    t.inject(topics.data('r1', 'progress'), chunk('r1', 3, true));
    const got: number[] = [];
    for await (const c of s) got.push(c.seq);
    expect(got).toEqual([2, 3]);
    expect(s.dropped).toBe(2);
    expect(t.subs).toEqual([]);

    const s2 = await feed.stream('r2');
    t.inject(topics.data('r2', 'progress'), chunk('r2', 0));
    feed.finish('r2');
    t.inject(topics.data('r2', 'progress'), chunk('r2', 1)); // after the result: not delivered
    const got2: number[] = [];
    for await (const c of s2) got2.push(c.seq);
    expect(got2).toEqual([0]);
  });
});
