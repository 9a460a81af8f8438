import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError } from '../../../../src/domain/index.ts';
import { MqttClientTransport, parseBrokerUrl, type MqttInboundMessage } from '../../../../drivers/transport/mqtt.ts';
import { MqttRequester, type ReplyCodec } from '../../../../drivers/transport/mqtt-request.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../../simulators/embedded-broker.ts';

interface Echo {
  id: string | null;
  final: boolean;
}
const echoCodec: ReplyCodec<Echo> = {
  decode(m: MqttInboundMessage) {
    try {
      const v = JSON.parse(m.payload.toString()) as { id?: unknown; final?: unknown };
      if (typeof v.final !== 'boolean') return { ok: false, reason: 'final: expected boolean' };
      const id = typeof v.id === 'string' ? v.id : null;
      return { ok: true, reply: { id, final: v.final }, commandId: id };
    } catch {
      return { ok: false, reason: 'not JSON' };
    }
  },
  isFinal: (r) => r.final,
};

/** A tiny responder: answers every request on `req/#` with an interim and a final reply to its replyTo. */
async function startResponder(url: string, clientId: string): Promise<MqttClientTransport> {
  const t = new MqttClientTransport({ url, clientId });
  await t.connect();
  t.onMessage((m) => {
    const req = JSON.parse(m.payload.toString()) as { id: string; replyTo: string; silent?: boolean };
    if (req.silent) return;
    void t.publish(req.replyTo, JSON.stringify({ id: req.id, final: false }), { qos: 1 });
    void t.publish(req.replyTo, 'garbage', { qos: 1 });
    void t.publish(req.replyTo, JSON.stringify({ id: req.id, final: true }), { qos: 1 });
  });
  await t.subscribe(['req/#'], 1);
  return t;
}

describe('mqtt transport', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('parses broker urls', () => {
    expect(parseBrokerUrl('mqtt://127.0.0.1:1999')).toEqual({ secure: false, host: '127.0.0.1', port: 1999 });
    expect(parseBrokerUrl('mqtts://broker.lab')).toEqual({ secure: true, host: 'broker.lab', port: 8883 });
    expect(parseBrokerUrl('tcp://u%40x:p@h:1')).toEqual({ secure: false, host: 'h', port: 1, username: 'u@x', password: 'p' });
    expect(() => parseBrokerUrl('http://h')).toThrow(/scheme/);
    expect(() => parseBrokerUrl('nonsense')).toThrow(/invalid/);
  });

  it('sets TCP_NODELAY: 200 request/reply round trips on loopback stay far below the Nagle delay', async () => {
    const responder = await startResponder(broker.url, 'responder-1');
    const t = new MqttClientTransport({ url: broker.url, clientId: 'requester-1' });
    await t.connect();
    const r = new MqttRequester({ transport: t, replyTopic: 'rep/requester-1', codec: echoCodec });
    await r.start();
    const times: number[] = [];
    let interim = 0;
    for (let i = 0; i < 200; i++) {
      const id = `c${i}`;
      const t0 = performance.now();
      const reply = await r.request({
        topic: 'req/x',
        payload: Buffer.from(JSON.stringify({ id, replyTo: 'rep/requester-1' })),
        commandId: id,
        ttl_s: 5,
        timeout_s: 2,
        onInterim: () => interim++,
      });
      times.push(performance.now() - t0);
      expect(reply).toEqual({ id, final: true });
    }
    times.sort((a, b) => a - b);
    const p50 = times[100]!;
    // With Nagle and delayed ACK a QoS 1 round trip on loopback costs ≈ 40–88 ms; without, under 1 ms on a quiet machine
    // and 10–15 ms on a 2-core machine at load average 40. 25 ms separates the two under any load seen.
    expect(p50).toBeLessThan(25);
    expect(interim).toBe(200);
    expect(r.pending).toBe(0);
    r.stop();
    await t.close();
    await responder.close();
  });

  it('times out with COMMAND_TIMEOUT, aborts with ABORTED', async () => {
    const responder = await startResponder(broker.url, 'responder-2');
    const t = new MqttClientTransport({ url: broker.url, clientId: 'requester-2' });
    await t.connect();
    const r = new MqttRequester({ transport: t, replyTopic: 'rep/requester-2', codec: echoCodec });
    await r.start();
    const silent = (id: string) => Buffer.from(JSON.stringify({ id, replyTo: 'rep/requester-2', silent: true }));
    const timeout = await r.request({ topic: 'req/x', payload: silent('s1'), commandId: 's1', ttl_s: 1, timeout_s: 0.1 }).catch((e: unknown) => e);
    expect((timeout as DeviceError).failure.code).toBe('COMMAND_TIMEOUT');
    const ac = new AbortController();
    const pending = r.request({ topic: 'req/x', payload: silent('s2'), commandId: 's2', ttl_s: 1, timeout_s: 5, signal: ac.signal }).catch((e: unknown) => e);
    ac.abort();
    expect(((await pending) as DeviceError).failure.code).toBe('ABORTED');
    expect(r.pending).toBe(0);
    r.stop();
    await t.close();
    await responder.close();
  });

  it('fails to connect with DEVICE_LOST, and backs off exponentially between reconnect attempts', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const t = new MqttClientTransport({ url: `mqtt://127.0.0.1:${port}`, clientId: 'nobody', connectTimeout_s: 1.6, reconnect: { initialDelay_s: 0.05, maxDelay_s: 1, factor: 2 } });
    const attempts: number[] = [];
    t.client.on('reconnect', () => attempts.push(performance.now()));
    const err = await t.connect().catch((e: unknown) => e);
    expect((err as DeviceError).failure.code).toBe('DEVICE_LOST');
    // 50, 100, 200, 400, 800 ms apart: 5 attempts in 1.6 s (a fixed 50 ms period would make ≈ 30).
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.length).toBeLessThanOrEqual(6);
    const gaps = attempts.slice(1).map((a, i) => a - attempts[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]! * 1.4);
  });

  it('refuses MQTT 5 properties on a 3.1.1 session silently and passes them on 5 (round trip through aedes on 3.1.1)', async () => {
    const a = new MqttClientTransport({ url: broker.url, clientId: 'p-a' });
    const b = new MqttClientTransport({ url: broker.url, clientId: 'p-b' });
    await Promise.all([a.connect(), b.connect()]);
    await b.subscribe(['props/#'], 1);
    const got = new Promise<MqttInboundMessage>((resolve) => b.onMessage(resolve));
    await a.publish('props/x', 'hi', { qos: 1, properties: { responseTopic: 'r', correlationData: Buffer.from('c') } });
    const m = await got;
    expect(m.payload.toString()).toBe('hi');
    expect(m.properties).toBeUndefined();
    await Promise.all([a.close(), b.close()]);
  });
});
