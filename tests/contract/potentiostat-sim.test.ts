import { describe, expect, it } from 'vitest';
import { DeviceError, makeFailure } from '../../src/domain/index.ts';
import { InstantClock, ScaledClock } from '../../simulators/clock.ts';
import type { FaultInjector } from '../../simulators/fault-injector.ts';
import { NO_NOISE } from '../../simulators/physics/run-variation.ts';
import { trueEta10 } from '../../simulators/physics/oer-landscape.ts';
import { extractFeatures } from '../../models/analysis/index.ts';
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
