import { describe, expect, it } from 'vitest';
import { makeFailure, Rng, type FailureCode, type LiquidHandlerOperation, type LiquidHandlerStep, type OperationResult } from '../../../../src/domain/index.ts';
import { InstantClock, ZeroDelayClock } from '../../../../simulators/clock.ts';
import type { FaultInjector } from '../../../../simulators/fault-injector.ts';
import { LiquidHandlerCore, type CoreEvent, type LiquidHandlerCoreOptions } from '../../../../simulators/liquid/liquid-handler-core.ts';
import { SimulatedWorld } from '../../../../simulators/world.ts';

const STOCKS = [
  { name: 'Ni', species: 'Ni', concentration: 200, volume: 1_000_000 },
  { name: 'water', species: 'water', concentration: 1, volume: 1_000_000 },
];

function device(extra: Partial<LiquidHandlerCoreOptions> = {}): { core: LiquidHandlerCore; world: SimulatedWorld; clock: InstantClock } {
  const world = new SimulatedWorld(STOCKS);
  const clock = new InstantClock();
  return { core: new LiquidHandlerCore({ deviceId: 'lh', world, clock, rng: new Rng(11), ...extra }), world, clock };
}

let n = 0;
async function exec(core: LiquidHandlerCore, op: LiquidHandlerOperation, commandId = `c${++n}`): Promise<OperationResult> {
  const s = core.submit({ commandId, op });
  if (s.kind === 'rejected') throw new Error(s.reason);
  return s.done;
}

const transfer = (volume: number, newTip = true, target = 'cell:a'): Extract<LiquidHandlerStep, { kind: 'transfer' }> => ({ kind: 'transfer', channel: 0, source: 'stock:Ni', target, volume, newTip });

function stats(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, sd: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) };
}

describe('LiquidHandlerCore', () => {
  it('dispenses within ±1–2 % at mid volume and worse near the pipette minimum', async () => {
    const { core } = device({ limits: { cellCapacity: 1e9 }, clock: new ZeroDelayClock() });
    await exec(core, { kind: 'pick_up_tips', channels: [0], tipRack: 'tips:A' });
    const errs = async (volume: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < 150; i++) {
        const r = await exec(core, { kind: 'run_protocol', steps: [{ kind: 'aspirate', channel: 0, source: 'stock:Ni', volume }, { kind: 'dispense', channel: 0, target: 'cell:a', volume }] });
        out.push(r.dispensed[0]!.volume / volume - 1);
      }
      return out;
    };
    const mid = stats(await errs(500));
    expect(Math.abs(mid.mean)).toBeLessThan(0.01);
    expect(mid.sd).toBeGreaterThan(0.004);
    expect(mid.sd).toBeLessThan(0.011);
    const low = stats(await errs(1));
    expect(low.sd).toBeGreaterThan(0.02);
    expect(low.sd).toBeLessThan(0.045);
  });

  it('takes realistic time on the virtual clock', async () => {
    const { core } = device();
    const pick = await exec(core, { kind: 'pick_up_tips', channels: [0], tipRack: 'tips:A' });
    expect(pick.duration_s).toBeGreaterThanOrEqual(4);
    expect(pick.duration_s).toBeLessThanOrEqual(7);
    const asp = await exec(core, { kind: 'aspirate', channel: 0, source: 'stock:Ni', volume: 90 });
    expect(asp.duration_s).toBeGreaterThanOrEqual(2);
    expect(asp.duration_s).toBeLessThanOrEqual(3);
    expect((await exec(core, { kind: 'home' })).duration_s).toBeCloseTo(3, 9);
    const wash = await exec(core, { kind: 'wash_cell', cell: 'cell:a', cycles: 2 });
    expect(wash.duration_s).toBeGreaterThanOrEqual(39);
    expect(wash.duration_s).toBeLessThanOrEqual(40);
  });

  it('runs one command at a time in arrival order, and a duplicate while queued joins the original', async () => {
    const { core, clock } = device();
    const a = core.submit({ commandId: 'qa', op: transfer(900) });
    const b = core.submit({ commandId: 'qb', op: transfer(900) });
    const again = core.submit({ commandId: 'qb', op: transfer(900) });
    expect(core.commandState('qb').runStatus).toBe('not_started');
    if (a.kind !== 'accepted' || b.kind !== 'accepted' || again.kind !== 'accepted') throw new Error('rejected');
    expect(again.duplicate).toBe(true);
    const ra = await a.done;
    const tA = clock.now();
    const rb = await b.done;
    expect(clock.now() - tA).toBeCloseTo(rb.duration_s, 6);
    expect(await again.done).toBe(rb);
    expect(ra.duration_s).toBeGreaterThan(20);
    expect(core.executions).toBe(2);
  });

  it('reuses a mounted tip without newTip, discards it (and its liquid) with the next newTip transfer', async () => {
    const { core, world } = device();
    await exec(core, transfer(100, false)); // no tip mounted: picks one up
    expect(core.statusPayload().tipsUsed).toBe(1);
    await exec(core, transfer(100, false));
    expect(core.statusPayload().tipsUsed).toBe(1);
    await exec(core, transfer(100, true));
    expect(core.statusPayload().tipsUsed).toBe(2);
    expect(core.statusPayload().tipsMounted).toEqual([0]);
    await exec(core, { kind: 'aspirate', channel: 0, source: 'stock:Ni', volume: 50 });
    const before = world.stockVolume('Ni')!;
    await exec(core, { kind: 'drop_tips', channels: [0], target: 'waste' });
    expect(before - world.stockVolume('Ni')!).toBeCloseTo(50, 9);
    expect(core.statusPayload().tipsMounted).toEqual([]);
  });

  it('splits a transfer larger than the tip into equal moves and empties a cell on wash', async () => {
    const { core, world } = device();
    const r = await exec(core, transfer(2500));
    expect(r.dispensed).toHaveLength(1);
    expect(Math.abs(r.dispensed[0]!.volume - 2500)).toBeLessThan(2500 * 0.03);
    expect(world.cellContents('a').volume).toBeCloseTo(r.dispensed[0]!.volume, 6);
    await exec(core, { kind: 'wash_cell', cell: 'cell:a', cycles: 1 });
    expect(world.cellContents('a')).toEqual({ volume: 0, amounts: {} });
  });

  it('fails at the injected step, keeps what earlier steps did, and latches error on a non-recoverable fault until home', async () => {
    const forced = (code: FailureCode, at: number): FaultInjector => ({
      check: (site) => ((site.phase ?? 'step') === 'step' && site.call === at ? makeFailure(code, `injected at call ${at}`) : undefined),
    });
    const { core, world } = device({ faults: forced('CLOT', 2) });
    const r = await exec(core, { kind: 'run_protocol', steps: [transfer(100), transfer(200, true, 'cell:b'), transfer(300, true, 'cell:c')] });
    expect(r.status).toBe('failed');
    expect(r.failure?.code).toBe('CLOT');
    expect(r.dispensed.map((d) => d.target)).toEqual(['cell:a']);
    expect(world.cellContents('b').volume).toBe(0);
    expect(core.statusPayload().state).toBe('ready');

    const bad = device({ faults: forced('OVERFLOW', 1) });
    expect((await exec(bad.core, transfer(100))).failure?.code).toBe('OVERFLOW');
    expect(bad.core.statusPayload().state).toBe('error');
    await exec(bad.core, transfer(100));
    expect(bad.core.statusPayload().state).toBe('error');
    await exec(bad.core, { kind: 'home' });
    expect(bad.core.statusPayload().state).toBe('ready');
  });

  it('refuses expired commands and reused ids; forgets the oldest results beyond its history size', async () => {
    const { core } = device({ historySize: 3, wallClock: () => 1_000_000 });
    const expired = core.submit({ commandId: 'old', op: { kind: 'home' }, expiresAt_ms: 999_999 });
    expect(expired).toMatchObject({ kind: 'rejected', failure: { code: 'COMMAND_EXPIRED' } });
    expect(core.commandState('old').runStatus).toBe('unknown');
    for (const id of ['h1', 'h2', 'h3', 'h4']) await exec(core, { kind: 'home' }, id);
    expect(core.commandState('h1').runStatus).toBe('unknown');
    expect(core.commandState('h4').runStatus).toBe('succeeded');
    expect(core.submit({ commandId: 'h4', op: transfer(10) })).toMatchObject({ kind: 'rejected', failure: { code: 'COMMAND_REJECTED', vendorCode: 'COMMAND_ID_REUSED' } });
    // A late duplicate of a finished command gets the stored result even after its expiry.
    expect(core.submit({ commandId: 'h4', op: { kind: 'home' }, expiresAt_ms: 0 })).toMatchObject({ kind: 'accepted', duplicate: true });
  });

  it('emits run events and status changes in order', async () => {
    const { core } = device();
    const events: string[] = [];
    core.onEvent((e: CoreEvent) => events.push(e.type === 'status' ? `status:${core.statusPayload().state}` : e.type));
    await exec(core, { kind: 'run_protocol', steps: [{ kind: 'home' }, transfer(10)] });
    expect(events).toEqual(['status:busy', 'run.started', 'run.step', 'run.step', 'status:ready', 'run.completed']);
  });
});
