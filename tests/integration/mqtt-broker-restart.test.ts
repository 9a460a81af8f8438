import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng, type LiquidHandlerOperation, type LiquidHandlerStep } from '../../src/domain/index.ts';
import { LiquidHandlerMqttBackend } from '../../drivers/liquid-handler/mqtt-backend.ts';
import { MqttClientTransport } from '../../drivers/transport/mqtt.ts';
import { ScaledClock } from '../../simulators/clock.ts';
import { LiquidHandlerCore } from '../../simulators/liquid/liquid-handler-core.ts';
import { MqttLiquidHandlerTwin } from '../../simulators/twins/mqtt-liquid-handler.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { CONTRACT_STOCKS } from '../contract/liquid-handler-backend.contract.ts';
import { IN_CI, mosquittoBinaryAvailable, startPrivateMosquitto, uniqueLabId, waitFor, type PrivateMosquitto } from '../helpers/mqtt-brokers.ts';

/**
 * Broker restart (a transport failure of DEVICES.md) on a Mosquitto of the test's own, with persistence: the broker
 * goes down mid-protocol and comes back on the same port. Agent and twin reconnect with back-off; their persistent
 * sessions (MQTT 5, session expiry) survive the restart, so a command published while the broker was down and one
 * published while only the device was still away are both delivered, each runs exactly once, and every reply
 * reaches the backend.
 */
const haveMosquitto = mosquittoBinaryAvailable();
if (!haveMosquitto && !IN_CI) process.stderr.write('\n*** no mosquitto binary on PATH: SKIPPING the broker-restart test (it FAILS in CI) ***\n\n');
const signal = new AbortController().signal;
const SPEED = 40;
const transfer = (volume: number, source: string): Extract<LiquidHandlerStep, { kind: 'transfer' }> => ({ kind: 'transfer', channel: 0, source: `stock:${source}`, target: 'cell:r1', volume, newTip: true });

describe.skipIf(!haveMosquitto && !IN_CI)('MQTT liquid handler across a restart of a persistent Mosquitto', () => {
  let broker: PrivateMosquitto | undefined;
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    await broker?.stop();
    broker = undefined;
  });

  it('mid-protocol restart: both clients reconnect, queued QoS 1 commands are delivered, each runs once, every reply arrives', async () => {
    broker = await startPrivateMosquitto({ persistence: true });
    const url = broker.url;
    const tag = randomBytes(3).toString('hex');
    const lab = uniqueLabId('restart');
    const world = new SimulatedWorld(CONTRACT_STOCKS);
    const core = new LiquidHandlerCore({ deviceId: 'lh-r', world, clock: new ScaledClock(SPEED), rng: new Rng(17) });
    // The device comes back more slowly than the agent (2 s back-off), so commands wait in its session at the broker.
    const twin = new MqttLiquidHandlerTwin({
      lab,
      core,
      broker: { url, protocolVersion: 5, persistentSession: true, sessionExpiry_s: 300, clientId: `twin-r-${tag}`, reconnect: { initialDelay_s: 2, maxDelay_s: 4, factor: 2 } },
      clearRetainedOnStop: true,
    });
    await twin.start();
    closers.push(() => twin.stop());
    const transport = new MqttClientTransport({ url, clientId: `agent-r-${tag}`, protocolVersion: 5, clean: false, sessionExpiry_s: 300, reconnect: { initialDelay_s: 0.1, maxDelay_s: 1, factor: 2 } });
    let agentReconnects = 0;
    transport.client.on('reconnect', () => agentReconnects++);
    await transport.connect();
    closers.push(() => transport.close());
    const backend = new LiquidHandlerMqttBackend({ lab, deviceId: 'lh-r', connection: transport, timeouts: { reply_s: 30, lookup_s: 5, recovery_s: 30 } });
    await backend.setup();
    closers.push(() => backend.stop());
    const steps: number[] = [];
    core.onEvent((e) => {
      if (e.type === 'run.step') steps.push(Number(e.detail['index']));
    });

    const idA = `restart-a-${tag}`;
    const protocol: LiquidHandlerOperation = { kind: 'run_protocol', steps: [transfer(300, 'Ni'), transfer(300, 'Fe'), transfer(300, 'Ni'), transfer(300, 'Fe')] };
    const runA = backend.execute(protocol, { commandId: idA, signal });
    await waitFor('the first protocol step', () => steps.length === 1, 10_000);

    // The broker goes down (SIGTERM: it writes sessions and queued messages to disk) for 0.5 s.
    const restarted = broker.restart(500);
    await waitFor('both clients to notice', () => !transport.connected && !twin.connected);
    // Sent while the broker is down: queued by the agent's client.
    const idB = `restart-b-${tag}`;
    const runB = backend.execute(transfer(200, 'water'), { commandId: idB, signal });
    await restarted;
    await waitFor('the agent to reconnect', () => transport.connected, 10_000);
    // Sent while only the device is still away: the broker keeps it in the device's persistent session.
    expect(twin.connected).toBe(false);
    const idC = `restart-c-${tag}`;
    const runC = backend.execute(transfer(100, 'Fe'), { commandId: idC, signal });

    const [a, b, c] = await Promise.all([runA, runB, runC]);
    expect(twin.connected).toBe(true);
    expect(agentReconnects).toBeGreaterThan(0);
    expect([a.status, b.status, c.status]).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(steps).toEqual([0, 1, 2, 3]);
    expect(core.executions).toBe(3);
    for (const id of [idA, idB, idC]) expect(core.commandState(id).runStatus).toBe('succeeded');
    const total = [a, b, c].flatMap((r) => r.dispensed).reduce((s, d) => s + d.volume, 0);
    expect(world.cellContents('r1').volume).toBeCloseTo(total, 9);
    expect(Math.abs(total - 1500) / 1500).toBeLessThan(0.03);
    // Asking again (same commandIds) runs nothing: the stored results come back.
    expect(await backend.execute(transfer(200, 'water'), { commandId: idB, signal })).toEqual(b);
    expect(await backend.lookup(idA)).toEqual(a);
    expect(core.executions).toBe(3);
  });
});
