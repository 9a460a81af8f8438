import { describe, expect, it } from 'vitest';
import { electrodeFromFilm } from '../../../../simulators/physics/electrode.ts';
import { circuitAtBias, eisFrequencies, peisDuration, randlesCpeImpedance, simulatePeis } from '../../../../simulators/physics/eis.ts';
import { instrumentModel } from '../../../../simulators/physics/instrument.ts';
import { solveInterface } from '../../../../simulators/physics/kinetics.ts';
import { exchangeCurrent } from '../../../../simulators/physics/landscape.ts';

const film = {
  eta10_V: 0.3,
  tafel_mV_dec: 40,
  j0_A_cm2: exchangeCurrent(0.3, 40),
  cdl_F_cm2: 1e-3,
  niRedoxCharge_mC_cm2: 0,
  niRedoxPotential_V_RHE: 1.4,
  filmResistance_ohm: 0,
  bubbleOnset_mA_cm2: 30,
  stabilityDrift_mV_h: 10,
};
const P = { bias_V_RHE: 1.5, freqHigh_Hz: 1e5, freqLow_Hz: 0.1, pointsPerDecade: 10, amplitude_V: 0.01 };

describe('PEIS', () => {
  it('goes from Rs at high frequency to Rs + Rct at low frequency, with Zim negative in between', () => {
    const c = { rs_ohm: 8, rct_ohm: 20, q: 1e-4, alpha: 0.9, inductance_H: 0 };
    expect(randlesCpeImpedance(c, 1e7)[0]).toBeCloseTo(8, 1);
    expect(randlesCpeImpedance(c, 1e-4)[0]).toBeCloseTo(28, 1);
    expect(randlesCpeImpedance(c, 50)[1]).toBeLessThan(0);
  });

  it('has Rct consistent with the Tafel slope: Rct·A = b/(2.303·j)', () => {
    const m = electrodeFromFilm(film, 0.0707);
    const c = circuitAtBias(m, 1.5);
    const s = solveInterface(1.5, 1, 0, m);
    expect(c.rct_ohm * m.area).toBeCloseTo(0.04 / (Math.LN10 * s.jFaradaic), 4);
    expect(c.rs_ohm).toBe(m.ru_ohm);
  });

  it('sweeps 100 kHz → 0.1 Hz at 10 points per decade in 2–4 minutes', () => {
    expect(eisFrequencies(P)).toHaveLength(61);
    expect(eisFrequencies(P)[0]).toBe(1e5);
    expect(eisFrequencies(P).at(-1)).toBeCloseTo(0.1, 9);
    expect(peisDuration(P)).toBeGreaterThan(120);
    expect(peisDuration(P)).toBeLessThan(240);
    const d = simulatePeis(electrodeFromFilm(film, 0.0707), P, { instrument: instrumentModel(), referenceOffset_V_RHE: 0.926, referenceError_V: 0, t0_s: 100 });
    expect(d.arrays['Zre_ohm']).toHaveLength(61);
    expect(d.arrays['t_s']?.at(-1)).toBeCloseTo(100 + d.duration_s, 9);
  });
});
