import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { z } from 'zod';
import { LiquidHandlerMqttBackend, type LiquidHandlerMqttTimeouts } from '../../drivers/liquid-handler/mqtt-backend.ts';
import { topicIdSchema } from '../../drivers/liquid-handler/wire-contract.ts';
import { MqttClientTransport } from '../../drivers/transport/mqtt.ts';
import { RecordingMqttTransport } from '../../drivers/transport/mqtt-recorder.ts';
import { ReplayMqttTransport } from '../../drivers/transport/mqtt-replay.ts';
import { readSessions, type RecordedSession } from '../../drivers/transport/mqtt-session.ts';
import { MqttLiquidHandlerTwin } from '../../simulators/twins/mqtt-liquid-handler.ts';
import type { SimulatedWorld } from '../../simulators/world.ts';
import { CONTRACT_CELLS, CONTRACT_STOCKS, type HarnessFactory, type HarnessOptions, type LiquidHandlerHarness } from './liquid-handler-backend.contract.ts';
import { coreFor } from './liquid-handler-harnesses.ts';

/**
 * Record and replay of the liquid-handler contract suite (ADR 0051).
 *
 * Recording (`LABLOOP_RERECORD=1`): each contract test runs against a live twin on a private Mosquitto (MQTT 5);
 * the backend's transport is wrapped in a RecordingMqttTransport that appends one named session per test to the
 * fixture. Whenever the device finishes a run, the harness writes a `device` annotation into the timeline: how many
 * operations the device executed and what the contract observes of the world (stocks, cells).
 *
 * Replay: the same backend code talks to a ReplayMqttTransport of the test's session. It gets the recorded replies
 * only while it sends equivalent requests (mqtt-replay.ts); the `device` annotations are applied to the test's
 * world at their place in the timeline, so the contract's world assertions check the recorded device effects. On
 * close the harness requires that the whole session was replayed without a divergence.
 */
export const CONTRACT_FIXTURE = fileURLToPath(new URL('../fixtures/liquid-handler-contract.session.jsonl', import.meta.url));

/** Lab of the recording: fixed, so a re-recording differs from the last one only in ids, timestamps and volumes. */
const RECORDED_LAB = 'contract-replay';
/** Same timeouts when recording and replaying: the command TTL and the MQTT 5 expiry are part of every request. */
const TIMEOUTS: Partial<LiquidHandlerMqttTimeouts> = { reply_s: 10, lookup_s: 3, recovery_s: 10, poll_s: 0.2, stateWait_s: 3 };

const deviceEffectSchema = z.object({
  executions: z.number().int().nonnegative(),
  stocks: z.record(z.string(), z.number()),
  cells: z.record(z.string(), z.object({ volume: z.number(), amounts: z.record(z.string(), z.number()) })),
});
type DeviceEffect = z.infer<typeof deviceEffectSchema>;
const sessionMetaSchema = z.object({ lab: topicIdSchema, deviceId: topicIdSchema });

/** The running test's own title (the key of its session in the fixture). */
function currentTestTitle(): string {
  const name = expect.getState().currentTestName;
  if (!name) throw new Error('record/replay harnesses key sessions by test name: open them inside a test');
  return name.split(' > ').at(-1) ?? name;
}

function effectOf(world: SimulatedWorld, executions: number): DeviceEffect {
  const stocks: Record<string, number> = {};
  for (const s of CONTRACT_STOCKS) stocks[s.name] = world.stockVolume(s.name) ?? NaN;
  const cells: DeviceEffect['cells'] = {};
  for (const id of CONTRACT_CELLS) {
    const c = world.cellContents(id);
    cells[id] = { volume: c.volume, amounts: { ...c.amounts } };
  }
  return { executions, stocks, cells };
}

/** Puts the recorded device effect into the replay's world (stocks only ever shrink in the contract). */
function applyEffect(world: SimulatedWorld, effect: DeviceEffect): void {
  for (const [name, volume] of Object.entries(effect.stocks)) {
    const now = world.stockVolume(name);
    if (now === undefined) throw new Error(`replay: recorded stock ${name} is not in this world`);
    const taken = now - volume;
    if (taken < -1e-9) throw new Error(`replay: recorded stock ${name} grew from ${now} to ${volume} µL`);
    if (taken > 0 && !world.move(`stock:${name}`, 'waste', taken)) throw new Error(`replay: cannot take ${taken} µL from ${name}`);
  }
  for (const [id, cell] of Object.entries(effect.cells)) {
    world.emptyCell(id);
    const contents = world.cellContents(id);
    contents.volume = cell.volume;
    Object.assign(contents.amounts, cell.amounts);
  }
}

export interface RecordingSetup {
  url: () => string;
  file: string;
}

/** A live twin plus a backend whose transport records one named session per contract test into `file`. */
export function recordingHarness(setup: RecordingSetup): HarnessFactory {
  let devices = 0;
  return async (options: HarnessOptions): Promise<LiquidHandlerHarness> => {
    const name = currentTestTitle();
    const deviceId = `lh-rec-${++devices}`;
    const url = setup.url();
    const core = coreFor(options, deviceId);
    const twin = new MqttLiquidHandlerTwin({ lab: RECORDED_LAB, core, broker: { url, protocolVersion: 5, persistentSession: false, clientId: `twin-${deviceId}` }, clearRetainedOnStop: true });
    await twin.start();
    const recorder = new RecordingMqttTransport(new MqttClientTransport({ url, clientId: `agent-${deviceId}`, protocolVersion: 5 }), setup.file, {
      append: true,
      name,
      meta: { lab: RECORDED_LAB, deviceId },
    });
    const off = core.onEvent((e) => {
      if (e.type === 'run.completed' || e.type === 'run.failed') recorder.annotate('device', effectOf(options.world, core.executions));
    });
    await recorder.connect();
    const backend = new LiquidHandlerMqttBackend({ lab: RECORDED_LAB, deviceId, connection: recorder, timeouts: TIMEOUTS });
    await backend.setup();
    return {
      backend,
      executions: () => core.executions,
      close: async () => {
        off();
        await backend.stop();
        await recorder.close();
        await twin.stop();
      },
    };
  };
}

export interface ReplayHarness extends LiquidHandlerHarness {
  backend: LiquidHandlerMqttBackend;
  replay: ReplayMqttTransport;
}

const sessionCache = new Map<string, Map<string, RecordedSession>>();

/** The backend on a replay of the named session of `file` (read once per file). */
export async function openReplayHarness(file: string, name: string, options: HarnessOptions): Promise<ReplayHarness> {
  let sessions = sessionCache.get(file);
  if (!sessions) {
    sessions = new Map(readSessions(file).map((s) => [s.header.name ?? '', s]));
    sessionCache.set(file, sessions);
  }
  const session = sessions.get(name);
  if (!session) throw new Error(`${file} has no session recorded for "${name}": re-record with LABLOOP_RERECORD=1 npx vitest run tests/contract/liquid-handler-replay.test.ts`);
  const meta = sessionMetaSchema.parse(session.header.meta);
  let executions = 0;
  const replay = new ReplayMqttTransport(session, {
    onAnnotation: (channel, data) => {
      if (channel !== 'device') return;
      const effect = deviceEffectSchema.parse(data);
      applyEffect(options.world, effect);
      executions = effect.executions;
    },
  });
  await replay.connect();
  const backend = new LiquidHandlerMqttBackend({ lab: meta.lab, deviceId: meta.deviceId, connection: replay, timeouts: TIMEOUTS });
  await backend.setup();
  return {
    backend,
    replay,
    executions: () => executions,
    close: async () => {
      await backend.stop();
      await replay.close();
      replay.assertComplete();
    },
  };
}

/** The contract on a replay: each test gets the session recorded under its own title. */
export function replayHarness(file: string): HarnessFactory {
  return (options) => openReplayHarness(file, currentTestTitle(), options);
}
