import { describe, expect, it } from 'vitest';
import { DeviceError, Rng, type LiquidHandlerOperation, type OperationResult } from '../../../src/domain/index.ts';
import type { CommandOptions } from '../../../src/devices/backends.ts';
import { LiquidHandler } from '../../../src/devices/liquid-handler.ts';
import { ops } from '../../../src/devices/operation-records.ts';
import { InstantClock } from '../../../simulators/clock.ts';
import { RuleFaultInjector, type FaultRule } from '../../../simulators/faults.ts';
import { LiquidHandlerCore } from '../../../simulators/liquid/liquid-handler-core.ts';
import { oerPrecipitation } from '../../../simulators/liquid/precipitation.ts';
import { LiquidHandlerSimBackend } from '../../../simulators/liquid-handler-sim.ts';
import { SimulatedWorld } from '../../../simulators/world.ts';
import { FakeLiquidHandlerBackend } from '../../helpers/fake-backends.ts';

const STOCKS = [
  { name: 'Ni', species: 'Ni', concentration: 200, volume: 20_000 },
  { name: 'Fe', species: 'Fe', concentration: 200, volume: 20_000 },
  { name: 'water', species: 'water', concentration: 1, volume: 100_000 },
  { name: 'Co', species: 'Co', concentration: 200, volume: 1000 },
];

function lab(rules: FaultRule[] = []) {
  const world = new SimulatedWorld(STOCKS);
  const faults = new RuleFaultInjector(new Rng(5), rules);
  const core = new LiquidHandlerCore({ deviceId: 'lh-t', world, clock: new InstantClock(), rng: new Rng(2), faults, precipitation: oerPrecipitation });
  const lh = new LiquidHandler(new LiquidHandlerSimBackend({ core }), STOCKS);
  return { world, core, lh, faults };
}

let n = 0;
const opts = (): CommandOptions => ({ commandId: `cmd-${++n}`, signal: new AbortController().signal });
const failureOf = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!(e instanceof DeviceError)) throw new Error(`expected a DeviceError, got ${String(e)}`);
  return e.failure;
};
const sample = (target = 'cell:a'): LiquidHandlerOperation =>
  ops.protocol([ops.transfer(0, 'stock:water', target, 1000), ops.transfer(0, 'stock:Ni', target, 400), ops.transfer(0, 'stock:Fe', target, 100)]);

describe('LiquidHandler frontend', () => {
  it('refuses before anything moves, naming every problem per channel, and records the refusal', async () => {
    const backend = new FakeLiquidHandlerBackend('lh-fake');
    const lh = new LiquidHandler(backend, STOCKS);
    const f = await failureOf(lh.execute(ops.protocol([ops.pickUpTips([0, 1], 'tips:r'), ops.pickUpTips([1], 'tips:r'), ops.aspirate(2, 'stock:Ni', 10)]), opts()));
    expect(f.code).toBe('TIP_ALREADY_MOUNTED');
    expect(f.channels?.map((c) => [c.channel, c.code])).toEqual([
      [1, 'TIP_ALREADY_MOUNTED'],
      [2, 'COMMAND_REJECTED'],
    ]);
    expect(f.message).toMatch(/^refused before motion: step 2: .*; step 3: no tip mounted on channel 2/);
    expect(backend.received).toHaveLength(0);
    expect(lh.history.at(-1)).toMatchObject({ outcome: 'refused', channelErrors: [{ channel: 1 }, { channel: 2 }] });
    expect((await failureOf(lh.execute(ops.transfer(0, 'stock:Co', 'cell:a', 600), opts()))).code).toBe('INSUFFICIENT_LIQUID'); // 500 µL dead volume
    expect((await failureOf(lh.execute({ kind: 'aspirate', channel: 0, source: 'stock:Ni', volume: -3 } as LiquidHandlerOperation, opts()))).code).toBe('COMMAND_REJECTED');
  });

  it('commits what the device actually dispensed', async () => {
    const { lh, world } = lab();
    const r = await lh.execute(sample(), opts());
    expect(lh.contents('cell:a').volume).toBeCloseTo(world.cellContents('a').volume, 6);
    expect(lh.contents('cell:a').amounts['Ni']).toBeCloseTo(world.cellContents('a').amounts['Ni']!, 6);
    expect(lh.usableVolume('stock:Ni')).toBeCloseTo(world.stockVolume('Ni')! - 500, 6);
    expect(lh.history.at(-1)).toMatchObject({ outcome: 'succeeded', commandId: r.commandId });
    expect(Object.isFrozen(lh.history.at(-1))).toBe(true);
  });

  it('after a failure part-way, settles from the stored result and washes the cell before the retry fills it', async () => {
    const { lh, world } = lab([{ code: 'PRESSURE_ANOMALY', operations: ['transfer'], nth: [3] }]);
    const f = await failureOf(lh.execute(sample(), opts()));
    expect(f.code).toBe('PRESSURE_ANOMALY');
    expect(world.cellContents('a').volume).toBeGreaterThan(1300); // water and Ni went in
    expect(lh.contents('cell:a').volume).toBeCloseTo(world.cellContents('a').volume, 6);
    expect(lh.tracker.isUncertain('cell:a')).toBe(true);
    await lh.execute(sample(), opts()); // the engine's retry, with a new commandId
    const sent = lh.history.at(-1)!;
    expect(sent.op.kind === 'run_protocol' && sent.op.steps[0]).toEqual({ kind: 'wash_cell', cell: 'cell:a', cycles: 2 });
    expect(sent.notes.join()).toMatch(/washed cell:a first/);
    expect(world.cellContents('a').volume).toBeGreaterThan(1450);
    expect(world.cellContents('a').volume).toBeLessThan(1550); // one dose, not one and a half
    expect(lh.tracker.isUncertain('cell:a')).toBe(false);
  });

  it('commits the channels of a multichannel pick-up that succeeded', async () => {
    const { lh, core } = lab([{ code: 'PARTIAL_CHANNEL_FAILURE', operations: ['pick_up_tips'], nth: [1] }]);
    const f = await failureOf(lh.execute(ops.pickUpTips([0, 1, 2, 3], 'tips:r'), opts()));
    expect(f.code).toBe('PARTIAL_CHANNEL_FAILURE');
    expect(lh.tracker.mountedTips()).toEqual(core.statusPayload().tipsMounted);
    expect(lh.tracker.mountedTips().length).toBeGreaterThan(0);
    expect(lh.history.at(-1)?.notes.join()).toMatch(/committed channels/);
  });

  it('reports a clot while dispensing into a precipitated cell as the chemistry failure PRECIPITATION', async () => {
    const { lh } = lab();
    const f = await failureOf(lh.execute(ops.protocol([ops.transfer(0, 'stock:Fe', 'cell:a', 800), ops.transfer(0, 'stock:Ni', 'cell:a', 100)]), opts()));
    expect(f).toMatchObject({ code: 'PRECIPITATION', retryable: false, vendorCode: 'CLOT_AT_TARGET' });
    expect(f.message).toMatch(/reported CLOT/);
    expect(lh.tracker.isUncertain('cell:a')).toBe(true);
  });

  it('takes the stored result after the device dropped off mid-run', async () => {
    const { lh, world } = lab([{ code: 'DEVICE_LOST', nth: [1] }]);
    const r = await lh.execute(sample(), opts());
    expect(r.status).toBe('succeeded');
    expect(lh.history.at(-1)).toMatchObject({ outcome: 'recovered', failure: { code: 'DEVICE_LOST' } });
    expect(lh.contents('cell:a').volume).toBeCloseTo(world.cellContents('a').volume, 6);
  });

  it('keeps the original error when the device has no record of a lost command', async () => {
    class Lost extends FakeLiquidHandlerBackend {
      override async execute(): Promise<OperationResult> {
        throw DeviceError.of('COMMAND_TIMEOUT', 'no reply');
      }
    }
    const lh = new LiquidHandler(new Lost(), STOCKS);
    expect((await failureOf(lh.execute(sample(), opts()))).code).toBe('COMMAND_TIMEOUT');
    expect(lh.tracker.isUncertain('cell:a')).toBe(true);
  });
});
