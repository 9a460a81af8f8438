import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/index.ts';
import { exchangeCurrent } from '../../../../simulators/physics/landscape.ts';
import { NO_NOISE, REALISTIC_NOISE, realiseElectrode } from '../../../../simulators/physics/run-variation.ts';

const film = {
  eta10_V: 0.35,
  tafel_mV_dec: 50,
  j0_A_cm2: exchangeCurrent(0.35, 50),
  cdl_F_cm2: 1e-3,
  niRedoxCharge_mC_cm2: 2,
  niRedoxPotential_V_RHE: 1.4,
  filmResistance_ohm: 0.2,
  bubbleOnset_mA_cm2: 30,
  stabilityDrift_mV_h: 10,
};

describe('run-to-run variation', () => {
  it('changes nothing without noise', () => {
    const { electrode, variation } = realiseElectrode(film, 0.0707, new Rng(1), NO_NOISE, 0);
    expect(variation).toEqual({ etaShift_V: 0, outlier: false, noiseScale: 1 });
    expect(electrode.j0_A_cm2).toBeCloseTo(film.j0_A_cm2, 20);
  });

  it('scatters η heavy-tailed (≈ 11 mV per sample before batch and reference effects) with ≈ 2 % outliers', () => {
    const rng = new Rng(2);
    const shifts: number[] = [];
    let outliers = 0;
    for (let i = 0; i < 5000; i++) {
      const { variation } = realiseElectrode(film, 0.0707, rng, REALISTIC_NOISE, 0);
      if (variation.outlier) outliers++;
      else shifts.push(variation.etaShift_V);
    }
    expect(outliers / 5000).toBeGreaterThan(0.013);
    expect(outliers / 5000).toBeLessThan(0.027);
    const sd = Math.sqrt(shifts.reduce((s, v) => s + v * v, 0) / shifts.length);
    expect(sd).toBeGreaterThan(0.009);
    expect(sd).toBeLessThan(0.014);
    const kurtosis = shifts.reduce((s, v) => s + v ** 4, 0) / shifts.length / sd ** 4;
    expect(kurtosis).toBeGreaterThan(4); // Student-t(4): heavier tails than a Gaussian (3)
  });
});
