import { describe, expect, it } from 'vitest';
import { lsvFeatures } from '../../../../models/analysis/lsv-features.ts';
import { fitTafel } from '../../../../models/analysis/tafel.ts';
import { syntheticLsv } from './synthetic-curves.ts';

const AREA = 0.0707;
const OFFSET = 0.926;

describe('LSV features on synthetic curves with known parameters (no noise)', () => {
  for (const [eta10, b, rs] of [
    [0.28, 30, 8],
    [0.3, 40, 8],
    [0.35, 60, 12],
    [0.42, 100, 5],
    [0.5, 120, 20],
  ] as const) {
    it(`recovers η10 = ${eta10} V within 3 mV and b = ${b} mV/dec within 2 mV/dec (Rs ${rs} Ω)`, () => {
      const c = syntheticLsv({ eta10_V: eta10, tafel_mV_dec: b, rs_ohm: rs, area: AREA, offset_V: OFFSET, capacitive_mA_cm2: 0.005 });
      const { features, flags } = lsvFeatures({ ewe_V: c.Ewe_V, i_A: c.I_A, area: AREA, referenceOffset_V_RHE: OFFSET, rs_ohm: rs });
      expect(Math.abs((features['eta10_V'] as number) - eta10)).toBeLessThan(0.003);
      expect(Math.abs((features['tafel_mV_dec'] as number) - b)).toBeLessThan(2);
      expect(features['tafel_r2']).toBeGreaterThan(0.999);
      expect(features['eta10_uncorrected_V'] as number).toBeGreaterThan(features['eta10_V'] as number);
      expect(Math.abs((features['iR_drop_at_eta10_V'] as number) / (0.01 * AREA * rs) - 1)).toBeLessThan(0.03);
      // onset at 1 mA/cm²: one decade below the target on the Tafel line
      expect(features['onset_V_RHE']).toBeCloseTo(1.229 + eta10 - b / 1000, 2);
      expect(flags).toEqual([]);
    });
  }

  it('sets target_current_not_reached (and no eta10_V) when the curve never reaches the target', () => {
    const c = syntheticLsv({ eta10_V: 0.7, tafel_mV_dec: 120, rs_ohm: 8, area: AREA, offset_V: OFFSET });
    const { features, flags } = lsvFeatures({ ewe_V: c.Ewe_V, i_A: c.I_A, area: AREA, referenceOffset_V_RHE: OFFSET, rs_ohm: 8 });
    expect(features['eta10_V']).toBeUndefined();
    expect(flags).toContain('target_current_not_reached');
    expect(features['jmax_mA_cm2']).toBeLessThan(10);
  });

  it('honours another target current density', () => {
    const c = syntheticLsv({ eta10_V: 0.3, tafel_mV_dec: 40, rs_ohm: 8, area: AREA, offset_V: OFFSET });
    const { features } = lsvFeatures({ ewe_V: c.Ewe_V, i_A: c.I_A, area: AREA, referenceOffset_V_RHE: OFFSET, rs_ohm: 8 }, { targetCurrentDensity: 100 });
    expect(features['eta10_V']).toBeCloseTo(0.34, 3);
  });

  it('flags noisy curves, stays accurate under 0.5 % noise, and flags NaN points', () => {
    const quiet = syntheticLsv({ eta10_V: 0.32, tafel_mV_dec: 45, rs_ohm: 8, area: AREA, offset_V: OFFSET, noise: 0.005 });
    const q = lsvFeatures({ ewe_V: quiet.Ewe_V, i_A: quiet.I_A, area: AREA, referenceOffset_V_RHE: OFFSET, rs_ohm: 8 });
    expect(Math.abs((q.features['eta10_V'] as number) - 0.32)).toBeLessThan(0.003);
    expect(q.flags).not.toContain('noisy');
    const loud = syntheticLsv({ eta10_V: 0.32, tafel_mV_dec: 45, rs_ohm: 8, area: AREA, offset_V: OFFSET, noise: 0.08 });
    loud.I_A[500] = Number.NaN;
    const l = lsvFeatures({ ewe_V: loud.Ewe_V, i_A: loud.I_A, area: AREA, referenceOffset_V_RHE: OFFSET, rs_ohm: 8 });
    expect(l.flags).toEqual(expect.arrayContaining(['noisy', 'nan_points']));
    expect(Math.abs((l.features['eta10_V'] as number) - 0.32)).toBeLessThan(0.015);
  });

  it('flags low R² when the rise is not a Tafel line', () => {
    // Ohmic rise: I = (E − 1.45)/R above 1.45 V, curved in log j.
    const e: number[] = [];
    const i: number[] = [];
    for (let k = 0; k <= 800; k++) {
      const E = 1.0 + k * 0.001;
      e.push(E - OFFSET);
      i.push(Math.max(1e-7, (E - 1.45) / 20) + 1e-6);
    }
    const { flags } = lsvFeatures({ ewe_V: e, i_A: i, area: AREA, referenceOffset_V_RHE: OFFSET, rs_ohm: 0 });
    expect(flags).toContain('low_r2');
  });
});

describe('Tafel window', () => {
  it('picks the linear part of a curve that bends at low current', () => {
    const logj: number[] = [];
    const eta: number[] = [];
    for (let k = 0; k <= 300; k++) {
      const l = -2 + k * 0.01; // 0.01 … 10 mA/cm²
      logj.push(l);
      eta.push(0.3 + 0.05 * (l - 1) + (l < -1 ? 0.03 * (l + 1) ** 2 : 0));
    }
    const fit = fitTafel(logj, eta);
    expect(fit?.slope_mV_dec).toBeCloseTo(50, 1);
    expect(fit?.jLow).toBeGreaterThanOrEqual(0.1 - 1e-9);
    expect(fitTafel(logj.slice(0, 20), eta.slice(0, 20))).toBeUndefined();
  });
});
