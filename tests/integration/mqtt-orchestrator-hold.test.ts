import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Rng, type LiquidHandlerStep } from '../../src/domain/index.ts';
import { LiquidHandlerMqttBackend } from '../../drivers/liquid-handler/mqtt-backend.ts';
import { orchestratorStateTopic, replySchema, statusPayloadSchema, type ReplyPayload } from '../../drivers/liquid-handler/wire-contract.ts';
import { MqttClientTransport } from '../../drivers/transport/mqtt.ts';
import { OrchestratorPresence, orchestratorWill } from '../../drivers/transport/orchestrator-presence.ts';
import { ScaledClock } from '../../simulators/clock.ts';
import { LiquidHandlerCore, type CoreEvent } from '../../simulators/liquid/liquid-handler-core.ts';
import { MqttLiquidHandlerTwin } from '../../simulators/twins/mqtt-liquid-handler.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { CONTRACT_STOCKS } from '../contract/liquid-handler-backend.contract.ts';
import { SYSTEM_MOSQUITTO_URL, mosquittoGate, nextMessage, rawClient, requireBroker, uniqueLabId, useEmbeddedBroker, waitFor } from '../helpers/mqtt-brokers.ts';

/**
 * Orchestrator presence (DEVICES.md, ADR 0051) on real brokers: the agent's connection carries the retained
 * `orchestrator/$state` with last will `lost`; when that connection dies abruptly the twin finishes the step it is
 * moving, pauses the run before the next one, queues new commands and shows `maintenance` with the hold reason;
 * when the agent's connection is back (`ready`) the run goes on, and every command runs exactly once.
 */
const gate = await mosquittoGate();
const signal = new AbortController().signal;
/** Device seconds per wall second: a 300 µL transfer step (≈ 15 s of device time) takes ≈ 0.4 s. */
const SPEED = 40;
const transfer = (volume: number, source = 'stock:Ni'): LiquidHandlerStep => ({ kind: 'transfer', channel: 0, source, target: 'cell:h1', volume, newTip: true });

interface Rig {
  lab: string;
  core: LiquidHandlerCore;
  world: SimulatedWorld;
  twin: MqttLiquidHandlerTwin;
  transport: MqttClientTransport;
  presence: OrchestratorPresence;
  backend: LiquidHandlerMqttBackend;
  observer: MqttClient;
  deviceStates: string[];
  close(): Promise<void>;
}

async function openRig(url: string, protocolVersion: 4 | 5): Promise<Rig> {
  const tag = randomBytes(3).toString('hex');
  const lab = uniqueLabId('hold');
  const world = new SimulatedWorld(CONTRACT_STOCKS);
  const core = new LiquidHandlerCore({ deviceId: 'lh-hold', world, clock: new ScaledClock(SPEED), rng: new Rng(11) });
  const twin = new MqttLiquidHandlerTwin({ lab, core, broker: { url, protocolVersion, persistentSession: true, sessionExpiry_s: 60, clientId: `twin-hold-${tag}` }, clearRetainedOnStop: true });
  await twin.start();
  const topic = orchestratorStateTopic(lab);
  // The agent's one connection: persistent session (its replies wait at the broker while it is away), no automatic
  // reconnect within the test's observation window (the test reconnects it), last will `lost`.
  const transport = new MqttClientTransport({ url, clientId: `orch-${tag}`, protocolVersion, clean: false, sessionExpiry_s: 60, reconnect: { initialDelay_s: 120, maxDelay_s: 120, factor: 1 }, will: orchestratorWill(topic) });
  await transport.connect();
  const presence = new OrchestratorPresence({ transport, topic });
  await presence.start();
  const backend = new LiquidHandlerMqttBackend({ lab, deviceId: 'lh-hold', connection: transport, timeouts: { reply_s: 60, stateWait_s: 3 } });
  await backend.setup();
  const observer = await rawClient(url, `obs-${tag}`, protocolVersion);
  const deviceStates: string[] = [];
  observer.on('message', (t, p) => {
    if (t === twin.topics.state) deviceStates.push(p.toString());
  });
  await observer.subscribeAsync([twin.topics.state], { qos: 1 });
  return {
    lab,
    core,
    world,
    twin,
    transport,
    presence,
    backend,
    observer,
    deviceStates,
    async close() {
      await observer.endAsync(true);
      await backend.stop();
      await presence.stop().catch(() => undefined);
      await transport.close();
      await twin.stop();
    },
  };
}

function holdScenario(url: () => string, protocolVersion: 4 | 5): void {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('agent lost mid-protocol: the moving step completes, the next waits, new commands queue; back → the run goes on, each command runs once', async () => {
    rig = await openRig(url(), protocolVersion);
    const { core, world, twin, transport, backend, observer, deviceStates } = rig;
    const steps: string[] = [];
    let stepsWhenHeld: number | undefined;
    core.onEvent((e: CoreEvent) => {
      if (e.type === 'run.step') steps.push(String(e.detail['index']));
      if (e.type === 'status' && core.holdState && stepsWhenHeld === undefined) stepsWhenHeld = steps.length;
    });
    const id = `hold-run-${randomBytes(3).toString('hex')}`;
    const protocol = { kind: 'run_protocol' as const, steps: [transfer(300), transfer(300, 'stock:Fe'), transfer(300), transfer(300, 'stock:Fe')] };
    const running = backend.execute(protocol, { commandId: id, signal });

    // Step 0 done, step 1 moving: the agent's socket dies without a DISCONNECT; the broker publishes the will.
    await waitFor('the first protocol step', () => steps.length === 1, 10_000);
    transport.client.stream.destroy();
    await waitFor('the twin to hold', () => core.holdState !== undefined);
    await waitFor('the run to pause', () => core.commandState(id).runStatus === 'paused', 10_000);
    const stepsAtPause = steps.length;
    expect(stepsAtPause).toBe(stepsWhenHeld! + 1); // the step that was moving completed, no further one started
    expect(stepsAtPause).toBeLessThan(4);
    expect(core.holdState?.reason).toMatch(/orchestrator lost/);
    await waitFor('$state maintenance', () => deviceStates.at(-1) === 'maintenance');
    const retainedStatus = nextMessage(observer, (t) => t === twin.topics.status);
    await observer.subscribeAsync([twin.topics.status], { qos: 1 });
    const status = statusPayloadSchema.parse(JSON.parse((await retainedStatus).payload.toString()));
    expect(status).toMatchObject({ state: 'maintenance', activeRunId: id, hold: { reason: expect.stringMatching(/orchestrator lost/) } });

    // A command that arrives while the device holds is accepted, queued and not started.
    const replyTo = `sdl/v1/${rig.lab}/_reply/obs-raw`;
    const replies: ReplyPayload[] = [];
    observer.on('message', (t, p) => {
      if (t === replyTo) replies.push(replySchema.parse(JSON.parse(p.toString())));
    });
    await observer.subscribeAsync([replyTo], { qos: 1 });
    const homeId = `hold-home-${randomBytes(3).toString('hex')}`;
    const now = Date.now();
    await observer.publishAsync(
      twin.topics.cmd('home'),
      JSON.stringify({ schema: 'sdl.cmd.v1', commandId: homeId, replyTo, issuedAt: new Date(now).toISOString(), expiresAt: new Date(now + 60_000).toISOString(), command: 'home', body: { kind: 'home' } }),
      { qos: 1 },
    );
    await waitFor('the queued command to be accepted', () => replies.some((r) => r.commandId === homeId));
    expect(replies.find((r) => r.commandId === homeId)).toMatchObject({ status: 'accepted', reason: expect.stringMatching(/queued: the device holds/) });

    // Held for as long as two more steps would take: nothing moves.
    const cellAtPause = world.cellContents('h1').volume;
    await new Promise((r) => setTimeout(r, 1000));
    expect(steps.length).toBe(stepsAtPause);
    expect(world.cellContents('h1').volume).toBe(cellAtPause);
    expect(core.commandState(homeId).runStatus).toBe('not_started');
    expect(core.executions).toBe(1);

    // The agent is back: its presence says `ready`, the twin releases, the run finishes; the reply reaches the
    // same pending execute() (it waited at the broker in the agent's persistent session if need be).
    transport.client.reconnect();
    const result = await running;
    expect(result.status).toBe('succeeded');
    // Dispensed volumes are reported per source → target pair: 2 × 300 µL of each stock.
    expect(result.dispensed.map((d) => d.source)).toEqual(['stock:Ni', 'stock:Fe']);
    for (const d of result.dispensed) expect(Math.abs(d.volume - 600) / 600).toBeLessThan(0.03);
    expect(steps).toEqual(['0', '1', '2', '3']);
    expect(world.cellContents('h1').volume).toBeCloseTo(result.dispensed.reduce((s, d) => s + d.volume, 0), 9);
    await waitFor('the queued command to run', () => replies.some((r) => r.commandId === homeId && r.status === 'succeeded'));
    expect(core.executions).toBe(2);
    expect(core.holdState).toBeUndefined();
    await waitFor('$state ready', () => deviceStates.at(-1) === 'ready');

    // Idempotent by commandId: asking again returns the stored result and moves nothing.
    const again = await backend.execute(protocol, { commandId: id, signal });
    expect(again).toEqual(result);
    expect(core.executions).toBe(2);
  });

  it('a clean stop of the agent publishes `disconnected` and does not hold the device', async () => {
    rig = await openRig(url(), protocolVersion);
    const { core, backend, presence } = rig;
    await presence.stop();
    await new Promise((r) => setTimeout(r, 200));
    expect(core.holdState).toBeUndefined();
    expect((await backend.execute({ kind: 'home' }, { commandId: `home-${randomBytes(3).toString('hex')}`, signal })).status).toBe('succeeded');
  });
}

describe('orchestrator presence and device hold on embedded aedes (MQTT 3.1.1)', () => {
  const broker = useEmbeddedBroker();
  holdScenario(() => broker().url, 4);

  it('a backend that owns its connection can carry the presence: ready on connect, lost on a crash, disconnected on stop', async () => {
    const lab = uniqueLabId('presence');
    const topic = orchestratorStateTopic(lab);
    const observer = await rawClient(broker().url, `obs-presence-${randomBytes(3).toString('hex')}`);
    const seen: string[] = [];
    observer.on('message', (_t, p) => seen.push(p.toString()));
    await observer.subscribeAsync([topic], { qos: 1 });
    const make = (): LiquidHandlerMqttBackend =>
      new LiquidHandlerMqttBackend({ lab, deviceId: 'lh-none', connection: { url: broker().url, clientId: `agent-${randomBytes(3).toString('hex')}`, reconnect: false }, orchestratorPresence: true, timeouts: { stateWait_s: 0.05 } });
    try {
      const a = make();
      await a.setup();
      await waitFor('ready', () => seen.at(-1) === 'ready');
      await a.stop();
      await waitFor('disconnected', () => seen.at(-1) === 'disconnected');
      const b = make();
      await b.setup();
      await waitFor('ready again', () => seen.at(-1) === 'ready');
      // Abrupt end: no DISCONNECT, the broker publishes the will.
      (b as unknown as { transport: MqttClientTransport }).transport.client.stream.destroy();
      await waitFor('lost', () => seen.at(-1) === 'lost');
      await b.stop();
      expect(() => new LiquidHandlerMqttBackend({ lab, deviceId: 'x', connection: new MqttClientTransport({ url: broker().url, clientId: 'x' }), orchestratorPresence: true })).toThrow(/shared transport/);
    } finally {
      await observer.publishAsync(topic, '', { qos: 1, retain: true });
      await observer.endAsync(true);
    }
  });
});

describe.skipIf(!gate.run)(`orchestrator presence and device hold on Mosquitto ${SYSTEM_MOSQUITTO_URL} (MQTT 5)`, () => {
  beforeAll(() => requireBroker(gate.available));
  holdScenario(() => SYSTEM_MOSQUITTO_URL, 5);
});
