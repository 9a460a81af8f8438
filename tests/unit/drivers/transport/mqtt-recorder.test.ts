import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TransportListeners, type MqttPublishOptions, type MqttQos, type MqttTransport } from '../../../../drivers/transport/mqtt.ts';
import { RecordingMqttTransport } from '../../../../drivers/transport/mqtt-recorder.ts';
import { ReplayMqttTransport } from '../../../../drivers/transport/mqtt-replay.ts';
import { readSessions } from '../../../../drivers/transport/mqtt-session.ts';

/** An in-memory echo "broker" for one client: what it publishes to `echo/<x>` comes back on `reply/<x>`. */
class EchoTransport implements MqttTransport {
  readonly protocolVersion = 5 as const;
  connected = false;
  private readonly listeners = new TransportListeners();
  constructor(readonly clientId: string) {}
  async connect(): Promise<void> {
    this.connected = true;
  }
  async publish(topic: string, payload: Buffer | string, options: MqttPublishOptions): Promise<void> {
    if (topic.startsWith('echo/')) setImmediate(() => this.listeners.emitMessage({ topic: topic.replace('echo/', 'reply/'), payload: Buffer.from(payload), qos: options.qos, retain: false }));
  }
  async subscribe(_filters: readonly string[], _qos: MqttQos): Promise<void> {}
  async unsubscribe(_filters: readonly string[]): Promise<void> {}
  onMessage = this.listeners.onMessage.bind(this.listeners);
  onConnectionChange = this.listeners.onConnectionChange.bind(this.listeners);
  async close(): Promise<void> {
    this.connected = false;
  }
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setImmediate(r));
  expect(check()).toBe(true);
}

describe('RecordingMqttTransport', () => {
  it('appends named sessions with annotations to one file; each replays on its own', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rec-')), 'sessions.jsonl');
    for (const [i, name] of ['first', 'second'].entries()) {
      const rec = new RecordingMqttTransport(new EchoTransport(`agent-${i}`), file, { append: i > 0, name, meta: { device: `d${i}` } });
      const got: string[] = [];
      rec.onMessage((m) => got.push(m.payload.toString()));
      await rec.connect();
      await rec.subscribe(['reply/#'], 1);
      await rec.publish('echo/x', JSON.stringify({ commandId: `id-${name}`, n: i }), { qos: 1 });
      await until(() => got.length === 1);
      rec.annotate('device', { executions: i + 1 });
      await rec.close();
    }
    const sessions = readSessions(file);
    expect(sessions.map((s) => [s.header.name, s.header.clientId, s.header.meta?.['device']])).toEqual([
      ['first', 'agent-0', 'd0'],
      ['second', 'agent-1', 'd1'],
    ]);
    expect(sessions[1]!.records.map((r) => r.type)).toEqual(['connect', 'subscribe', 'publish', 'message', 'annotation', 'close']);

    const notes: unknown[] = [];
    const replay = new ReplayMqttTransport(sessions[1]!, { onAnnotation: (_c, d) => notes.push(d) });
    const got: string[] = [];
    replay.onMessage((m) => got.push(m.payload.toString()));
    await replay.connect();
    await replay.subscribe(['reply/#'], 1);
    await replay.publish('echo/x', JSON.stringify({ commandId: 'fresh', n: 1 }), { qos: 1 });
    await replay.close();
    expect(got).toEqual(['{"commandId":"fresh","n":1}']);
    expect(notes).toEqual([{ executions: 2 }]);
    replay.assertComplete();
    expect(() => new ReplayMqttTransport(readSessions(file).flatMap((s) => [s.header, ...s.records]))).toThrow(/more than one session/);
  });
});
