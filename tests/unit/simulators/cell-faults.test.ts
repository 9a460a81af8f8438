import { describe, expect, it } from 'vitest';
import { Rng, type EchemResult, type Recipe } from '../../../src/domain/index.ts';
import { extractFeatures, lsvFeatures } from '../../../models/analysis/index.ts';
import { RuleFaultInjector, type FaultRule } from '../../../simulators/faults.ts';
import { BubbleCoverage, bubbleCoverageSpec } from '../../../simulators/physics/bubble-coverage.ts';
import { contaminateFilm, ironResponse } from '../../../simulators/physics/contamination.ts';
import { ringingAmplitude } from '../../../simulators/physics/ir-compensation.ts';
import { exchangeCurrent, type FilmProperties } from '../../../simulators/physics/landscape.ts';
import { NO_NOISE, REALISTIC_NOISE, type NoiseProfile } from '../../../simulators/physics/run-variation.ts';
import { measureOnStation } from '../../helpers/faulty-station.ts';

const NIFE: Recipe = { Ni: 0.8, Fe: 0.05, Co: 0.15, Ce: 0, Mn: 0, totalMetal: 40, complexant: 5, depositionCharge_mC_cm2: 40, annealTemperature: 150 };
const AREA = 0.0707;

/** One station measuring `recipe` `runs` times in a row with these forced rules; results and the station's truth. */
const measure = (rules: FaultRule[], o: { runs?: number; noise?: NoiseProfile; seed?: number; recipe?: Recipe; runsPerBatch?: number; params?: Record<string, number> } = {}) =>
  measureOnStation({
    recipes: new Array<Recipe>(o.runs ?? 1).fill(o.recipe ?? NIFE),
    rules,
    noise: o.noise ?? NO_NOISE,
    seed: o.seed ?? 3,
    faultSeed: 1,
    runsPerBatch: o.runsPerBatch,
    params: () => ({ depositionCharge_mC_cm2: 40, annealTemperature: 150, ...o.params }),
    commandPrefix: 'cmd-',
  });

const lsvOf = (r: EchemResult) => r.curves.find((c) => c.technique === 'LSV')!;

describe('IR_COMPENSATION_ERROR: positive feedback with a wrong Ru', () => {
  it('shifts the recorded curve by ΔRc·I at 10 mA/cm²; the recorded Rc and the EIS Rs still give the true η10', async () => {
    const [clean] = await measure([]);
    expect(lsvOf(clean!.result).params['irCompensationFraction']).toBe(0.85);
    for (const f of [0.6, 0.75, 0.93]) { // stable loops (past 95 % it rings: see below)
      const [faulty] = await measure([{ code: 'IR_COMPENSATION_ERROR', nth: [1], magnitude: f }]);
      const ru = faulty!.truth.trueRu_ohm!;
      expect(faulty!.truth.compensatedFraction).toBeCloseTo(f, 9);
      expect(lsvOf(faulty!.result).params['irCompensation_ohm']).toBeCloseTo(f * ru, 9);
      // More compensation reaches 10 mA/cm² at a lower recorded potential: ΔE = −(Rc − Rc_clean)·I10.
      const raw = (r: EchemResult) => extractFeatures(r).features['eta10_uncorrected_V']!;
      const expected = -(f - 0.85) * ru * 0.01 * AREA;
      expect(Math.abs(raw(faulty!.result) - raw(clean!.result) - expected)).toBeLessThan(0.0002);
      expect(Math.abs(extractFeatures(faulty!.result).features['eta10_V']! - extractFeatures(clean!.result).features['eta10_V']!)).toBeLessThan(0.0003);
    }
  });

  it('distorts η10 and the Tafel slope of an analysis that trusts the instrument’s Ru, in proportion to the residual resistance', async () => {
    const features = async (f: number) => {
      const [run] = await measure([{ code: 'IR_COMPENSATION_ERROR', nth: [1], magnitude: f }], { params: { lsvEnd_V_RHE: 2.0 } });
      const lsv = lsvOf(run!.result);
      // The instrument's own Ru (ZIR) minus its recorded compensation: what a lab without EIS would correct.
      const rest = run!.result.conditions.uncompensatedResistance! - lsv.params['irCompensation_ohm']!;
      const input = { ewe_V: lsv.arrays['Ewe_V']!, i_A: lsv.arrays['I_A']!, area: AREA, referenceOffset_V_RHE: run!.result.conditions.referenceOffset_V_RHE, rs_ohm: rest };
      return { f: lsvFeatures(input, { tafelMaxCurrentDensity: 100 }).features, ru: run!.truth.trueRu_ohm! };
    };
    const under = await features(0.6);
    const right = await features(0.85);
    // Under-compensated: (1 − 0.6)·Ru is left, the ZIR-based correction removes 0.15·Ru_ZIR = 0.15·Ru·0.6/0.85; with
    // the right compensation it removes exactly what is left.
    const dR = under.ru * (1 - 0.6 - (0.15 * 0.6) / 0.85);
    expect(Math.abs(under.f['eta10_V']! - right.f['eta10_V']! - dR * 0.01 * AREA)).toBeLessThan(0.0003);
    expect(under.f['tafel_mV_dec']!).toBeGreaterThan(right.f['tafel_mV_dec']! + 0.5);
  });

  it('rings only past ≈ 95 % of Ru: over-compensation lifts the quiet-region noise ten-fold', async () => {
    expect(ringingAmplitude(0.85)).toBe(0);
    expect(ringingAmplitude(0.95)).toBe(0);
    expect(ringingAmplitude(1.0)).toBeGreaterThan(0.04);
    expect(ringingAmplitude(1.4)).toBeGreaterThan(ringingAmplitude(1.1));
    const [clean] = await measure([], { noise: REALISTIC_NOISE, seed: 8 });
    const [ringing] = await measure([{ code: 'IR_COMPENSATION_ERROR', nth: [1], magnitude: 1.2 }], { noise: REALISTIC_NOISE, seed: 8 });
    const quiet = (r: EchemResult) => extractFeatures(r).features['noise_low_rel']!;
    expect(quiet(ringing!.result)).toBeGreaterThan(10 * quiet(clean!.result));
    expect(ringing!.result.status).toBe('succeeded'); // silent: the instrument reports success
  });
});

describe('BUBBLE_COVERAGE: bubbles adhering at high current', () => {
  it('leaves the curve untouched below the threshold and takes current away above it, in a sawtooth', async () => {
    const [clean] = await measure([]);
    const [bubbly] = await measure([{ code: 'BUBBLE_COVERAGE', nth: [1], magnitude: 1 }]);
    const spec = bubbleCoverageSpec(1);
    expect(bubbly!.truth.bubbles).toMatchObject(spec);
    expect(bubbly!.truth.bubbles!.peakCoverage).toBeGreaterThan(0.25);
    expect(bubbly!.truth.bubbles!.peakCoverage).toBeLessThanOrEqual(spec.maxCoverage);
    const i0 = lsvOf(clean!.result).arrays['I_A']!;
    const i1 = lsvOf(bubbly!.result).arrays['I_A']!;
    const jOf = (i: number) => (i / AREA) * 1000;
    let drops = 0;
    for (let k = 1; k < Math.min(i0.length, i1.length); k++) {
      const j = jOf(i0[k]!);
      if (j < spec.threshold_mA_cm2 * 0.95) expect(i1[k]).toBe(i0[k]);
      if (j > spec.threshold_mA_cm2) expect(i1[k]!).toBeLessThanOrEqual(i0[k]!);
      if (j > spec.threshold_mA_cm2 && i1[k]! < i1[k - 1]!) drops++; // the current falls while the potential rises
    }
    expect(drops).toBeGreaterThan(3);
    // A mild case (threshold above the analysis window) does not touch η10.
    const [mild] = await measure([{ code: 'BUBBLE_COVERAGE', nth: [1], magnitude: 0.3 }]);
    expect(extractFeatures(mild!.result).features['eta10_V']).toBe(extractFeatures(clean!.result).features['eta10_V']);
  });

  it('saturates: coverage never passes the detachment size however high the current', () => {
    const cover = new BubbleCoverage({ threshold_mA_cm2: 5, maxCoverage: 0.4 }, new Rng(2));
    let max = 0;
    for (let k = 0; k < 2000; k++) max = Math.max(max, cover.step(0.5, 0.2));
    expect(max).toBeLessThanOrEqual(0.4);
    expect(cover.peak).toBeGreaterThan(0.2);
  });
});

describe('ELECTROLYTE_CONTAMINATION: a batch effect', () => {
  const film: FilmProperties = {
    eta10_V: 0.4,
    tafel_mV_dec: 90,
    j0_A_cm2: exchangeCurrent(0.4, 90),
    cdl_F_cm2: 1e-3,
    niRedoxCharge_mC_cm2: 3,
    niRedoxPotential_V_RHE: 1.36,
    filmResistance_ohm: 0.2,
    bubbleOnset_mA_cm2: 30,
    stabilityDrift_mV_h: 5,
  };
  const pure = (m: Partial<Record<'Ni' | 'Fe' | 'Co' | 'Ce' | 'Mn', number>>) => ({ Ni: 0, Fe: 0, Co: 0, Ce: 0, Mn: 0, ...m });

  it('Fe impurity activates Fe-free Ni films (lower η, Tafel towards 40 mV/dec) and not Fe-rich or Ce films; a poison blocks sites', () => {
    const ni = contaminateFilm(film, pure({ Ni: 1 }), { kind: 'iron', level: 1 });
    expect(ni.eta10_V).toBeCloseTo(0.28, 6);
    expect(ni.tafel_mV_dec).toBeCloseTo(38, 6);
    expect(ni.j0_A_cm2).toBeCloseTo(exchangeCurrent(0.28, 38), 12);
    expect(ironResponse(pure({ Ni: 0.7, Fe: 0.3 }))).toBe(0);
    expect(contaminateFilm(film, pure({ Ce: 1 }), { kind: 'iron', level: 1 }).eta10_V).toBe(0.4);
    const poisoned = contaminateFilm(film, pure({ Ni: 1 }), { kind: 'poison', level: 0.5 });
    expect(poisoned.eta10_V - 0.4).toBeCloseTo(0.09 * Math.log10(1 / 0.6), 9);
  });

  it('shifts every later run of the batch on that station, and ends when the electrolyte is replaced', async () => {
    // 4 runs per batch; the contamination enters at run 2 (batch 0) and lasts to run 4; runs 5–8 are batch 1.
    for (const magnitude of [1, -0.6]) {
      const runs = await measure([{ code: 'ELECTROLYTE_CONTAMINATION', nth: [2], magnitude }], { runs: 8, runsPerBatch: 4 });
      const eta = runs.map((r) => extractFeatures(r.result).features['eta10_V']!);
      const shifted = runs.map((r) => r.truth.contamination?.etaShift_V ?? 0);
      expect(runs.map((r) => r.truth.electrolyteBatch)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
      expect(shifted.map((s) => s !== 0)).toEqual([false, true, true, true, false, false, false, false]);
      expect(Math.sign(shifted[1]!)).toBe(magnitude > 0 ? -1 : 1); // Fe improves, a poison degrades
      expect(Math.abs(shifted[1]!)).toBeGreaterThan(0.015);
      for (let k = 1; k < 8; k++) expect(Math.abs(eta[k]! - eta[0]! - shifted[k]!), `run ${k + 1}`).toBeLessThan(0.003);
      expect(runs.every((r) => r.result.status === 'succeeded')).toBe(true);
    }
  });
});

describe('injection', () => {
  it('by recipe region: a rule for Ni-rich samples leaves the others alone', async () => {
    const rule: FaultRule = { code: 'BUBBLE_COVERAGE', probability: 1, magnitude: 1, region: { Ni: [0.6, 1] } };
    const [rich] = await measure([rule]);
    const [poor] = await measure([rule], { recipe: { ...NIFE, Ni: 0.3, Co: 0.65 } });
    expect(rich!.truth.silent.map((e) => e.code)).toEqual(['BUBBLE_COVERAGE']);
    expect(poor!.truth.silent).toEqual([]);
  });

  it('by rate: a dry run’s fault rate includes the silent cell faults, each with a magnitude in its range', () => {
    const inj = RuleFaultInjector.forRate(new Rng(5), 0.3);
    const seen = new Map<string, number[]>();
    for (let call = 1; call <= 3000; call++) {
      const e = inj.effect({ device: 'ps-pair1', operation: 'OER_Screen_v1', call, phase: 'run' });
      if (e) seen.set(e.code, [...(seen.get(e.code) ?? []), e.magnitude]);
    }
    expect([...seen.keys()].sort()).toEqual(['BUBBLE_COVERAGE', 'ELECTROLYTE_CONTAMINATION', 'IR_COMPENSATION_ERROR']);
    const within = (code: string, lo: number, hi: number) => expect(seen.get(code)!.every((m) => m >= lo && m <= hi)).toBe(true);
    within('IR_COMPENSATION_ERROR', 0.6, 1.4);
    within('BUBBLE_COVERAGE', 0.2, 1);
    within('ELECTROLYTE_CONTAMINATION', -1, 1);
    // A liquid handler never draws them.
    for (let call = 1; call <= 300; call++)
      expect(['IR_COMPENSATION_ERROR', 'BUBBLE_COVERAGE', 'ELECTROLYTE_CONTAMINATION']).not.toContain(inj.effect({ device: 'lh-pair1', operation: 'x', call, phase: 'run' })?.code);
  });
});
