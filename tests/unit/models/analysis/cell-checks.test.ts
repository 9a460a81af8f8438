import { describe, expect, it } from 'vitest';
import { Rng, type Recipe } from '../../../../src/domain/index.ts';
import { cellChecks, detectBatchShift, extractFeatures, type ExtractedFeatures } from '../../../../models/analysis/index.ts';
import type { RunTruth } from '../../../../simulators/echem/cell-faults.ts';
import type { FaultRule } from '../../../../simulators/faults.ts';
import { trueEta10 } from '../../../../simulators/physics/oer-landscape.ts';
import { REALISTIC_NOISE } from '../../../../simulators/physics/run-variation.ts';
import { measureOnStation } from '../../../helpers/faulty-station.ts';

/**
 * Detection of the silent cell faults from the data alone, against the station's ground truth, on realistic curves
 * (heavy-tailed scatter, 2 % noisy outlier runs, instrument noise). Each case: seeded runs on random Ni–Fe–Co films.
 */

const recipeOf = (rng: Rng): Recipe => {
  const ni = rng.uniform(0.2, 0.9);
  const fe = rng.uniform(0, 1 - ni);
  return { Ni: ni, Fe: fe, Co: 1 - ni - fe, Ce: 0, Mn: 0, totalMetal: 40, complexant: 5, depositionCharge_mC_cm2: 40, annealTemperature: 150 };
};

/** One station measuring `recipes` in order under `rules`: analysis and truth of each run. */
async function station(seed: number, recipes: Recipe[], rules: FaultRule[] = [], runsPerBatch?: number): Promise<{ a: ExtractedFeatures; truth: RunTruth; recipe: Recipe }[]> {
  const runs = await measureOnStation({
    recipes,
    rules,
    noise: REALISTIC_NOISE,
    seed,
    faultSeed: seed,
    runsPerBatch,
    params: (recipe) => ({ depositionCharge_mC_cm2: recipe['depositionCharge_mC_cm2'] as number, annealTemperature: recipe['annealTemperature'] as number }),
    commandPrefix: 'c',
  });
  return runs.map((r) => ({ a: extractFeatures(r.result), truth: r.truth, recipe: r.recipe }));
}

/** N single runs, each on its own seeded station, with a fault of magnitude drawn from [lo, hi] (or none). */
async function singles(n: number, seed0: number, code?: FaultRule['code'], range: [number, number] = [0, 0]) {
  const rng = new Rng(seed0);
  const runs = [];
  for (let s = 0; s < n; s++) {
    const recipe = recipeOf(rng);
    const magnitude = rng.uniform(range[0], range[1]);
    const rules: FaultRule[] = code ? [{ code, nth: [1], magnitude }] : [];
    const [run] = await station(seed0 + s, [recipe], rules);
    runs.push({ ...run!, magnitude });
  }
  return runs;
}

const rate = (runs: { a: ExtractedFeatures }[], hit: (a: ExtractedFeatures) => boolean) => runs.filter((r) => hit(r.a)).length / runs.length;
const flagged = (flag: string) => (a: ExtractedFeatures) => a.flags.includes(flag);

describe('cell checks on seeded simulated curves', () => {
  it('stay quiet on 50 clean curves (false-positive rate of every cell flag and failure ≤ 2 %)', async () => {
    const clean = await singles(50, 1000);
    for (const flag of ['oscillation', 'bubbles', 'ir_comp_mismatch']) expect(rate(clean, flagged(flag)), flag).toBeLessThanOrEqual(0.02);
    expect(rate(clean, (a) => a.failure !== undefined)).toBeLessThanOrEqual(0.02);
  });

  it('flag an over-compensated, ringing potentiostat and fail the trial with IR_COMPENSATION_ERROR (20/20)', async () => {
    const runs = await singles(20, 2000, 'IR_COMPENSATION_ERROR', [0.97, 1.4]);
    expect(rate(runs, flagged('oscillation'))).toBe(1);
    expect(rate(runs, (a) => a.failure?.code === 'IR_COMPENSATION_ERROR')).toBe(1);
    for (const r of runs) expect(r.a.features['ir_comp_fraction']).toBeCloseTo(r.truth.compensatedFraction!, 1);
  });

  it('flag an under-compensation mismatch but keep the trial: η10 from the EIS Rs minus the recorded Rc stays right', async () => {
    const runs = await singles(20, 3000, 'IR_COMPENSATION_ERROR', [0.6, 0.74]);
    const clean = await singles(20, 3000);
    expect(rate(runs, flagged('ir_comp_mismatch'))).toBe(1);
    expect(rate(runs, (a) => a.failure !== undefined)).toBe(0);
    // Same seeds, same films: the faulty runs' η10 is the clean runs' within the iR noise.
    runs.forEach((r, k) => expect(Math.abs(r.a.features['eta10_V']! - clean[k]!.a.features['eta10_V']!)).toBeLessThan(0.002));
  });

  it('flag bubbles that reach the analysis window; fail the trial when they stick below the target (≥ 90 %)', async () => {
    // Severity 0.85–1: bubbles stick from 5–9 mA/cm², below the 10 mA/cm² target.
    const severe = await singles(20, 4000, 'BUBBLE_COVERAGE', [0.85, 1]);
    expect(rate(severe, flagged('bubbles'))).toBeGreaterThanOrEqual(0.9);
    expect(rate(severe, (a) => a.failure?.code === 'BUBBLE_COVERAGE')).toBeGreaterThanOrEqual(0.9);
    for (const r of severe) if (r.a.failure) expect(r.a.features['bubble_onset_mA_cm2']).toBeGreaterThan(r.truth.bubbles!.threshold_mA_cm2);
    // Mild bubbles start above the window: nothing to flag, and nothing fails.
    const mild = await singles(10, 5000, 'BUBBLE_COVERAGE', [0.2, 0.5]);
    expect(rate(mild, (a) => a.failure !== undefined)).toBe(0);
  });

  it('tell over-compensation from an outlier run: excess quiet-region noise alone is only `noisy`', () => {
    const noisy = cellChecks({ noise_low_rel: 0.05 }, { rsEis_ohm: 8, rc_ohm: 6.8, fraction: 0.85 }, 10);
    expect(noisy.flags).toEqual(['noisy']);
    expect(noisy.failure).toBeUndefined();
    const ringing = cellChecks({ noise_low_rel: 0.05 }, { rsEis_ohm: 8, rc_ohm: 8.5, fraction: 0.85 }, 10);
    expect(ringing.flags).toEqual(['ir_comp_mismatch', 'oscillation']);
    expect(ringing.failure?.code).toBe('IR_COMPENSATION_ERROR');
  });
});

describe('electrolyte batch effect across consecutive trials', () => {
  /**
   * 12 stations × 10 trials with a contamination from trial 4 to the end of the batch, 12 clean stations. Residual =
   * measured η10 − the hidden truth + a surrogate's error N(0, 15 mV): what a campaign has once a model predicts.
   * Shifts of ≈ 20 mV hide in that scatter over 7 trials; ≥ 25 mV ones must be found.
   */
  it('a CUSUM of per-station residuals finds contaminated batches that shift η10 by ≥ 25 mV, and rarely a clean one', async () => {
    const rng = new Rng(77);
    const sequences = async (contaminated: boolean, s: number) => {
      const recipes = Array.from({ length: 10 }, () => recipeOf(rng));
      const magnitude = (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.6, 1);
      const runs = await station(6000 + s, recipes, contaminated ? [{ code: 'ELECTROLYTE_CONTAMINATION', nth: [4], magnitude }] : [], 10);
      const shifts = runs.map((r) => r.truth.contamination?.etaShift_V ?? 0);
      const residuals = runs.map((r) => r.a.features['eta10_V']! - trueEta10(r.recipe) + 0.015 * rng.normal());
      return { shifts, alarms: detectBatchShift(residuals, { sigma: 0.02 }) };
    };
    let clean = 0;
    let found = 0;
    let strong = 0;
    for (let s = 0; s < 12; s++) {
      if ((await sequences(false, s)).alarms.length > 0) clean++;
      const c = await sequences(true, 100 + s);
      const mean = c.shifts.slice(3).reduce((a, b) => a + b, 0) / 7;
      if (Math.abs(mean) < 0.025) continue;
      strong++;
      const hit = c.alarms.find((a) => a.alarm >= 3);
      if (hit) {
        found++;
        expect(Math.sign(hit.shift)).toBe(Math.sign(mean));
      }
    }
    expect(clean, 'clean stations with an alarm').toBeLessThanOrEqual(1);
    expect(strong).toBeGreaterThanOrEqual(3);
    expect(found / strong, `${found}/${strong}`).toBeGreaterThanOrEqual(0.75);
  });
});
