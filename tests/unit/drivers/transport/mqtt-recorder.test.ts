import { describe, expect, it } from 'vitest';
import { ReplayDivergenceError, ReplayMqttTransport, SESSION_SCHEMA, type SessionRecord } from '../../../../drivers/transport/mqtt-recorder.ts';
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
});
