import type { Rng } from '../../src/domain/index.ts';
import { electrodeFromFilm, type ElectrodeModel } from './electrode.ts';
import { exchangeCurrent, type FilmProperties } from './landscape.ts';

/**
 * Run-to-run variation of a real screen (SIMULATION.md): heavy-tailed per-sample scatter of η (Student-t, ν = 4),
 * an offset per electrolyte batch, ≈ 2 % outliers with visibly noisy curves, and a reference electrode that is off by
 * N(0, 3 mV) and drifts slowly. Together ≈ 13 mV standard deviation on η10.
 */
export interface NoiseProfile {
  /** Scale of the Student-t (ν = 4) scatter of η10 per sample, V (σ = scale·√2). */
  sampleEtaScale_V: number;
  /** Relative scatter of the Tafel slope, the uncompensated resistance and the capacitance. */
  tafelRel: number;
  ruRel: number;
  cdlRel: number;
  outlierProbability: number;
  outlierShift_V: readonly [number, number];
  outlierNoiseScale: number;
  /** σ of the offset shared by all runs of one electrolyte batch, V. */
  batchSigma_V: number;
  /** σ of the reference electrode's offset error, V, and its random-walk drift per run. */
  referenceSigma_V: number;
  referenceDriftPerRun_V: number;
  /** Whether instruments add white noise at all. */
  instrumentNoise: boolean;
}

export const REALISTIC_NOISE: NoiseProfile = {
  sampleEtaScale_V: 0.008,
  tafelRel: 0.03,
  ruRel: 0.04,
  cdlRel: 0.1,
  outlierProbability: 0.02,
  outlierShift_V: [0.03, 0.1],
  outlierNoiseScale: 8,
  batchSigma_V: 0.006,
  referenceSigma_V: 0.003,
  referenceDriftPerRun_V: 0.0002,
  instrumentNoise: true,
};

/** No variation at all: curves follow the landscape exactly (tests of the analysis, regret references). */
export const NO_NOISE: NoiseProfile = {
  sampleEtaScale_V: 0,
  tafelRel: 0,
  ruRel: 0,
  cdlRel: 0,
  outlierProbability: 0,
  outlierShift_V: [0, 0],
  outlierNoiseScale: 1,
  batchSigma_V: 0,
  referenceSigma_V: 0,
  referenceDriftPerRun_V: 0,
  instrumentNoise: false,
};

export interface RunVariation {
  /** Total shift of η10 in this run (batch + sample + outlier), V. */
  etaShift_V: number;
  outlier: boolean;
  /** Multiplier on instrument noise (≫ 1 for outliers). */
  noiseScale: number;
}

/** Draws this run's electrode from the film. `batchOffset_V` is shared by the runs of one electrolyte batch. */
export function realiseElectrode(
  film: FilmProperties,
  area: number,
  rng: Rng,
  profile: NoiseProfile,
  batchOffset_V: number,
): { electrode: ElectrodeModel; variation: RunVariation } {
  const outlier = profile.outlierProbability > 0 && rng.next() < profile.outlierProbability;
  const [lo, hi] = profile.outlierShift_V;
  const etaShift = batchOffset_V
    + (profile.sampleEtaScale_V > 0 ? profile.sampleEtaScale_V * rng.studentT(4) : 0)
    + (outlier ? rng.uniform(lo, hi) : 0);
  const tafel = film.tafel_mV_dec * (1 + profile.tafelRel * rng.normal());
  const eta10 = film.eta10_V + etaShift;
  const base = electrodeFromFilm({ ...film, eta10_V: eta10, tafel_mV_dec: tafel, j0_A_cm2: exchangeCurrent(eta10, tafel) }, area);
  const electrode: ElectrodeModel = {
    ...base,
    ru_ohm: base.ru_ohm * (1 + profile.ruRel * rng.normal()),
    cdl_F_cm2: base.cdl_F_cm2 * Math.max(0.2, 1 + profile.cdlRel * rng.normal()),
  };
  return { electrode, variation: { etaShift_V: etaShift, outlier, noiseScale: outlier ? profile.outlierNoiseScale : 1 } };
}
