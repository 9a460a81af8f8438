import { describe, expect, it } from 'vitest';
import { DeviceError, Rng, type LiquidHandlerOperation, type LiquidHandlerStep, type OperationResult } from '../../../../src/domain/index.ts';
import { LIQUID_HANDLER_VENDOR_CODES } from '../../../../src/devices/liquid-handler-codes.ts';
import { InstantClock } from '../../../../simulators/clock.ts';
import { RuleFaultInjector, type FaultRule } from '../../../../simulators/faults.ts';
import { LiquidHandlerCore, type CoreEvent } from '../../../../simulators/liquid/liquid-handler-core.ts';
import { oerPrecipitation } from '../../../../simulators/liquid/precipitation.ts';
import { LiquidHandlerSimBackend } from '../../../../simulators/liquid-handler-sim.ts';
import { SimulatedWorld } from '../../../../simulators/world.ts';

const STOCKS = ['Ni', 'Fe', 'Ce', 'complexant'].map((name) => ({ name, species: name, concentration: 200, volume: 100_000 }));
STOCKS.push({ name: 'water', species: 'water', concentration: 1, volume: 100_000 });

function device(rules: FaultRule[] = [], precipitation = false) {
  const world = new SimulatedWorld(STOCKS);
  const faults = new RuleFaultInjector(new Rng(7), rules);
  const core = new LiquidHandlerCore({ deviceId: 'lh-t', world, clock: new InstantClock(), rng: new Rng(3), faults, ...(precipitation ? { precipitation: oerPrecipitation } : {}) });
  return { core, world, faults };
}

let n = 0;
async function exec(core: LiquidHandlerCore, op: LiquidHandlerOperation, commandId = `c${++n}`): Promise<OperationResult> {
  const s = core.submit({ commandId, op });
  if (s.kind === 'rejected') throw new DeviceError(s.failure);
  return s.done;
}

const transfer = (source: string, volume: number, target = 'cell:a'): LiquidHandlerStep => ({ kind: 'transfer', channel: 0, source: `stock:${source}`, target, volume, newTip: true });

describe('LiquidHandlerCore: silent faults', () => {
  it('a short dispense reports success with the requested volume while the cell receives less', async () => {
    const { core, world, faults } = device([{ code: 'SHORT_DISPENSE', nth: [1], magnitude: 0.3 }]);
    const r = await exec(core, { kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:a', volume: 500, newTip: true });
    expect(r.status).toBe('succeeded');
    expect(r.failure).toBeUndefined();
    expect(r.dispensed[0]!.volume).toBeGreaterThan(480);
    expect(world.cellContents('a').volume).toBeCloseTo(0.7 * r.dispensed[0]!.volume, 6);
    expect(100_000 - world.stockVolume('Ni')!).toBeCloseTo(r.dispensed[0]!.volume, 6); // drawn in full, the rest was discarded
    expect(faults.count('SHORT_DISPENSE')).toBe(1);
  });

  it('carry-over brings a little of the previous source into the next target, unreported', async () => {
    const { core, world } = device([{ code: 'CARRY_OVER', nth: [2], magnitude: 0.01 }]);
    await exec(core, { kind: 'run_protocol', steps: [transfer('Ni', 500, 'cell:a'), transfer('Fe', 500, 'cell:b')] }).then((r) => {
      expect(r.status).toBe('succeeded');
      expect(r.dispensed.map((d) => d.source)).toEqual(['stock:Ni', 'stock:Fe']);
    });
    const b = world.cellContents('b');
    expect(b.amounts['Ni']).toBeCloseTo(500 * 0.01 * 200, 6);
    expect(b.amounts['Fe']).toBeGreaterThan(90_000);
  });
});

describe('LiquidHandlerCore: precursor precipitation', () => {
  it('an Fe/Ce-rich, concentrated, complexant-poor cell clots the next dispense into it until it is washed', async () => {
    const { core, world } = device([], true);
    const r = await exec(core, { kind: 'run_protocol', steps: [transfer('Fe', 600), transfer('Ce', 200), transfer('water', 500)] });
    expect(r.status).toBe('failed');
    expect(r.failure).toMatchObject({ code: 'CLOT', vendorCode: LIQUID_HANDLER_VENDOR_CODES.clotAtTarget });
    expect(r.failure?.message).toMatch(/precipitated/);
    expect(r.dispensed.map((d) => d.source)).toEqual(['stock:Fe']);
    expect(core.precipitationIn('a')).toBeDefined();
    expect(world.cellContents('a').amounts['Ce']).toBeUndefined();
    const again = await exec(core, { kind: 'transfer', channel: 0, source: 'stock:water', target: 'cell:a', volume: 100, newTip: true });
    expect(again.failure?.code).toBe('CLOT');
    await exec(core, { kind: 'wash_cell', cell: 'cell:a', cycles: 1 });
    expect(core.precipitationIn('a')).toBeUndefined();
    // Diluted first and with complexant, the same metals stay in solution.
    const ok = await exec(core, { kind: 'run_protocol', steps: [transfer('water', 500), transfer('complexant', 300), transfer('Fe', 600), transfer('Ce', 200)] });
    expect(ok.status).toBe('succeeded');
  });
});

describe('LiquidHandlerCore: partial multichannel failure', () => {
  it('commits the tips of the channels that succeeded and names the ones that failed', async () => {
    const { core } = device([{ code: 'PARTIAL_CHANNEL_FAILURE', operations: ['pick_up_tips'], nth: [1] }]);
    const r = await exec(core, { kind: 'pick_up_tips', channels: [0, 1, 2, 3, 4, 5, 6, 7], tipRack: 'tips:A' });
    expect(r.status).toBe('failed');
    const failed = r.failure?.channels?.map((c) => c.channel) ?? [];
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(8);
    expect(r.failure?.channels?.every((c) => c.code === 'TIP_PICKUP_FAILED')).toBe(true);
    expect(core.statusPayload().tipsMounted).toEqual([0, 1, 2, 3, 4, 5, 6, 7].filter((c) => !failed.includes(c)));
  });

  it('fails a single-channel step as a whole, with the channel named', async () => {
    const { core, world } = device([{ code: 'PARTIAL_CHANNEL_FAILURE', nth: [1] }]);
    const r = await exec(core, { kind: 'transfer', channel: 3, source: 'stock:Ni', target: 'cell:a', volume: 100, newTip: true });
    expect(r.failure).toMatchObject({ code: 'PARTIAL_CHANNEL_FAILURE', channels: [{ channel: 3, code: 'PRESSURE_ANOMALY' }] });
    expect(world.cellContents('a').volume).toBe(0);
  });
});

describe('LiquidHandlerCore and the in-process backend: transport faults', () => {
  it('refuses a command that expired in transit, and announces a connection lost mid-run while the run goes on', async () => {
    const { core } = device([{ code: 'COMMAND_EXPIRED', nth: [1] }, { code: 'DEVICE_LOST', nth: [1] }]);
    expect(core.submit({ commandId: 'x1', op: { kind: 'home' } })).toMatchObject({ kind: 'rejected', failure: { code: 'COMMAND_EXPIRED' } });
    const events: CoreEvent['type'][] = [];
    core.onEvent((e) => events.push(e.type));
    const r = await exec(core, { kind: 'home' }, 'x2');
    expect(r.status).toBe('succeeded');
    expect(events).toContain('connection.lost');
    expect(events.indexOf('connection.lost')).toBeLessThan(events.indexOf('run.completed'));
  });

  it('in-process: DEVICE_LOST fails the wait, the stored result is there afterwards; a duplicate delivery runs once', async () => {
    const { core, faults } = device([{ code: 'DEVICE_LOST', nth: [1] }, { code: 'DUPLICATE_DELIVERY', nth: [2] }]);
    const backend = new LiquidHandlerSimBackend({ core });
    const signal = new AbortController().signal;
    const lost = await backend.execute(transfer('Ni', 100) as LiquidHandlerOperation, { commandId: 'l1', signal }).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(DeviceError);
    expect((lost as DeviceError).failure.code).toBe('DEVICE_LOST');
    expect(await backend.lookup('l1')).toMatchObject({ status: 'succeeded', commandId: 'l1' });
    await backend.execute({ kind: 'home' }, { commandId: 'l2', signal });
    await backend.execute({ kind: 'home' }, { commandId: 'l3', signal });
    expect(faults.count('DUPLICATE_DELIVERY')).toBe(1);
    expect(core.executions).toBe(3);
  });
});
