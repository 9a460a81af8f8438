import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES, decodeJson, replySchema } from '../../drivers/liquid-handler/wire-contract.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../simulators/embedded-broker.ts';
import { CONTRACT_STOCKS } from '../contract/liquid-handler-backend.contract.ts';
import { openMqttHarness, type MqttHarness } from '../contract/liquid-handler-harnesses.ts';
import { nextMessage, rawClient, uniqueLabId } from '../helpers/mqtt-brokers.ts';
import { SimulatedWorld } from '../../simulators/world.ts';

describe('MQTT payload size limits (DEVICES.md: < 256 KB)', () => {
  let broker: EmbeddedBroker;
  let h: MqttHarness;
  let raw: MqttClient;
  const lab = uniqueLabId('size');

  beforeAll(async () => {
    broker = await startEmbeddedBroker();
    h = await openMqttHarness({ url: () => broker.url, lab, protocolVersion: 4, persistentSession: false }, { world: new SimulatedWorld(CONTRACT_STOCKS), seed: 1 });
    raw = await rawClient(broker.url, 'raw-size');
  });
  afterAll(async () => {
    await raw?.endAsync(true);
    await h?.close();
    await broker?.close();
  });

  it('the twin refuses a 1 MB command with a typed reply and executes nothing', async () => {
    const replyTo = `sdl/v1/${lab}/_reply/raw-size`;
    await raw.subscribeAsync(replyTo, { qos: 1 });
    const t = Date.now();
    const payload = JSON.stringify({
      schema: 'sdl.cmd.v1',
      commandId: 'big-1',
      replyTo,
      issuedAt: new Date(t).toISOString(),
      expiresAt: new Date(t + 30_000).toISOString(),
      command: 'transfer',
      body: { kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:p1', volume: 10, newTip: true },
      sender: 'x',
      padding: 'x'.repeat(1024 * 1024),
    });
    const reply = nextMessage(raw, (topic) => topic === replyTo);
    await raw.publishAsync(h.twin.topics.cmd('transfer'), payload, { qos: 1 });
    const parsed = replySchema.parse(JSON.parse((await reply).payload.toString()));
    expect(parsed).toMatchObject({ status: 'rejected', commandId: 'big-1' });
    expect(parsed.reason).toMatch(/payload too large: \d+ bytes \(at most 262144\)/);
    expect(h.executions()).toBe(0);
  });

  it('the driver side reads no payload above the limit', () => {
    expect(decodeJson(Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 32))).toEqual({ ok: false, reason: expect.stringMatching(/payload too large/) });
    expect(decodeJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
  });
});
