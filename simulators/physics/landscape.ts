import type { FailureCode, Recipe } from '../../src/domain/index.ts';

/** Metals of the default OER scenario, in recipe order. */
export const METALS = ['Ni', 'Fe', 'Co', 'Ce', 'Mn'] as const;
export type Metal = (typeof METALS)[number];

/**
 * What reached the electrode: metal fractions (sum to 1 over METALS), the concentrations of the deposition bath and
 * the process parameters. Built from a cell's actual contents (`sampleFromCell`) or from a recipe (`sampleFromRecipe`).
 */
export interface FilmSample {
  fractions: Record<Metal, number>;
  /** Total metal concentration of the bath, mM. */
  totalMetal: number;
  /** Complexant (additive) concentration, mM. */
  complexant: number;
  depositionCharge_mC_cm2: number;
  /** Anneal temperature, °C. */
  annealTemperature: number;
}

/** Properties of the deposited film that the physics turns into curves. All per geometric cm². */
export interface FilmProperties {
  /** True iR-free OER overpotential at 10 mA/cm², V. */
  eta10_V: number;
  /** Tafel slope, mV/dec. */
  tafel_mV_dec: number;
  /** Exchange current density, A/cm² (consistent with eta10_V and tafel_mV_dec). */
  j0_A_cm2: number;
  /** Double-layer capacitance, F/cm². */
  cdl_F_cm2: number;
  /** Charge of the Ni(OH)2/NiOOH pre-wave, mC/cm². */
  niRedoxCharge_mC_cm2: number;
  /** Centre of the Ni pre-wave, V vs RHE. */
  niRedoxPotential_V_RHE: number;
  /** Resistance the film adds in series to the electrolyte, Ω (for the default 0.0707 cm² disk). */
  filmResistance_ohm: number;
  /** Current density above which bubbles make the curve noisy, mA/cm². */
  bubbleOnset_mA_cm2: number;
  /** Slow potential drift under a constant-current hold, mV/h. */
  stabilityDrift_mV_h: number;
}

export type ChemistryFailureCode = Extract<FailureCode, 'NO_FILM' | 'INSULATING_FILM' | 'DELAMINATION' | 'PRECIPITATION' | 'BUBBLE_BLOCKING'>;

export interface LandscapeFailure {
  code: ChemistryFailureCode;
  message: string;
}

/** The film always exists as a number set (for regret plots); `failure` says the measurement cannot succeed. */
export interface LandscapeOutcome {
  film: FilmProperties;
  failure?: LandscapeFailure;
}

/** A hidden response landscape: maps what reached the electrode to film properties or a chemistry failure. Pure. */
export interface ResponseLandscape {
  readonly id: string;
  readonly version: string;
  evaluate(sample: FilmSample): LandscapeOutcome;
}

/** Defaults for process parameters missing from a recipe or a run's sample meta-data. */
export const DEFAULT_PROCESS = { depositionCharge_mC_cm2: 30, annealTemperature: 25 } as const;

/** Metal fractions (normalised; all zero if no metal) from per-species amounts or concentrations. */
export function metalFractions(values: Readonly<Record<string, number | string | undefined>>): { fractions: Record<Metal, number>; total: number } {
  const raw = METALS.map((m) => {
    const v = values[m];
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
  });
  const total = raw.reduce((a, b) => a + b, 0);
  const fractions = {} as Record<Metal, number>;
  METALS.forEach((m, i) => (fractions[m] = total > 0 ? (raw[i] ?? 0) / total : 0));
  return { fractions, total };
}

function numberOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/**
 * A FilmSample from a recipe of the default scenario (keys Ni..Mn fractions, totalMetal mM, complexant mM,
 * depositionCharge_mC_cm2, annealTemperature °C). Fractions are renormalised.
 */
export function sampleFromRecipe(recipe: Recipe): FilmSample {
  const { fractions } = metalFractions(recipe);
  return {
    fractions,
    totalMetal: numberOr(recipe['totalMetal'], 50),
    complexant: numberOr(recipe['complexant'], 0),
    depositionCharge_mC_cm2: numberOr(recipe['depositionCharge_mC_cm2'], DEFAULT_PROCESS.depositionCharge_mC_cm2),
    annealTemperature: numberOr(recipe['annealTemperature'], DEFAULT_PROCESS.annealTemperature),
  };
}

/**
 * A FilmSample from a cell's concentrations (mM per species, as `SimulatedWorld.cellConcentrations` gives them) and
 * the process parameters sent with the run.
 */
export function sampleFromCell(
  concentrations: Readonly<Record<string, number>>,
  process: { depositionCharge_mC_cm2?: number; annealTemperature?: number },
): FilmSample {
  const { fractions, total } = metalFractions(concentrations);
  return {
    fractions,
    totalMetal: total,
    complexant: numberOr(concentrations['complexant'], 0),
    depositionCharge_mC_cm2: numberOr(process.depositionCharge_mC_cm2, DEFAULT_PROCESS.depositionCharge_mC_cm2),
    annealTemperature: numberOr(process.annealTemperature, DEFAULT_PROCESS.annealTemperature),
  };
}

/** j0 (A/cm²) that puts the Tafel line through 10 mA/cm² at eta10_V. */
export function exchangeCurrent(eta10_V: number, tafel_mV_dec: number): number {
  return 0.01 * 10 ** (-eta10_V / (tafel_mV_dec / 1000));
}
