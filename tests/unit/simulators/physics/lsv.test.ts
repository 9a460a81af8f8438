import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/index.ts';
import { electrodeFromFilm, diskResistance, type ElectrodeModel } from '../../../../simulators/physics/electrode.ts';
import { instrumentModel } from '../../../../simulators/physics/instrument.ts';
import { solveInterface } from '../../../../simulators/physics/kinetics.ts';
import { exchangeCurrent, type FilmProperties } from '../../../../simulators/physics/landscape.ts';
import { lsvDuration, simulateCv, simulateLsv } from '../../../../simulators/physics/lsv.ts';
import type { MeasureContext } from '../../../../simulators/physics/measure-context.ts';

const film = (over: Partial<FilmProperties> = {}): FilmProperties => {
  const f: FilmProperties = {
    eta10_V: 0.3,
    tafel_mV_dec: 40,
    j0_A_cm2: 0,
    cdl_F_cm2: 1e-3,
    niRedoxCharge_mC_cm2: 5,
    niRedoxPotential_V_RHE: 1.4,
    filmResistance_ohm: 0.2,
    bubbleOnset_mA_cm2: 30,
    stabilityDrift_mV_h: 10,
    ...over,
  };
  return { ...f, j0_A_cm2: exchangeCurrent(f.eta10_V, f.tafel_mV_dec) };
};
const exact = (over: Partial<Parameters<typeof instrumentModel>[0]> = {}): MeasureContext => ({
  instrument: instrumentModel(over),
  referenceOffset_V_RHE: 0.926,
  referenceError_V: 0,
  t0_s: 0,
});
const LSV = { start_V_RHE: 1.0, end_V_RHE: 1.8, scanRate_V_s: 0.005, step_V: 0.001 };

describe('interface solver', () => {
  it('satisfies E_applied − 1.229 = η + j·A·Ru with Butler–Volmer kinetics', () => {
    const m = electrodeFromFilm(film(), 0.0707);
    for (const e of [1.2, 1.45, 1.53, 1.6, 1.8]) {
      const s = solveInterface(e, 1, 0.005, m);
      expect(s.eta + s.j * m.area * m.ru_ohm).toBeCloseTo(e - 1.229, 9);
    }
    // Without iR and capacitance the Tafel line passes through 10 mA/cm² at eta10.
    const bare: ElectrodeModel = { ...m, ru_ohm: 0, cdl_F_cm2: 0, niCharge_C_cm2: 0 };
    expect(solveInterface(1.229 + 0.3, 1, 0, bare).j).toBeCloseTo(0.01, 6);
  });

  it('gives Ru ≈ 8 Ω for a 3 mm disk in 1 M KOH', () => {
    expect(diskResistance(Math.PI * 0.15 ** 2)).toBeGreaterThan(7);
    expect(diskResistance(Math.PI * 0.15 ** 2)).toBeLessThan(9);
  });
});

describe('LSV', () => {
  it('samples 1 mV steps over 1.0–1.8 V in 160 s, reported against the reference electrode', () => {
    const m = electrodeFromFilm(film(), 0.0707);
    const d = simulateLsv(m, LSV, exact());
    expect(d.arrays['Ewe_V']).toHaveLength(801);
    expect(d.duration_s).toBeCloseTo(160, 9);
    expect(lsvDuration(LSV)).toBeCloseTo(160, 9);
    expect(d.arrays['t_s']?.at(-1)).toBeCloseTo(160, 9);
    expect(d.arrays['Ewe_V']?.[0]).toBeCloseTo(1.0 - 0.926, 6);
    expect(d.flags).toEqual([]);
  });

  it('shows the capacitive current, the Ni pre-wave holding its charge, and a Tafel rise', () => {
    const m = electrodeFromFilm(film({ eta10_V: 0.34, niRedoxCharge_mC_cm2: 5 }), 0.0707);
    const d = simulateLsv(m, LSV, exact());
    const e = (d.arrays['Ewe_V'] as number[]).map((v) => v + 0.926);
    const j = (d.arrays['I_A'] as number[]).map((i) => i / m.area);
    const jc = m.cdl_F_cm2 * LSV.scanRate_V_s;
    expect(j[10]).toBeCloseTo(jc, 7);
    // Integrate the pre-wave over 1.25–1.47 V (±3.9σ) (excess over the capacitive current) → its charge.
    let q = 0;
    for (let k = 1; k < e.length; k++) if ((e[k] as number) > 1.25 && (e[k] as number) < 1.47) q += ((j[k] as number) - jc) * (LSV.step_V / LSV.scanRate_V_s);
    expect(q).toBeGreaterThan(0.9 * m.niCharge_C_cm2);
    expect(q).toBeLessThan(1.1 * m.niCharge_C_cm2);
    expect(Math.max(...j)).toBeGreaterThan(0.1);
  });

  it('clips and flags an overload at the current limit', () => {
    const m = electrodeFromFilm(film(), 0.0707);
    const d = simulateLsv(m, LSV, exact({ currentLimit_A: 0.005 }));
    expect(d.flags).toContain('overload');
    expect(Math.max(...(d.arrays['I_A'] as number[]))).toBeLessThanOrEqual(0.005 + 1e-12);
  });

  it('quantises currents to the active range and adds bubble noise above the onset only', () => {
    const m = electrodeFromFilm(film({ bubbleOnset_mA_cm2: 20 }), 0.0707);
    const clean = simulateLsv(m, LSV, exact());
    const noisy = simulateLsv(m, LSV, exact({ rng: new Rng(3) }));
    const rel = (k: number) => Math.abs((noisy.arrays['I_A']?.[k] as number) / (clean.arrays['I_A']?.[k] as number) - 1);
    const e = (clean.arrays['Ewe_V'] as number[]).map((v) => v + 0.926);
    const j = (clean.arrays['I_A'] as number[]).map((i) => (i / m.area) * 1000);
    const below = e.map((_, k) => k).filter((k) => (j[k] as number) > 2 && (j[k] as number) < 15);
    const above = e.map((_, k) => k).filter((k) => (j[k] as number) > 60);
    const mean = (ks: number[]) => ks.reduce((s, k) => s + rel(k), 0) / ks.length;
    expect(mean(below)).toBeLessThan(0.01);
    expect(mean(above)).toBeGreaterThan(3 * mean(below));
    // 16-bit autorange: a 1 mA reading sits on a 10 mA range grid.
    const lsb = 0.01 / 2 ** 15;
    const k = j.findIndex((v) => v > 14);
    const reading = clean.arrays['I_A']?.[k] as number;
    expect(Math.abs(reading / lsb - Math.round(reading / lsb))).toBeLessThan(1e-6);
  });

  it('runs CV conditioning cycles with an anodic and a cathodic Ni peak', () => {
    const m = electrodeFromFilm(film({ niRedoxCharge_mC_cm2: 8 }), 0.0707);
    const d = simulateCv(m, { start_V_RHE: 1.0, vertex_V_RHE: 1.55, scanRate_V_s: 0.05, step_V: 0.005, cycles: 3 }, exact());
    expect(d.duration_s).toBeCloseTo(66, 9);
    expect(new Set(d.arrays['cycle'])).toEqual(new Set([1, 2, 3]));
    const i = d.arrays['I_A'] as number[];
    expect(Math.min(...i)).toBeLessThan(-1e-4);
    expect(Math.max(...i)).toBeGreaterThan(1e-4);
  });
});
