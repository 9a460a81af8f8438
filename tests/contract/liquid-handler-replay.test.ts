import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError } from '../../src/domain/index.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { mosquittoBinaryAvailable, startPrivateMosquitto, type PrivateMosquitto } from '../helpers/mqtt-brokers.ts';
import { CONTRACT_STOCKS, liquidHandlerBackendContract } from './liquid-handler-backend.contract.ts';
import { CONTRACT_FIXTURE, openReplayHarness, recordingHarness, replayHarness } from './liquid-handler-replay-harness.ts';

/**
 * The liquid-handler contract on a replay of a recorded session (ADR 0051): the MQTT backend talks to a
 * ReplayMqttTransport of tests/fixtures/liquid-handler-contract.session.jsonl, no broker. Every contract test runs
 * here; none is excluded (the inherently live ones — device lost and back, broker restart, orchestrator hold — are
 * not in the contract but in tests/contract/liquid-handler-mqtt.test.ts and tests/integration/mqtt-*.test.ts).
 *
 * Re-record (after a deliberate change of the wire traffic): `LABLOOP_RERECORD=1 npx vitest run
 * tests/contract/liquid-handler-replay.test.ts` records every contract test against a live twin on a private
 * Mosquitto (MQTT 5), then replays the fresh fixture.
 */
const rerecord = process.env['LABLOOP_RERECORD'] === '1';

// Registered only when re-recording, so an ordinary run has nothing skipped.
if (rerecord) {
  describe('record the contract session against a live twin (LABLOOP_RERECORD=1)', () => {
    let broker: PrivateMosquitto | undefined;
    beforeAll(async () => {
      if (!mosquittoBinaryAvailable()) throw new Error('re-recording needs a mosquitto binary on PATH');
      fs.writeFileSync(CONTRACT_FIXTURE, '');
      broker = await startPrivateMosquitto();
    });
    afterAll(async () => {
      await broker?.stop();
    });
    liquidHandlerBackendContract(recordingHarness({ url: () => broker!.url, file: CONTRACT_FIXTURE }));
  });
}

describe('LiquidHandlerBackend contract: replay of a recorded session (no broker)', () => {
  liquidHandlerBackendContract(replayHarness(CONTRACT_FIXTURE));
});

describe('the replayed contract is a regression test', () => {
  const title = 'transfer moves liquid from a stock into a cell, with pipetting error of a few %';
  const transfer = (volume: number) => ({ kind: 'transfer' as const, channel: 0, source: 'stock:Ni', target: 'cell:p1', volume, newTip: true });

  it('a changed request gets no recorded reply and fails loudly, naming the difference', async () => {
    const h = await openReplayHarness(CONTRACT_FIXTURE, title, { world: new SimulatedWorld(CONTRACT_STOCKS), seed: 7 });
    const err = await h.backend.execute(transfer(501), { commandId: 'changed-1', signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).message).toMatch(/replay diverged at record \d+ of transfer moves liquid.*\(publish to sdl\/v1\/contract-replay\/liquid-handler\/lh-rec-\d+\/cmd\/transfer\): payload\.body\.volume: recorded 500, live 501/);
    await expect(h.close()).rejects.toThrow(/payload\.body\.volume: recorded 500, live 501/);
  });

  it('a backend that stops early fails the replay, naming the first request it never sent', async () => {
    const h = await openReplayHarness(CONTRACT_FIXTURE, title, { world: new SimulatedWorld(CONTRACT_STOCKS), seed: 7 });
    // Its cleanup (unsubscribe) meets the recorded transfer request instead.
    await expect(h.close()).rejects.toThrow(/replay diverged at record \d+ .*: expected publish to .*\/cmd\/transfer, got unsubscribe/);
  });

  it('an equivalent request with a fresh commandId gets the recorded result and the recorded device effect', async () => {
    const world = new SimulatedWorld(CONTRACT_STOCKS);
    const h = await openReplayHarness(CONTRACT_FIXTURE, title, { world, seed: 7 });
    const result = await h.backend.execute(transfer(500), { commandId: 'fresh-id-1', signal: new AbortController().signal });
    expect(result.commandId).toBe('fresh-id-1');
    expect(world.cellContents('p1').volume).toBeCloseTo(result.dispensed[0]!.volume, 9);
    expect(h.executions()).toBe(1);
    await h.close();
  });
});
