import { describe, expect, it } from 'vitest';
import type { EchemResult } from '../../../../src/domain/index.ts';
import { extractFeatures } from '../../../../models/analysis/index.ts';
import { InstantClock } from '../../../../simulators/clock.ts';
import { PotentiostatSimBackend } from '../../../../simulators/potentiostat-sim.ts';
import { NO_NOISE } from '../../../../simulators/physics/run-variation.ts';
import { defaultOerLandscape, trueEta10 } from '../../../../simulators/physics/oer-landscape.ts';
import { sampleFromRecipe } from '../../../../simulators/physics/landscape.ts';
import { fillCellWithRecipe, simulatedWorld } from '../../../helpers/opcua-station.ts';
import { syntheticLsv } from './synthetic-curves.ts';

const conditions = { electrolyte: '1 M KOH', pH: 14, temperature: 25, area: 0.0707, referenceElectrode: 'Hg/HgO', referenceOffset_V_RHE: 0.926 };

describe('extractFeatures', () => {
  it('recovers the landscape η10 (3 mV), Tafel slope (2 mV/dec) and Rs from a noise-free simulated OER screen', async () => {
    const world = simulatedWorld();
    const backend = new PotentiostatSimBackend({ deviceId: 'ps', cellId: 'c', world, clock: new InstantClock(), noise: NO_NOISE });
    for (const recipe of [
      { Ni: 0.77, Fe: 0.23, Co: 0, Ce: 0, Mn: 0, totalMetal: 50, complexant: 0, depositionCharge_mC_cm2: 20, annealTemperature: 100 },
      { Ni: 0.1, Fe: 0.1, Co: 0.2, Ce: 0.3, Mn: 0.3, totalMetal: 80, complexant: 30, depositionCharge_mC_cm2: 100, annealTemperature: 300 },
    ]) {
      fillCellWithRecipe(world, 'c', recipe);
      const result = await backend.runTechnique(
        { technique: 'OER_Screen_v1', cell: 'c', params: { depositionCharge_mC_cm2: recipe.depositionCharge_mC_cm2, annealTemperature: recipe.annealTemperature }, sample: {} },
        { commandId: `c-${recipe.Ni}`, signal: new AbortController().signal },
      );
      const { features, flags } = extractFeatures(result);
      const film = defaultOerLandscape.evaluate(sampleFromRecipe(recipe)).film;
      expect(Math.abs((features['eta10_V'] as number) - trueEta10(recipe))).toBeLessThan(0.003);
      expect(Math.abs((features['tafel_mV_dec'] as number) - film.tafel_mV_dec)).toBeLessThan(2);
      expect(features['Rs_ohm']).toBeCloseTo(result.conditions.uncompensatedResistance as number, 2);
      expect(features['Rct_ohm']).toBeGreaterThan(0);
      expect(features['Cdl_F']).toBeGreaterThan(0);
      expect(features['ocp_V_RHE']).toBeGreaterThan(1.1);
      expect(flags).toEqual([]);
    }
  });

  it('falls back to the reported Ru without PEIS, and flags a result without LSV', () => {
    const c = syntheticLsv({ eta10_V: 0.31, tafel_mV_dec: 40, rs_ohm: 9, area: 0.0707, offset_V: 0.926 });
    const base: EchemResult = {
      schema: 'sdl.result.echem.v1',
      runId: 'r',
      commandId: 'c',
      status: 'succeeded',
      conditions: { ...conditions, uncompensatedResistance: 9 },
      curves: [{ technique: 'LSV', arrays: c, params: { targetCurrentDensity: 10 } }],
      instrumentFlags: ['overload'],
      duration_s: 160,
    };
    const f = extractFeatures(base);
    expect(f.features['Rs_ohm']).toBe(9);
    expect(f.features['eta10_V']).toBeCloseTo(0.31, 3);
    expect(f.flags).toContain('overload');
    const none = extractFeatures({ ...base, conditions, curves: [] });
    expect(none.flags).toEqual(expect.arrayContaining(['no_lsv', 'no_ir_correction']));
    expect(none.features['eta10_V']).toBeUndefined();
  });
});
