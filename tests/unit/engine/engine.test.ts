import { describe, expect, it } from 'vitest';
import { silentLogger, type Recipe } from '../../../src/domain/index.ts';
import { LiquidHandler } from '../../../src/devices/liquid-handler.ts';
import { Potentiostat } from '../../../src/devices/potentiostat.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { Station } from '../../../src/engine/station.ts';
import { oerScreenPlan } from '../../../src/plans/index.ts';
import { DocumentBus, type LabDocument, type MeasurementRecord } from '../../../src/protocol/index.ts';
import { SafetyGate } from '../../../src/safety/safety-gate.ts';
import { InstantClock } from '../../../simulators/clock.ts';
import { FakeLiquidHandlerBackend, FakePotentiostatBackend } from '../../helpers/fake-backends.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';

function setup(opts: { quarantineAfter?: number; maxRetries?: number; lowNi?: boolean } = {}) {
  const spec = defaultSpec();
  const bus = new DocumentBus();
  const docs: LabDocument[] = [];
  bus.subscribe((d) => void docs.push(d));
  const measurements: MeasurementRecord[] = [];
  let n = 0;
  const lhBackend = new FakeLiquidHandlerBackend();
  const psBackend = new FakePotentiostatBackend();
  // lowNi: the liquid handler's Ni reservoir holds 520 µL, 20 µL above its dead volume.
  const stocks = opts.lowNi ? spec.stocks.map((s) => (s.name === 'Ni' ? { ...s, volume: 520 } : s)) : spec.stocks;
  const station = new Station('pair1', 'pair1', new LiquidHandler(lhBackend, stocks), new Potentiostat(psBackend));
  const gate = new SafetyGate(spec);
  const engine = new Engine({
    campaignId: 'c1',
    bus,
    clock: new InstantClock(),
    logger: silentLogger,
    newId: () => `id${++n}`,
    gate,
    analyse: () => ({ features: { eta10_V: 0.31, tafel_mV_dec: 40 }, flags: [] }),
    measurements: { write: async (m) => void measurements.push(m) },
    objectives: spec.objectives,
    policy: { maxRetries: opts.maxRetries ?? 1, quarantineAfter: opts.quarantineAfter ?? 3, replyTimeout_s: 5, overrunFactor: 2 },
  });
  engine.start();
  const run = (recipe: Recipe = goodRecipe) => {
    const verdict = gate.checkRecipe(recipe);
    if (!verdict.allowed) throw new Error(verdict.reasons.join());
    return engine.runTrial({ trialId: 't1', recipe: verdict.recipe, attempt: 0 }, station, oerScreenPlan({ trialId: 't1', recipe: verdict.recipe, sample: verdict.sample, cell: 'pair1', protocol: spec.protocol }));
  };
  return { engine, station, docs, measurements, lhBackend, psBackend, run, bus };
}

describe('engine', () => {
  it('runs the OER screen plan: wash, prepare, measure, wash; records documents and measurements', async () => {
    const { run, docs, measurements, lhBackend, psBackend, station, bus } = setup();
    const outcome = await run();
    await bus.flush();
    expect(outcome).toMatchObject({ status: 'completed', objectives: { eta10: 0.31 } });
    expect(lhBackend.received.map((r) => r.op.kind)).toEqual(['wash_cell', 'run_protocol', 'wash_cell']);
    expect(new Set(lhBackend.received.map((r) => r.commandId)).size).toBe(3);
    expect(psBackend.received[0]).toMatchObject({ technique: 'OER_Screen_v1', cell: 'pair1', params: { depositionCharge_mC_cm2: 40, annealTemperature: 200 } });
    expect(measurements).toHaveLength(1);
    expect(measurements[0]?.arrays.I_A).toEqual([0, 0.0005, 0.001]);
    const types = docs.map((d) => d.type);
    expect(types).toEqual(['runStart', 'stationState', 'descriptor', 'event', 'runStop', 'stationState']);
    expect(docs.map((d) => d.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(station.available).toBe(true);
  });

  it('retries a retryable device fault with a new command id and records the fault', async () => {
    const { run, docs, lhBackend, bus } = setup();
    lhBackend.failures.push('TIP_PICKUP_FAILED');
    const outcome = await run();
    await bus.flush();
    expect(outcome.status).toBe('completed');
    expect(docs.filter((d) => d.type === 'fault')).toHaveLength(1);
    expect(lhBackend.received[0]?.commandId).not.toBe(lhBackend.received[1]?.commandId);
  });

  it('fails a trial on a chemistry failure, still cleans the cell, and does not count it against the station', async () => {
    const { run, psBackend, lhBackend, station } = setup();
    psBackend.failures = ['NO_FILM'];
    const outcome = await run();
    expect(outcome).toMatchObject({ status: 'failed', failure: { code: 'NO_FILM', retryable: false } });
    expect(lhBackend.received.map((r) => r.op.kind)).toEqual(['wash_cell', 'run_protocol', 'wash_cell']);
    expect(station.consecutiveFaults).toBe(0);
  });

  it('records a stock running out as a fault but no fault of the station: no retry, no quarantine (ADR 0113)', async () => {
    const { run, lhBackend, psBackend, station, docs, bus } = setup({ lowNi: true, quarantineAfter: 1, maxRetries: 3 });
    const outcome = await run();
    await bus.flush();
    expect(outcome.status).toBe('failed');
    expect(outcome.status === 'failed' && outcome.failure.code).toBe('INSUFFICIENT_LIQUID');
    expect(outcome.status === 'failed' && outcome.failure.message).toMatch(/stock:Ni has 20\.0 µL usable/);
    // The frontend refused the sample before motion: only the washes reached the device, no measurement ran.
    expect(lhBackend.received.map((r) => r.op.kind)).toEqual(['wash_cell', 'wash_cell']);
    expect(psBackend.received).toEqual([]);
    expect(station.quarantined).toBe(false);
    expect(station.consecutiveFaults).toBe(0);
    expect(docs.filter((d) => d.type === 'fault').map((d) => d.type === 'fault' && d.payload.failure.code)).toEqual(['INSUFFICIENT_LIQUID']);
  });

  it('quarantines a station after K consecutive device faults', async () => {
    const { run, psBackend, station, docs, bus } = setup({ quarantineAfter: 2, maxRetries: 3 });
    psBackend.failures = ['OPEN_CIRCUIT', 'OPEN_CIRCUIT', 'OPEN_CIRCUIT'];
    const outcome = await run();
    await bus.flush();
    expect(outcome).toMatchObject({ status: 'failed', failure: { code: 'OPEN_CIRCUIT' } });
    expect(station.quarantined).toBe(true);
    expect(docs.some((d) => d.type === 'stationState' && d.payload.quarantined)).toBe(true);
  });

  it('counts faults per device: liquid-handler successes in between do not hide a failing potentiostat', async () => {
    const { run, psBackend, station } = setup({ quarantineAfter: 2, maxRetries: 0 });
    psBackend.failures = ['OPEN_CIRCUIT', 'OPEN_CIRCUIT'];
    expect((await run()).status).toBe('failed');
    expect(station.quarantined).toBe(false);
    expect((await run()).status).toBe('failed');
    expect(station.quarantined).toBe(true);
  });

  it('interprets a missing η10 with the "target current not reached" flag as an insulating film', async () => {
    const s = setup();
    (s.engine as unknown as { deps: { analyse: unknown } }).deps.analyse = () => ({ features: {}, flags: ['target_current_not_reached'] });
    const outcome = await s.run();
    expect(outcome).toMatchObject({ status: 'failed', failure: { code: 'INSULATING_FILM' } });
  });

  it('holds dispatches while paused and aborts in-flight work', async () => {
    const { engine, run, lhBackend } = setup();
    engine.pause();
    const pending = run();
    await new Promise((r) => setTimeout(r, 50));
    expect(lhBackend.received).toHaveLength(0);
    engine.resume();
    expect((await pending).status).toBe('completed');
    engine.abort('test');
    const outcome = await run();
    expect(outcome).toMatchObject({ status: 'aborted', failure: { code: 'ABORTED' } });
  });
});
