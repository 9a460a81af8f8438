import { E_OER_RHE } from '../../src/domain/index.ts';
import type { FilmProperties } from './landscape.ts';

/**
 * The electrochemical state of one working electrode during one run: realised film kinetics plus the cell around
 * it. Potentials vs RHE, current densities per geometric cm².
 */
export interface ElectrodeModel {
  /** Geometric area, cm². */
  area: number;
  /** True uncompensated resistance (electrolyte + film), Ω. */
  ru_ohm: number;
  /** Anodic Tafel slope, mV/dec. */
  tafel_mV_dec: number;
  /** Cathodic Tafel slope of the (negligible) back reaction, mV/dec. */
  cathodicTafel_mV_dec: number;
  /** Exchange current density, A/cm². */
  j0_A_cm2: number;
  /** Double-layer capacitance, F/cm². */
  cdl_F_cm2: number;
  /** Constant-phase exponent of the double layer (EIS). */
  cpeAlpha: number;
  /** Ni(OH)2/NiOOH pre-wave: charge (C/cm²), centre (V vs RHE), width (V); the reduction peak sits `niRedoxSplit_V` lower. */
  niCharge_C_cm2: number;
  niPotential_V_RHE: number;
  niWidth_V: number;
  niRedoxSplit_V: number;
  /** Current density above which bubbles disturb the current, A/cm². */
  bubbleOnset_A_cm2: number;
  /** Open-circuit potential, V vs RHE. */
  ocp_V_RHE: number;
  /** Stability drift under a constant-current hold, V per decade of time (CP: E0 + a·log10(1 + t/τ)). */
  drift_V_dec: number;
  /** Series inductance of leads, H. */
  inductance_H: number;
}

/** Conductivity of 1 M KOH at 25 °C, S/cm. */
export const KOH_1M_CONDUCTIVITY_S_CM = 0.215;

/** Hg/HgO (1 M KOH) reference: E_SHE = E_ref + 0.098 V; at pH 14, E_RHE = E_ref + 0.098 + 0.05916·14 ≈ E_ref + 0.926 V. */
export const HG_HGO_VS_SHE_V = 0.098;

/** Uncompensated resistance of a disk electrode of area A (cm²): Ru ≈ 1/(4κr). */
export function diskResistance(area: number, conductivity_S_cm = KOH_1M_CONDUCTIVITY_S_CM): number {
  const r = Math.sqrt(area / Math.PI);
  return 1 / (4 * conductivity_S_cm * r);
}

/** Default electrode built from a film: no run-to-run variation (see run-variation.ts for that). */
export function electrodeFromFilm(film: FilmProperties, area: number): ElectrodeModel {
  return {
    area,
    ru_ohm: diskResistance(area) + film.filmResistance_ohm * (0.0707 / area),
    tafel_mV_dec: film.tafel_mV_dec,
    cathodicTafel_mV_dec: 120,
    j0_A_cm2: film.j0_A_cm2,
    cdl_F_cm2: film.cdl_F_cm2,
    cpeAlpha: 0.92,
    niCharge_C_cm2: film.niRedoxCharge_mC_cm2 / 1000,
    niPotential_V_RHE: film.niRedoxPotential_V_RHE,
    niWidth_V: 0.018,
    niRedoxSplit_V: 0.06,
    bubbleOnset_A_cm2: film.bubbleOnset_mA_cm2 / 1000,
    ocp_V_RHE: 1.25 + 0.1 * Math.min(1, film.niRedoxCharge_mC_cm2 / 5),
    drift_V_dec: film.stabilityDrift_mV_h / 1000 / Math.log10(1 + 3600 / 60),
    inductance_H: 2e-7,
  };
}

/** η (V) at a potential vs RHE. */
export const overpotential = (e_V_RHE: number): number => e_V_RHE - E_OER_RHE;
