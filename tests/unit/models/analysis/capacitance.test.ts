import { describe, expect, it } from 'vitest';
import type { Curve } from '../../../../src/domain/index.ts';
import { capacitanceFromScanRates } from '../../../../models/analysis/capacitance.ts';
import { electrodeFromFilm } from '../../../../simulators/physics/electrode.ts';
import { instrumentModel } from '../../../../simulators/physics/instrument.ts';
import { exchangeCurrent } from '../../../../simulators/physics/landscape.ts';
import { simulateCv } from '../../../../simulators/physics/lsv.ts';

describe('Cdl from a scan-rate series', () => {
  it('recovers the double-layer capacitance from non-Faradaic CVs at five scan rates', () => {
    const film = {
      eta10_V: 0.35,
      tafel_mV_dec: 40,
      j0_A_cm2: exchangeCurrent(0.35, 40),
      cdl_F_cm2: 8e-4,
      niRedoxCharge_mC_cm2: 0,
      niRedoxPotential_V_RHE: 1.4,
      filmResistance_ohm: 0,
      bubbleOnset_mA_cm2: 30,
      stabilityDrift_mV_h: 0,
    };
    const m = electrodeFromFilm(film, 0.0707);
    const ctx = { instrument: instrumentModel(), referenceOffset_V_RHE: 0.926, referenceError_V: 0, t0_s: 0 };
    const curves: Curve[] = [0.01, 0.02, 0.05, 0.1, 0.2].map((v) => {
      const p = { start_V_RHE: 0.95, vertex_V_RHE: 1.15, scanRate_V_s: v, step_V: 0.002, cycles: 2 };
      return { technique: 'CV', arrays: simulateCv(m, p, ctx).arrays, params: p };
    });
    const fit = capacitanceFromScanRates(curves, 1.05 - 0.926);
    expect(fit?.scanRates).toHaveLength(5);
    expect(Math.abs((fit?.cdl_F as number) / (8e-4 * 0.0707) - 1)).toBeLessThan(0.02);
    expect(fit?.r2).toBeGreaterThan(0.999);
    expect(capacitanceFromScanRates(curves.slice(0, 1), 0.1)).toBeUndefined();
  });
});
