import { describe, expect, it } from 'vitest';
import { DeviceError, makeFailure, type Curve } from '../../src/domain/index.ts';
import { InstantClock, ScaledClock } from '../../simulators/clock.ts';
import type { FaultInjector } from '../../simulators/fault-injector.ts';
import { NO_NOISE } from '../../simulators/physics/run-variation.ts';
import { trueEta10 } from '../../simulators/physics/oer-landscape.ts';
import { cvPeaks, extractFeatures } from '../../models/analysis/index.ts';
import { randlesSevcik } from '../../simulators/physics/diffusion.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { PotentiostatSimBackend } from '../../simulators/potentiostat-sim.ts';
import { potentiostatBackendContract } from './potentiostat-backend.contract.ts';
import { fillCellWithRecipe, simulatedWorld } from '../helpers/opcua-station.ts';

potentiostatBackendContract('in-process simulator', async () => {
  const world = simulatedWorld();
  const backend = new PotentiostatSimBackend({ deviceId: 'ps-contract', cellId: 'c1', world, clock: new ScaledClock(4000), seed: 11 });
  return {
    backend,
    cell: 'c1',
    fillCell: (r) => fillCellWithRecipe(world, 'c1', r),
    emptyCell: () => world.emptyCell('c1'),
    close: async () => {},
  };
});

describe('PotentiostatSimBackend specifics', () => {
  const run = { technique: 'OER_Screen_v1' as const, cell: 'c1', params: { depositionCharge_mC_cm2: 30, annealTemperature: 100 }, sample: {} };
  const recipe = { Ni: 0.6, Fe: 0.2, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 50, complexant: 5, depositionCharge_mC_cm2: 30, annealTemperature: 100 };
  const make = (seed: number, faults?: FaultInjector) => {
    const world = simulatedWorld();
    fillCellWithRecipe(world, 'c1', recipe);
    return new PotentiostatSimBackend({ deviceId: 'ps', cellId: 'c1', world, clock: new InstantClock(), seed, ...(faults ? { faults } : {}) });
  };
  const signal = new AbortController().signal;

  it('is reproducible: the same seed gives the same curves, another seed other noise', async () => {
    const a = await make(3).runTechnique(run, { commandId: 'x', signal });
    const b = await make(3).runTechnique(run, { commandId: 'x', signal });
    const c = await make(4).runTechnique(run, { commandId: 'x', signal });
    expect(b.curves).toEqual(a.curves);
    expect(c.curves[3]?.arrays['I_A']).not.toEqual(a.curves[3]?.arrays['I_A']);
  });

  it('reports an injected fault with its code after a truncated run', async () => {
    const faults: FaultInjector = { check: (s) => (s.call === 1 ? makeFailure('REFERENCE_DRIFT', 'forced') : undefined) };
    const backend = make(5, faults);
    const err = await backend.runTechnique(run, { commandId: 'f1', signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).failure.code).toBe('REFERENCE_DRIFT');
    expect((await backend.lookup('f1'))?.instrumentFlags).toContain('truncated');
    expect((await backend.runTechnique(run, { commandId: 'f2', signal })).status).toBe('succeeded');
  });

  it('takes the realistic duration on the virtual clock (≈ 9 min for the OER screen)', async () => {
    const clock = new InstantClock();
    const world = simulatedWorld();
    fillCellWithRecipe(world, 'c1', recipe);
    const backend = new PotentiostatSimBackend({ deviceId: 'ps', cellId: 'c1', world, clock });
    const r = await backend.runTechnique(run, { commandId: 'd', signal });
    expect(clock.now()).toBeCloseTo(r.duration_s, 6);
    expect(r.duration_s).toBeGreaterThan(450);
    expect(r.duration_s).toBeLessThan(700);
  });
});

describe('EchemStationCore run-to-run variation', () => {
  it('shares one offset across the runs of an electrolyte batch and changes it with the next batch', async () => {
    const recipe = { Ni: 0.6, Fe: 0.2, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 50, complexant: 5, depositionCharge_mC_cm2: 30, annealTemperature: 100 };
    const world = simulatedWorld();
    fillCellWithRecipe(world, 'c1', recipe);
    const backend = new PotentiostatSimBackend({
      deviceId: 'ps',
      cellId: 'c1',
      world,
      clock: new InstantClock(),
      seed: 8,
      noise: { ...NO_NOISE, batchSigma_V: 0.01 },
      runsPerElectrolyteBatch: 3,
    });
    const eta: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await backend.runTechnique({ technique: 'LSV', cell: 'c1', params: { depositionCharge_mC_cm2: 30, annealTemperature: 100 }, sample: {} }, { commandId: `b${i}`, signal: new AbortController().signal });
      eta.push(extractFeatures({ ...r, conditions: { ...r.conditions } }).features['eta10_V'] as number);
    }
    expect(eta[1]).toBeCloseTo(eta[0] as number, 6);
    expect(eta[2]).toBeCloseTo(eta[0] as number, 6);
    expect(eta[4]).toBeCloseTo(eta[3] as number, 6);
    expect(Math.abs((eta[3] as number) - (eta[0] as number))).toBeGreaterThan(1e-4);
    expect(Math.abs((eta[0] as number) - trueEta10(recipe))).toBeLessThan(0.04);
  });
});

describe('calibration with a redox standard', () => {
  it('gives diffusion-controlled CV peaks (Randles–Sevcik within 3 %) for 5 mM ferrocyanide, not NO_FILM', async () => {
    const world = new SimulatedWorld([
      { name: 'ferro', species: 'ferrocyanide', concentration: 50, volume: 1e6 },
      { name: 'water', species: 'water', concentration: 1, volume: 1e6 },
    ]);
    world.move('stock:ferro', 'cell:c1', 200);
    world.move('stock:water', 'cell:c1', 1800);
    const backend = new PotentiostatSimBackend({ deviceId: 'ps', cellId: 'c1', world, clock: new InstantClock(), noise: NO_NOISE });
    const r = await backend.runTechnique(
      { technique: 'CV', cell: 'c1', params: { start_V_RHE: 0.9, vertex_V_RHE: 1.5, scanRate_V_s: 0.05, step_V: 0.001, cycles: 1 }, sample: {} },
      { commandId: 'cal-1', signal: new AbortController().signal },
    );
    const peaks = cvPeaks(r.curves[0] as Curve, r.conditions.referenceOffset_V_RHE);
    const rs = randlesSevcik(1, 0.0707, 5, 6.5e-6, 0.05);
    expect(Math.abs((peaks?.ipa_A as number) / rs - 1)).toBeLessThan(0.03);
    expect((peaks?.dEp_V as number) * 1000).toBeGreaterThan(56);
    expect((peaks?.dEp_V as number) * 1000).toBeLessThan(66);
    expect(peaks?.E12_V_RHE).toBeCloseTo(0.36 + 0.05916 * 14, 2);
  });
});
