import { describe, expect, it } from 'vitest';
import { ReplayDivergenceError, ReplayMqttTransport } from '../../../../drivers/transport/mqtt-replay.ts';
import { SESSION_SCHEMA, type SessionRecord } from '../../../../drivers/transport/mqtt-session.ts';
import type { MqttInboundMessage } from '../../../../drivers/transport/mqtt.ts';

const header: SessionRecord = { type: 'header', schema: SESSION_SCHEMA, clientId: 'agent', protocolVersion: 5, startedAt: '2026-11-24T00:00:00.000Z' };
const text = (v: unknown): { payload: string; encoding: 'utf8' } => ({ payload: JSON.stringify(v), encoding: 'utf8' });

function session(): SessionRecord[] {
  return [
    header,
    { type: 'connect', t_ms: 0 },
    { type: 'subscribe', t_ms: 1, filters: ['rep/agent'], qos: 1 },
    { type: 'message', t_ms: 2, topic: 'dev/$state', qos: 1, retain: true, payload: 'ready', encoding: 'utf8' },
    { type: 'publish', t_ms: 3, topic: 'dev/cmd/home', qos: 1, retain: false, ...text({ commandId: 'REC-1', issuedAt: 'then', body: { kind: 'home' } }) },
    { type: 'message', t_ms: 4, topic: 'rep/agent', qos: 1, retain: false, ...text({ commandId: 'REC-1', status: 'accepted' }), properties: { correlationData: Buffer.from('REC-1').toString('base64') } },
    { type: 'message', t_ms: 5, topic: 'dev/result/REC-1', qos: 1, retain: false, ...text({ runId: 'REC-1' }) },
    { type: 'message', t_ms: 6, topic: 'rep/agent', qos: 1, retain: false, ...text({ commandId: 'REC-1', status: 'succeeded' }) },
    { type: 'publish', t_ms: 7, topic: 'dev/cmd/get_state', qos: 1, retain: false, ...text({ commandId: 'REC-2', body: { kind: 'get_state', commandId: 'REC-1' } }) },
    { type: 'message', t_ms: 8, topic: 'rep/agent', qos: 1, retain: false, ...text({ commandId: 'REC-2', state: { commandId: 'REC-1' } }) },
    { type: 'close', t_ms: 9 },
  ];
}

async function drain(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

describe('ReplayMqttTransport', () => {
  it('replays received messages after the matching action, pairing recorded and live command ids', async () => {
    const replay = new ReplayMqttTransport(session());
    expect(replay.clientId).toBe('agent');
    expect(replay.protocolVersion).toBe(5);
    const got: MqttInboundMessage[] = [];
    replay.onMessage((m) => got.push(m));
    await replay.connect();
    await replay.subscribe(['rep/agent'], 1);
    await drain();
    expect(got.map((m) => m.payload.toString())).toEqual(['ready']);
    await replay.publish('dev/cmd/home', JSON.stringify({ body: { kind: 'home' }, issuedAt: 'now', commandId: 'LIVE-1' }), { qos: 1 });
    await drain();
    expect(got.slice(1).map((m) => [m.topic, JSON.parse(m.payload.toString())])).toEqual([
      ['rep/agent', { commandId: 'LIVE-1', status: 'accepted' }],
      ['dev/result/LIVE-1', { runId: 'LIVE-1' }],
      ['rep/agent', { commandId: 'LIVE-1', status: 'succeeded' }],
    ]);
    expect(got[1]!.properties?.correlationData?.toString()).toBe('LIVE-1');
    // The pairing holds: the referenced id must be the paired one.
    await replay.publish('dev/cmd/get_state', JSON.stringify({ commandId: 'LIVE-2', body: { kind: 'get_state', commandId: 'LIVE-1' } }), { qos: 1 });
    await drain();
    expect(JSON.parse(got.at(-1)!.payload.toString())).toEqual({ commandId: 'LIVE-2', state: { commandId: 'LIVE-1' } });
    await replay.close();
    expect(replay.remaining).toBe(0);
  });

  it('throws ReplayDivergenceError when the live session departs from the recording', async () => {
    const changed = new ReplayMqttTransport(session());
    await changed.connect();
    await changed.subscribe(['rep/agent'], 1);
    await expect(changed.publish('dev/cmd/home', JSON.stringify({ commandId: 'X', body: { kind: 'home', extra: 1 } }), { qos: 1 })).rejects.toBeInstanceOf(ReplayDivergenceError);

    const wrongTopic = new ReplayMqttTransport(session());
    await wrongTopic.connect();
    await expect(wrongTopic.subscribe(['rep/other'], 1)).rejects.toThrow(/replay diverged/);

    const badPairing = new ReplayMqttTransport(session());
    await badPairing.connect();
    await badPairing.subscribe(['rep/agent'], 1);
    await badPairing.publish('dev/cmd/home', JSON.stringify({ commandId: 'L1', body: { kind: 'home' } }), { qos: 1 });
    await expect(badPairing.publish('dev/cmd/get_state', JSON.stringify({ commandId: 'L2', body: { kind: 'get_state', commandId: 'OTHER' } }), { qos: 1 })).rejects.toThrow(/replay diverged/);
  });
  it('names the first difference of a changed request, including a changed time to live', async () => {
    const replay = new ReplayMqttTransport(session());
    await replay.connect();
    await replay.subscribe(['rep/agent'], 1);
    const err = await replay.publish('dev/cmd/home', JSON.stringify({ commandId: 'X', issuedAt: 'now', body: { kind: 'transfer' } }), { qos: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayDivergenceError);
    expect((err as Error).message).toMatch(/diverged at record 5 of agent \(publish to dev\/cmd\/home\): payload\.body\.kind: recorded "home", live "transfer"/);
    expect(replay.divergences).toHaveLength(1);
    expect(() => replay.assertComplete()).toThrow(/payload\.body\.kind/);

    const ttl = (issued: number, expires: number): string => JSON.stringify({ issuedAt: new Date(issued).toISOString(), expiresAt: new Date(expires).toISOString(), commandId: 'C' });
    const timed = new ReplayMqttTransport([header, { type: 'publish', t_ms: 0, topic: 't', qos: 1, retain: false, ...{ payload: ttl(0, 30_000), encoding: 'utf8' as const } }]);
    await timed.publish('t', ttl(1_000_000, 1_030_000), { qos: 1 });
    const timed2 = new ReplayMqttTransport([header, { type: 'publish', t_ms: 0, topic: 't', qos: 1, retain: false, ...{ payload: ttl(0, 30_000), encoding: 'utf8' as const } }]);
    await expect(timed2.publish('t', ttl(1_000_000, 1_010_000), { qos: 1 })).rejects.toThrow(/expiresAt − issuedAt: recorded 30000 ms, live 10000 ms/);
  });

  it('compares MQTT 5 properties (correlation data as a paired id) and QoS', async () => {
    const rec: SessionRecord[] = [
      header,
      { type: 'publish', t_ms: 0, topic: 't', qos: 1, retain: false, ...text({ commandId: 'R1' }), properties: { responseTopic: 'rep/agent', correlationData: Buffer.from('R1').toString('base64'), messageExpiryInterval: 30 } },
    ];
    const ok = new ReplayMqttTransport(rec);
    await ok.publish('t', JSON.stringify({ commandId: 'L1' }), { qos: 1, properties: { responseTopic: 'rep/agent', correlationData: Buffer.from('L1'), messageExpiryInterval: 30 } });
    const wrongCorrelation = new ReplayMqttTransport(rec);
    await expect(wrongCorrelation.publish('t', JSON.stringify({ commandId: 'L1' }), { qos: 1, properties: { responseTopic: 'rep/agent', correlationData: Buffer.from('L2'), messageExpiryInterval: 30 } })).rejects.toThrow(
      /properties\.correlationData: recorded id R1 was paired with L1, now meets L2/,
    );
    const wrongExpiry = new ReplayMqttTransport(rec);
    await expect(wrongExpiry.publish('t', JSON.stringify({ commandId: 'L1' }), { qos: 1, properties: { responseTopic: 'rep/agent', correlationData: Buffer.from('L1'), messageExpiryInterval: 5 } })).rejects.toThrow(
      /messageExpiryInterval: recorded 30, live 5/,
    );
    const wrongQos = new ReplayMqttTransport(rec);
    await expect(wrongQos.publish('t', JSON.stringify({ commandId: 'L1' }), { qos: 0 })).rejects.toThrow(/qos: recorded 1, live 0/);
  });

  it('plays annotations in timeline order and reports an early end', async () => {
    const seen: string[] = [];
    const rec: SessionRecord[] = [
      header,
      { type: 'subscribe', t_ms: 0, filters: ['a'], qos: 1 },
      { type: 'message', t_ms: 1, topic: 'a', qos: 1, retain: false, payload: 'm1', encoding: 'utf8' },
      { type: 'annotation', t_ms: 2, channel: 'device', data: { n: 1 } },
      { type: 'message', t_ms: 3, topic: 'a', qos: 1, retain: false, payload: 'm2', encoding: 'utf8' },
      { type: 'unsubscribe', t_ms: 4, filters: ['a'] },
      { type: 'close', t_ms: 5 },
    ];
    const replay = new ReplayMqttTransport(rec, { onAnnotation: (channel, data) => seen.push(`${channel}:${JSON.stringify(data)}`) });
    replay.onMessage((m) => seen.push(m.payload.toString()));
    await replay.subscribe(['a'], 1);
    await drain();
    expect(seen).toEqual(['m1', 'device:{"n":1}', 'm2']);
    expect(() => replay.assertComplete()).toThrow(/ended early: 2 recorded action\(s\) never performed, the next being unsubscribe a/);
    await replay.unsubscribe(['a']);
    await replay.close();
    expect(() => replay.assertComplete()).not.toThrow();
  });
});
