import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { DeviceError, Rng, type LiquidHandlerStep } from '../../src/domain/index.ts';
import { LiquidHandlerMqttBackend } from '../../drivers/liquid-handler/mqtt-backend.ts';
import { replySchema, eventPayloadSchema, type ReplyPayload } from '../../drivers/liquid-handler/wire-contract.ts';
import { MqttClientTransport } from '../../drivers/transport/mqtt.ts';
import { RecordingMqttTransport } from '../../drivers/transport/mqtt-recorder.ts';
import { ReplayMqttTransport } from '../../drivers/transport/mqtt-replay.ts';
import { InstantClock, ScaledClock } from '../../simulators/clock.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../simulators/embedded-broker.ts';
import { LiquidHandlerCore } from '../../simulators/liquid/liquid-handler-core.ts';
import { MqttLiquidHandlerTwin } from '../../simulators/twins/mqtt-liquid-handler.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { SYSTEM_MOSQUITTO_URL, mosquittoGate, nextMessage, rawClient, requireBroker, uniqueLabId } from '../helpers/mqtt-brokers.ts';
import { CONTRACT_STOCKS } from './liquid-handler-backend.contract.ts';
import { openMqttHarness, type MqttHarness } from './liquid-handler-harnesses.ts';

const gate = await mosquittoGate();
const signal = new AbortController().signal;
const transfer = (volume: number): Extract<LiquidHandlerStep, { kind: 'transfer' }> => ({ kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:p1', volume, newTip: true });
let ids = 0;
const nextId = (): string => `mq-${process.pid}-${++ids}`;

async function until(check: () => Promise<boolean> | boolean, timeout_ms = 3000): Promise<void> {
  const end = Date.now() + timeout_ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function envelope(lab: string, replyTo: string, command: string, body: unknown, commandId = nextId()): Record<string, unknown> {
  const t = Date.now();
  return { schema: 'sdl.cmd.v1', commandId, replyTo, issuedAt: new Date(t).toISOString(), expiresAt: new Date(t + 30_000).toISOString(), command, body };
}

/** Malformed payloads for every command (and a few envelope faults), each with the field its rejection must name. */
function malformedCases(lab: string, replyTo: string): Array<{ command: string; payload: string; names: RegExp }> {
  const json = (command: string, body: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ ...envelope(lab, replyTo, command, body), ...extra });
  return [
    { command: 'pick_up_tips', payload: json('pick_up_tips', { kind: 'pick_up_tips', channels: [], tipRack: 'tips:A' }), names: /body\.channels/ },
    { command: 'drop_tips', payload: json('drop_tips', { kind: 'drop_tips', channels: [99] }), names: /body\.channels\.0/ },
    { command: 'aspirate', payload: json('aspirate', { kind: 'aspirate', channel: 0, source: 'stock:Ni', volume: -5 }), names: /body\.volume/ },
    { command: 'dispense', payload: json('dispense', { kind: 'dispense', channel: 0, target: '', volume: 5 }), names: /body\.target/ },
    { command: 'transfer', payload: json('transfer', { kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:p1', volume: 'lots' }), names: /body\.volume/ },
    { command: 'home', payload: json('home', { kind: 'home' }, { commandId: 'has spaces' }), names: /commandId/ },
    { command: 'wash_cell', payload: json('wash_cell', { kind: 'wash_cell', cell: 'cell:p1', cycles: 50 }), names: /body\.cycles/ },
    { command: 'run_protocol', payload: json('run_protocol', { kind: 'run_protocol', steps: [{ kind: 'home' }, { kind: 'aspirate', channel: 0, source: 'stock:Ni', volume: 0 }] }), names: /body\.steps\.1\.volume/ },
    { command: 'get_state', payload: json('get_state', { kind: 'get_state' }), names: /body\.commandId/ },
    { command: 'home', payload: json('transfer', { kind: 'transfer' }), names: /command/ },
    { command: 'home', payload: json('home', { kind: 'home' }, { schema: 'sdl.cmd.v0' }), names: /schema/ },
    { command: 'home', payload: json('home', { kind: 'home' }, { expiresAt: 'tomorrow' }), names: /expiresAt/ },
    { command: 'home', payload: json('home', { kind: 'home' }, { issuedAt: undefined }), names: /issuedAt/ },
    { command: 'explode', payload: json('home', { kind: 'home' }), names: /unknown command "explode"/ },
    { command: 'home', payload: JSON.stringify({ replyTo }), names: /schema: .*commandId: /s },
  ];
}

describe('MQTT liquid handler on embedded aedes (MQTT 3.1.1)', () => {
  let broker: EmbeddedBroker;
  let h: MqttHarness | undefined;
  let raw: MqttClient | undefined;
  const lab = uniqueLabId('lh');
  const open = async (timeouts = {}, world = new SimulatedWorld(CONTRACT_STOCKS)): Promise<MqttHarness> => {
    h = await openMqttHarness({ url: () => broker.url, lab, protocolVersion: 4, persistentSession: true, timeouts }, { world, seed: 3 });
    return h;
  };
  beforeAll(async () => {
    broker = await startEmbeddedBroker();
  });
  afterEach(async () => {
    await raw?.endAsync(true);
    raw = undefined;
    await h?.close();
    h = undefined;
  });
  afterAll(async () => {
    await broker.close();
  });

  it('rejects a malformed payload of every message type with a reason naming the field, and keeps serving', async () => {
    const { twin, backend } = await open();
    raw = await rawClient(broker.url, 'raw-malformed');
    const replyTo = `sdl/v1/${lab}/_reply/raw-malformed`;
    await raw.subscribeAsync(replyTo, { qos: 1 });
    for (const c of malformedCases(lab, replyTo)) {
      const reply = nextMessage(raw, (t) => t === replyTo);
      await raw.publishAsync(twin.topics.cmd(c.command as 'home'), c.payload, { qos: 1 });
      const parsed = replySchema.parse(JSON.parse((await reply).payload.toString()));
      expect(parsed.status, c.payload).toBe('rejected');
      expect(parsed.reason, c.payload).toMatch(c.names);
    }
    expect(twin.stats.rejected).toBe(malformedCases(lab, replyTo).length);
    expect(h!.executions()).toBe(0);
    const ok = await backend.execute(transfer(100), { commandId: nextId(), signal });
    expect(ok.status).toBe('succeeded');
    expect((await backend.status()).state).toBe('ready');
  });

  it('raises an alarm event when a bad command leaves nowhere to reply', async () => {
    const { twin, backend } = await open();
    raw = await rawClient(broker.url, 'raw-alarm');
    await raw.subscribeAsync(twin.topics.evt('alarm'), { qos: 1 });
    const cases = ['{not json', '[1,2,3]', JSON.stringify({ ...envelope(lab, 'x', 'home', { kind: 'home' }), replyTo: undefined }), JSON.stringify(envelope(lab, 'sdl/v1/other-lab/_reply/x', 'home', { kind: 'home' }))];
    for (const payload of cases) {
      const alarm = nextMessage(raw, () => true);
      await raw.publishAsync(twin.topics.cmd('home'), payload, { qos: 1 });
      const evt = eventPayloadSchema.parse(JSON.parse((await alarm).payload.toString()));
      expect(evt.event).toBe('alarm');
      expect(String(evt.detail['reason'])).toMatch(/no usable replyTo/);
    }
    expect(twin.stats.alarms).toBe(4);
    expect((await backend.execute({ kind: 'home' }, { commandId: nextId(), signal })).status).toBe('succeeded');
  });

  it('answers a redelivered command from its stored reply without running it again', async () => {
    const { twin } = await open();
    raw = await rawClient(broker.url, 'raw-dup');
    const replyTo = `sdl/v1/${lab}/_reply/raw-dup`;
    await raw.subscribeAsync(replyTo, { qos: 1 });
    const finals: ReplyPayload[] = [];
    raw.on('message', (_t, p) => {
      const r = replySchema.parse(JSON.parse(p.toString()));
      if (r.status !== 'accepted') finals.push(r);
    });
    const payload = JSON.stringify(envelope(lab, replyTo, 'transfer', transfer(200)));
    await raw.publishAsync(twin.topics.cmd('transfer'), payload, { qos: 1 });
    await until(() => finals.length === 1);
    await raw.publishAsync(twin.topics.cmd('transfer'), payload, { qos: 1, dup: true });
    await until(() => finals.length === 2);
    expect(finals[1]!.duplicate).toBe(true);
    expect(finals[1]!.result).toEqual(finals[0]!.result);
    expect(h!.executions()).toBe(1);
  });

  it('recovers a lost reply by asking get_state for the commandId', async () => {
    const { twin, backend } = await open({ reply_s: 0.3 });
    twin.loseNextReplies(1);
    const id = nextId();
    const result = await backend.execute(transfer(300), { commandId: id, signal });
    expect(result.status).toBe('succeeded');
    expect(result.commandId).toBe(id);
    expect(twin.stats.lostReplies).toBe(1);
    expect(h!.executions()).toBe(1);
    expect(await backend.lookup(id)).toEqual(result);
  });

  it('keeps waiting when get_state reports the command still running', async () => {
    const world = new SimulatedWorld(CONTRACT_STOCKS);
    const core = new LiquidHandlerCore({ deviceId: 'lh-slow', world, clock: new ScaledClock(100), rng: new Rng(1) });
    const twin = new MqttLiquidHandlerTwin({ lab, core, broker: { url: broker.url }, clearRetainedOnStop: true });
    await twin.start();
    const backend = new LiquidHandlerMqttBackend({ lab, deviceId: 'lh-slow', connection: { url: broker.url, clientId: 'agent-slow' }, timeouts: { reply_s: 0.05, poll_s: 0.05, recovery_s: 5 } });
    try {
      await backend.setup();
      // ≈ 20 s of device time at ×100 ≈ 200 ms, far beyond the 50 ms reply timeout.
      const result = await backend.execute(transfer(500), { commandId: nextId(), signal });
      expect(result.status).toBe('succeeded');
      expect(core.executions).toBe(1);
    } finally {
      await backend.stop();
      await twin.stop();
    }
  });

  it('gives up with COMMAND_TIMEOUT when neither the reply nor get_state is answered', async () => {
    const { twin, backend } = await open({ reply_s: 0.2, lookup_s: 0.2 });
    await twin.crash();
    const err = await backend.execute({ kind: 'home' }, { commandId: nextId(), signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).failure.code).toBe('COMMAND_TIMEOUT');
    expect((await backend.status()).state).toBe('lost');
  });

  it('shows lost (last will) when the device drops, and ready again when it is back; queued commands survive', async () => {
    const { twin, backend } = await open({ reply_s: 5 });
    twin.dropConnection();
    await until(async () => (await backend.status()).state === 'lost');
    // Sent while the device is away: the broker keeps it in the device's persistent session.
    const result = await backend.execute({ kind: 'home' }, { commandId: nextId(), signal });
    expect(result.status).toBe('succeeded');
    await until(async () => (await backend.status()).state === 'ready');
    expect(backend.description?.limits.maxVolume).toBe(1000);
  });

  it('records a session, and the replay of it reproduces the results (and catches a divergence)', async () => {
    const { twin } = await open();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lh-rec-')), 'session.jsonl');
    const live = new MqttClientTransport({ url: broker.url, clientId: 'agent-rec' });
    const recorder = new RecordingMqttTransport(live, file);
    await recorder.connect();
    const rec = new LiquidHandlerMqttBackend({ lab, deviceId: twin.deviceId, connection: recorder });
    await rec.setup();
    const script = async (b: LiquidHandlerMqttBackend): Promise<unknown[]> => {
      const out: unknown[] = [];
      out.push(await b.execute({ kind: 'home' }, { commandId: nextId(), signal }));
      const tid = nextId();
      out.push(await b.execute(transfer(400), { commandId: tid, signal }));
      out.push(await b.execute({ kind: 'run_protocol', steps: [transfer(100), { ...transfer(50), source: 'stock:Fe' }] }, { commandId: nextId(), signal }));
      out.push(await b.execute(transfer(0.1), { commandId: nextId(), signal }).catch((e: DeviceError) => e.failure));
      out.push((await b.status()).detail['commandsCompleted']);
      out.push((await b.lookup(tid))?.dispensed);
      return out;
    };
    const recorded = await script(rec);
    await rec.stop();
    await recorder.close();
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(20);

    const strip = (xs: unknown[]): unknown => JSON.parse(JSON.stringify(xs, (k, v: unknown) => (k === 'commandId' ? undefined : v)));
    const replay = ReplayMqttTransport.fromFile(file);
    await replay.connect();
    const rep = new LiquidHandlerMqttBackend({ lab, deviceId: twin.deviceId, connection: replay, timeouts: { stateWait_s: 0.5 } });
    await rep.setup();
    expect(strip(await script(rep))).toEqual(strip(recorded));
    await rep.stop();
    await replay.close();
    expect(replay.remaining).toBe(0);

    const diverging = ReplayMqttTransport.fromFile(file);
    await diverging.connect();
    const div = new LiquidHandlerMqttBackend({ lab, deviceId: twin.deviceId, connection: diverging, timeouts: { stateWait_s: 0.5 } });
    await div.setup();
    await div.execute({ kind: 'home' }, { commandId: nextId(), signal });
    const err = await div.execute(transfer(401), { commandId: nextId(), signal }).catch((e: unknown) => e);
    expect((err as DeviceError).message).toMatch(/replay diverged/);
    await div.stop();
  });

  it('serves 8 devices on one broker through one shared client connection', async () => {
    const world = new SimulatedWorld(CONTRACT_STOCKS);
    const twins = Array.from({ length: 8 }, (_, i) => new MqttLiquidHandlerTwin({
      lab,
      core: { deviceId: `lh-shared-${i}`, world, clock: new InstantClock(), rng: new Rng(i) },
      broker: { url: broker.url },
      clearRetainedOnStop: true,
    }));
    await Promise.all(twins.map((t) => t.start()));
    const shared = new MqttClientTransport({ url: broker.url, clientId: 'agent-shared' });
    await shared.connect();
    const backends = twins.map((t) => new LiquidHandlerMqttBackend({ lab, deviceId: t.deviceId, connection: shared }));
    try {
      await Promise.all(backends.map((b) => b.setup()));
      const results = await Promise.all(backends.map((b, i) => b.execute({ ...transfer(100 + i), target: `cell:c${i}` }, { commandId: nextId(), signal })));
      results.forEach((r, i) => {
        expect(r.status).toBe('succeeded');
        expect(world.cellContents(`c${i}`).volume).toBeCloseTo(r.dispensed[0]!.volume, 6);
        expect(Math.abs(r.dispensed[0]!.volume - (100 + i))).toBeLessThan(0.05 * (100 + i));
      });
      expect(twins.map((t) => t.core.executions)).toEqual(Array(8).fill(1));
    } finally {
      await Promise.all(backends.map((b) => b.stop()));
      await shared.close();
      await Promise.all(twins.map((t) => t.stop()));
    }
  });
});

describe('MQTT liquid handler across a broker restart', () => {
  it('backend and twin reconnect; a command lost with the broker is reported as unknown and a resend runs it once', async () => {
    let broker = await startEmbeddedBroker();
    const port = broker.port;
    const lab = uniqueLabId('restart');
    const world = new SimulatedWorld(CONTRACT_STOCKS);
    const twin = new MqttLiquidHandlerTwin({ lab, core: { deviceId: 'lh-r', world, clock: new InstantClock(), rng: new Rng(5) }, broker: { url: broker.url } });
    await twin.start();
    const backend = new LiquidHandlerMqttBackend({
      lab,
      deviceId: 'lh-r',
      connection: { url: broker.url, clientId: 'agent-restart', reconnect: { initialDelay_s: 0.05, maxDelay_s: 0.4, factor: 2 } },
      timeouts: { reply_s: 1.5, lookup_s: 1 },
    });
    try {
      await backend.setup();
      await broker.close();
      await until(async () => (await backend.status()).state === 'disconnected');
      // Queued by the client while offline; the new broker has no session for the twin yet, so it may be dropped.
      const id = nextId();
      const first = backend.execute(transfer(150), { commandId: id, signal }).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 100));
      broker = await startEmbeddedBroker({ port });
      let outcome = await first;
      if (outcome instanceof DeviceError) {
        expect(outcome.failure.code).toBe('COMMAND_TIMEOUT');
        expect(outcome.message).toMatch(/no record of it/);
        await until(async () => (await backend.status()).state === 'ready');
        outcome = await backend.execute(transfer(150), { commandId: id, signal });
      }
      const result = outcome as Awaited<ReturnType<typeof backend.execute>>;
      expect(result.status).toBe('succeeded');
      expect(twin.core.executions).toBe(1);
      expect(world.cellContents('p1').volume).toBeCloseTo(result.dispensed[0]!.volume, 6);
    } finally {
      await backend.stop();
      await twin.stop();
      await broker.close();
    }
  });
});

describe.skipIf(!gate.run)(`MQTT 5 specifics on Mosquitto ${SYSTEM_MOSQUITTO_URL}`, () => {
  let h: MqttHarness | undefined;
  let raw: MqttClient | undefined;
  const lab = uniqueLabId('lh5');
  beforeAll(() => requireBroker(gate.available));
  afterEach(async () => {
    await raw?.endAsync(true);
    raw = undefined;
    await h?.close();
    h = undefined;
  });

  it('echoes correlation data and answers the MQTT 5 response topic even for unparsable payloads', async () => {
    h = await openMqttHarness({ url: () => SYSTEM_MOSQUITTO_URL, lab, protocolVersion: 5, persistentSession: true }, { world: new SimulatedWorld(CONTRACT_STOCKS), seed: 1 });
    raw = await rawClient(SYSTEM_MOSQUITTO_URL, `raw5-${Date.now().toString(36)}`, 5);
    const replyTo = `sdl/v1/${lab}/_reply/raw5`;
    await raw.subscribeAsync(replyTo, { qos: 1 });
    const got = (): Promise<{ reply: ReplyPayload; correlation: string | undefined }> =>
      new Promise((resolve) => {
        raw!.once('message', (_t, p, packet) => resolve({ reply: replySchema.parse(JSON.parse(p.toString())), correlation: packet.properties?.correlationData?.toString() }));
      });
    const props = (c: string) => ({ qos: 1 as const, properties: { responseTopic: replyTo, correlationData: Buffer.from(c) } });
    let next = got();
    await raw.publishAsync(h.twin.topics.cmd('home'), JSON.stringify(envelope(lab, replyTo, 'get_state', { kind: 'get_state', commandId: 'nope' })), props('corr-1'));
    let r = await next;
    expect(r.reply.status).toBe('rejected');
    expect(r.correlation).toBe('corr-1');
    next = got();
    await raw.publishAsync(h.twin.topics.cmd('home'), '{garbage', props('corr-2'));
    r = await next;
    expect(r.reply.status).toBe('rejected');
    expect(r.reply.reason).toMatch(/not JSON/);
    expect(r.correlation).toBe('corr-2');
    next = got();
    await raw.publishAsync(h.twin.topics.cmd('get_state'), JSON.stringify(envelope(lab, replyTo, 'get_state', { kind: 'get_state', commandId: 'nope' })), props('corr-3'));
    r = await next;
    expect(r.reply).toMatchObject({ status: 'succeeded', state: { commandId: 'nope', runStatus: 'unknown' } });
    expect(r.correlation).toBe('corr-3');
  });
});
