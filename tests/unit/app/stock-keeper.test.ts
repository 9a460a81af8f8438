import { describe, expect, it } from 'vitest';
import type { TrialExecutor } from '../../../agents/trial-ports.ts';
import { EngineCampaignCommands } from '../../../src/app/console-commands.ts';
import type { LabExecutor } from '../../../src/app/lab-executor.ts';
import { StockKeeper, type StockRefillTarget } from '../../../src/app/stock-keeper.ts';
import { makeFailure, silentLogger, type LiquidHandlerOperation, type Stock } from '../../../src/domain/index.ts';
import { LiquidHandler } from '../../../src/devices/liquid-handler.ts';
import { Potentiostat } from '../../../src/devices/potentiostat.ts';
import { sampleTransferSteps, type SamplePlan } from '../../../src/devices/sample-preparation.ts';
import { SharedReservoirs } from '../../../src/devices/volume-tracker.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import { Station } from '../../../src/engine/station.ts';
import { DocumentBus, stockLedger, type LabDocument } from '../../../src/protocol/index.ts';
import type { TrialOutcome } from '../../../src/protocol/index.ts';
import { FakeLiquidHandlerBackend, FakePotentiostatBackend } from '../../helpers/fake-backends.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';

/** Ni listed at 2,000 µL (1,500 usable above the 500 µL dead volume), water plenty. */
const STOCKS: Stock[] = [
  { name: 'Ni', species: 'Ni', concentration: 200, volume: 2000 },
  { name: 'water', species: 'water', concentration: 1, volume: 100_000 },
];
const spec = defaultSpec({ stocks: STOCKS });
const sample = (ni: number): SamplePlan => ({ draws: [{ stock: 'water', species: 'water', volume: 2000 - ni }, { stock: 'Ni', species: 'Ni', volume: ni }], concentrations: {}, totalVolume: 2000 });

function lab(stocks: StockRefillTarget | undefined, opts: { autoRefill?: boolean; pairs?: number } = {}) {
  const shared = new SharedReservoirs();
  const stations = Array.from({ length: opts.pairs ?? 2 }, (_, i) => new Station(`pair${i + 1}`, `pair${i + 1}`, new LiquidHandler(new FakeLiquidHandlerBackend(`lh${i}`), STOCKS, { sharedReservoirs: shared }), new Potentiostat(new FakePotentiostatBackend(`ps${i}`))));
  const bus = new DocumentBus(() => new Date(Date.UTC(2026, 0, 1)));
  const docs: LabDocument[] = [];
  bus.subscribe((d) => void docs.push(d));
  const keeper = new StockKeeper({ spec, stations, bus, campaignId: 'c', logger: silentLogger, lab: stocks, autoRefill: opts.autoRefill });
  /** Runs the sample's liquid handling on the station (with the engine's commandIds), after `gate` resolves. */
  let gate: Promise<void> = Promise.resolve();
  const calls: string[] = [];
  const inner: TrialExecutor = {
    availableStations: () => stations.map((s) => s.id),
    usableStations: () => stations.length,
    whileNotPaused: async () => {},
    aborted: false,
    stationsChanged: () => new Promise(() => {}),
    run: async (stationId, req): Promise<TrialOutcome> => {
      calls.push(req.trialId);
      await gate;
      const station = stations.find((s) => s.id === stationId) as Station;
      const cell = `cell:${stationId}`;
      const op: LiquidHandlerOperation = { kind: 'run_protocol', steps: [{ kind: 'wash_cell', cell, cycles: 1 }, ...sampleTransferSteps(req.sample, cell)] };
      await station.liquidHandler.execute(op, { commandId: `${req.trialId}.a${req.attempt}.s0.r0`, signal: new AbortController().signal, timeout_s: 10 });
      return { status: 'completed', runId: `run-${req.trialId}`, objectives: {}, features: {}, flags: [] };
    },
  };
  const executor = keeper.executor(inner);
  const run = (trialId: string, ni: number, station = 'pair1', attempt = 0) => executor.run(station, { trialId, recipe: {}, sample: sample(ni), attempt });
  const ni = () => (stations[0] as Station).liquidHandler.tracker.volume('stock:Ni');
  return { stations, bus, docs, keeper, run, calls, ni, setGate: (g: Promise<void>) => (gate = g) };
}

describe('StockKeeper', () => {
  it('holds a trial the tracked stock cannot supply before anything is dispatched, naming the stock', async () => {
    const l = lab(undefined);
    expect((await l.run('t1', 900)).status).toBe('completed');
    expect(l.ni()).toBe(1100);
    const held = await l.run('t2', 700);
    expect(held.status).toBe('failed');
    expect(held.status === 'failed' && held.failure.code).toBe('STOCK_LOW');
    expect(held.status === 'failed' && held.failure.message).toBe('STOCK_LOW: stock:Ni holds 600 µL usable, 700 µL needed; refill it and resume (held before dispatch on pair1)');
    expect(l.calls).toEqual(['t1']); // t2 never reached the executor
    expect(l.ni()).toBe(1100);
    await l.bus.flush();
    expect(l.docs.filter((d) => d.type === 'stock' && d.payload.kind === 'use').map((d) => d.type === 'stock' && d.payload.kind === 'use' && d.payload.drawn_uL['Ni'])).toEqual([900]);
  });

  it('counts what trials already dispatched will still draw, on every station sharing the reservoirs', async () => {
    const l = lab(undefined);
    let open!: () => void;
    l.setGate(new Promise<void>((r) => (open = r)));
    const first = l.run('t1', 1000, 'pair1');
    await Promise.resolve();
    // t1 has not drawn yet, but its 1,000 µL are spoken for: 500 of the 1,500 usable µL are left for pair2.
    const second = await l.run('t2', 600, 'pair2');
    expect(second.status === 'failed' && second.failure.message).toMatch(/^STOCK_LOW: stock:Ni holds 500 µL usable, 600 µL needed/);
    open();
    expect((await first).status).toBe('completed');
    expect((await l.run('t3', 500, 'pair2')).status).toBe('completed');
    expect(l.ni()).toBe(500);
  });

  it('refills the trackers and the simulated lab; a resumed keeper restores what the documents say', async () => {
    const poured: [string, number][] = [];
    const target: StockRefillTarget = { refillStock: (s, v) => poured.push([s, v]), refilledVolume: (s) => poured.filter(([n]) => n === s).reduce((a, [, v]) => a + v, 0) };
    const l = lab(target);
    await l.run('t1', 800);
    await l.run('t2', 400, 'pair2');
    expect(l.keeper.refill('Ni', { volume_uL: 300 }, 'alice')).toBe(300);
    expect(l.keeper.refill('Ni', { volume_uL: 5000 }, 'alice')).toBe(900); // at most up to the listed 2,000 µL
    await l.run('t3', 250);
    expect(l.keeper.refill('Ni', { toListed: true }, 'bob', 'new bottle')).toBe(250);
    await l.run('t4', 700, 'pair2');
    expect(() => l.keeper.refill('Co', { volume_uL: 1 }, 'alice')).toThrow(/no stock "Co"/);
    expect(poured).toEqual([['Ni', 300], ['Ni', 900], ['Ni', 250]]);
    const before = l.ni();
    expect(before).toBe(1300);
    await l.bus.flush();
    // A new process: fresh trackers at the listed volumes, a lab that already received the first two refills (its state
    // file was written) but not the third (say it was recorded while no process ran).
    const pouredAgain: [string, number][] = [['Ni', 1200]];
    const again = lab({ refillStock: (s, v) => pouredAgain.push([s, v]), refilledVolume: () => 1200 });
    expect(again.ni()).toBe(2000);
    again.keeper.restore(stockLedger(l.docs));
    expect(again.ni()).toBeCloseTo(before, 9);
    expect((again.stations[1] as Station).liquidHandler.tracker.volume('stock:Ni')).toBeCloseTo(before, 9);
    expect(pouredAgain).toEqual([['Ni', 1200], ['Ni', 250]]);
  });

  it('resupplies by itself only with a simulated operator; otherwise it names what to refill', async () => {
    const manual = lab(undefined);
    // (Single moves of at most 1,000 µL: the fake device reports one dispensed entry per move.)
    await manual.run('t1', 900);
    await manual.run('t1b', 500);
    const low = makeFailure('STOCK_LOW', 'STOCK_LOW: stock:Ni holds 100 µL usable, 600 µL needed; refill it and resume');
    expect(manual.keeper.isShortage(low)).toBe(true);
    expect(await manual.keeper.resupply('t2', sample(600), low)).toEqual({ ok: false, reason: 'STOCK_LOW: stock:Ni holds 100 µL usable, 600 µL needed; refill it and resume' });
    manual.keeper.refill('Ni', { toListed: true }, 'alice');
    expect(await manual.keeper.resupply('t2', sample(600), low)).toEqual({ ok: true });
    expect(manual.keeper.retries('t2')).toBe(1);

    const auto = lab(undefined, { autoRefill: true });
    await auto.run('t1', 900);
    await auto.run('t1b', 500);
    expect(await auto.keeper.resupply('t2', sample(600), low)).toEqual({ ok: true });
    expect(auto.ni()).toBe(2000);
    // The hold before dispatch refills too: the trial runs at once.
    await auto.run('t3', 900);
    await auto.run('t3b', 500);
    expect((await auto.run('t4', 600)).status).toBe('completed');
    await auto.bus.flush();
    const refills = auto.docs.flatMap((d) => (d.type === 'stock' && d.payload.kind === 'refill' ? [[d.payload.actor, d.payload.toListed, d.payload.volume_uL]] : []));
    expect(refills).toEqual([['simulated-operator', true, 1400], ['simulated-operator', true, 1400]]);
  });

  it('retries once when a device reports a stock short that the tracker thinks can supply the sample, then pauses', async () => {
    const l = lab(undefined);
    const device = makeFailure('INSUFFICIENT_LIQUID', 'step 2 (transfer): stock:Ni holds 3.0 µL, 600 µL needed');
    expect(await l.keeper.resupply('t1', sample(600), device)).toEqual({ ok: true });
    const again = await l.keeper.resupply('t1', sample(600), device);
    expect(again).toEqual({ ok: false, reason: 'STOCK_LOW: stock:Ni holds 0.0 µL usable, 600 µL needed; refill it and resume' });
    // A failure that is not a stock running out is left to the recovery policy.
    expect(l.keeper.isShortage(makeFailure('INSUFFICIENT_LIQUID', 'plate:p1/A1 ran dry'))).toBe(false);
  });

  it('warns once when a stock holds less than about 8 samples’ mean draw', async () => {
    const l = lab(undefined);
    for (let i = 0; i < 7; i++) await l.run(`t${i}`, 100);
    await l.bus.flush();
    const low = l.docs.flatMap((d) => (d.type === 'stock' && d.payload.kind === 'low' ? [d.payload] : []));
    // After 7 samples of 100 µL: 1,500 − 700 = 800 µL usable is not below 8 × 100; the warning comes with the 8th.
    expect(low).toEqual([]);
    await l.run('t7', 100);
    await l.run('t8', 100);
    await l.bus.flush();
    expect(l.docs.flatMap((d) => (d.type === 'stock' && d.payload.kind === 'low' ? [[d.payload.stock, d.payload.samplesLeft, d.payload.usable_uL]] : []))).toEqual([['Ni', 7, 700]]);
  });

  it('takes an operator’s refill-stock command from the console: recorded, applied, an unknown stock refused', async () => {
    const l = lab(undefined);
    await l.run('t1', 900);
    let notified = 0;
    const commands = new EngineCampaignCommands({
      campaignId: 'c',
      bus: l.bus,
      engine: { state: 'running' } as unknown as Engine,
      executor: { notify: () => void notified++ } as unknown as LabExecutor,
      stocks: l.keeper,
      logger: silentLogger,
    });
    expect(await commands.execute({ action: 'refill-stock', campaignId: 'c', stock: 'Ni', volume_uL: 400, reason: 'topped up' }, 'alice')).toEqual({ accepted: true });
    expect(l.ni()).toBe(1500);
    expect(await commands.execute({ action: 'refill-stock', campaignId: 'c', stock: 'Co', toListed: true }, 'alice')).toEqual({ accepted: false, reason: 'no stock "Co" in this campaign' });
    expect(notified).toBe(1);
    await l.bus.flush();
    const record = l.docs.flatMap((d): unknown[][] => (d.type === 'operatorAction' ? [[d.payload.action, d.payload.target, d.payload.accepted]] : d.type === 'stock' && d.payload.kind === 'refill' ? [[d.payload.actor, d.payload.volume_uL, d.payload.reason]] : []));
    expect(record).toEqual([['refill-stock', 'stock:Ni', true], ['alice', 400, 'topped up'], ['refill-stock', 'stock:Co', false]]);
  });
});
