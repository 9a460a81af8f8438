import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, type LiquidHandlerOperation, type OperationResult } from '../../src/domain/index.ts';
import { LiquidHandlerMqttBackend } from '../../drivers/liquid-handler/mqtt-backend.ts';
import { dataChunkSchema, type DataChunk } from '../../drivers/liquid-handler/wire-contract.ts';
import { ScaledClock } from '../../simulators/clock.ts';
import { LiquidHandlerCore } from '../../simulators/liquid/liquid-handler-core.ts';
import { MqttLiquidHandlerTwin } from '../../simulators/twins/mqtt-liquid-handler.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { CONTRACT_STOCKS } from '../contract/liquid-handler-backend.contract.ts';
import { SYSTEM_MOSQUITTO_URL, mosquittoGate, rawClient, requireBroker, uniqueLabId, useEmbeddedBroker, waitFor } from '../helpers/mqtt-brokers.ts';

/**
 * Live data (`data/<runId>/progress`, QoS 0) on real brokers: the twin streams one chunk per finished protocol step
 * and a final chunk; the backend hands them out as an async iterator or to a callback, in order, while the run is
 * going on. Chunks may be lost; the final result does not depend on them.
 */
const gate = await mosquittoGate();
const signal = new AbortController().signal;
const SPEED = 60;
const protocol: LiquidHandlerOperation = {
  kind: 'run_protocol',
  steps: [
    { kind: 'wash_cell', cell: 'cell:d1', cycles: 1 },
    { kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:d1', volume: 300, newTip: true },
    { kind: 'transfer', channel: 0, source: 'stock:Fe', target: 'cell:d1', volume: 200, newTip: true },
    { kind: 'transfer', channel: 0, source: 'stock:water', target: 'cell:d1', volume: 500, newTip: true },
  ],
};

interface Rig {
  world: SimulatedWorld;
  twin: MqttLiquidHandlerTwin;
  backend: LiquidHandlerMqttBackend;
  close(): Promise<void>;
}

async function openRig(url: string, protocolVersion: 4 | 5, seed: number): Promise<Rig> {
  const tag = randomBytes(3).toString('hex');
  const lab = uniqueLabId('data');
  const world = new SimulatedWorld(CONTRACT_STOCKS);
  const core = new LiquidHandlerCore({ deviceId: 'lh-data', world, clock: new ScaledClock(SPEED), rng: new Rng(seed) });
  const twin = new MqttLiquidHandlerTwin({ lab, core, broker: { url, protocolVersion, persistentSession: false, clientId: `twin-data-${tag}` }, clearRetainedOnStop: true });
  await twin.start();
  const backend = new LiquidHandlerMqttBackend({ lab, deviceId: 'lh-data', connection: { url, clientId: `agent-data-${tag}`, protocolVersion }, timeouts: { reply_s: 30 } });
  await backend.setup();
  return {
    world,
    twin,
    backend,
    async close() {
      await backend.stop();
      await twin.stop();
    },
  };
}

/** The result without what legitimately differs between two runs (ids, wall-clock-scaled duration). */
const essence = (r: OperationResult): unknown => ({ status: r.status, dispensed: r.dispensed, failure: r.failure });

function liveDataScenario(url: () => string, protocolVersion: 4 | 5): void {
  it('chunks arrive in order while the protocol runs, through the iterator and the callback', async () => {
    const rig = await openRig(url(), protocolVersion, 21);
    try {
      const id = `data-run-${randomBytes(3).toString('hex')}`;
      const viaCallback: DataChunk[] = [];
      const unsubscribe = await rig.backend.onData((c) => viaCallback.push(c), { runId: id });
      const stream = await rig.backend.liveData(id);
      let resolvedAt: number | undefined;
      const done = rig.backend.execute(protocol, { commandId: id, signal }).then((r) => {
        resolvedAt = performance.now();
        return r;
      });
      const chunks: Array<{ chunk: DataChunk; at: number }> = [];
      for await (const chunk of stream) chunks.push({ chunk, at: performance.now() });
      const result = await done;
      expect(result.status).toBe('succeeded');
      expect(chunks.map((c) => c.chunk.seq)).toEqual([0, 1, 2, 3, 4]);
      expect(chunks.map((c) => c.chunk.samples['step']?.[0])).toEqual([0, 1, 2, 3, undefined]);
      expect(chunks.at(-1)?.chunk).toMatchObject({ final: true, samples: { status: ['succeeded'] } });
      expect(chunks.every((c) => c.chunk.runId === id && c.chunk.stream === 'progress')).toBe(true);
      // Live: the first steps were reported long before the run finished.
      expect(chunks[0]!.at).toBeLessThan(resolvedAt ?? Infinity);
      expect(chunks[1]!.at).toBeLessThan(chunks[3]!.at);
      await waitFor('the callback to see every chunk', () => viaCallback.length === 5);
      expect(viaCallback.map((c) => c.seq)).toEqual([0, 1, 2, 3, 4]);
      await unsubscribe();
    } finally {
      await rig.close();
    }
  });

  it('losing chunks (a consumer that stops, a subscriber that drops) does not change the final result', async () => {
    const full = await openRig(url(), protocolVersion, 33);
    const lossy = await openRig(url(), protocolVersion, 33);
    const observer = await rawClient(url(), `obs-data-${randomBytes(3).toString('hex')}`, protocolVersion);
    try {
      const idA = `full-${randomBytes(3).toString('hex')}`;
      const all = await full.backend.liveData(idA);
      const doneA = full.backend.execute(protocol, { commandId: idA, signal });
      const seen: DataChunk[] = [];
      for await (const c of all) seen.push(c);
      const resultA = await doneA;
      expect(seen).toHaveLength(5);

      const idB = `lossy-${randomBytes(3).toString('hex')}`;
      const early = await lossy.backend.liveData(idB);
      const observed: DataChunk[] = [];
      observer.on('message', (_t, p) => {
        observed.push(dataChunkSchema.parse(JSON.parse(p.toString())));
        if (observed.length === 1) observer.stream.destroy(); // the subscriber drops mid-run
      });
      await observer.subscribeAsync([lossy.twin.topics.dataFilter(idB)], { qos: 0 });
      const doneB = lossy.backend.execute(protocol, { commandId: idB, signal });
      const first = await early.next();
      expect(first.value?.seq).toBe(0);
      await early.return?.(); // the consumer stops after the first chunk (and unsubscribes)
      const resultB = await doneB;
      expect(observed.map((c) => c.seq)).toEqual([0]);
      expect(essence(resultB)).toEqual(essence(resultA));
      expect(lossy.world.cellContents('d1')).toEqual(full.world.cellContents('d1'));
      expect(await lossy.backend.lookup(idB)).toEqual(resultB);
    } finally {
      await observer.endAsync(true);
      await full.close();
      await lossy.close();
    }
  });
}

describe('live data chunks on embedded aedes (MQTT 3.1.1)', () => {
  const broker = useEmbeddedBroker();
  liveDataScenario(() => broker().url, 4);
});

describe.skipIf(!gate.run)(`live data chunks on Mosquitto ${SYSTEM_MOSQUITTO_URL} (MQTT 5)`, () => {
  beforeAll(() => requireBroker(gate.available));
  liveDataScenario(() => SYSTEM_MOSQUITTO_URL, 5);
});
