import { E_OER_RHE } from '../../src/domain/index.ts';
import type { ElectrodeModel } from './electrode.ts';

const LN10 = Math.log(10);
const safeExp = (x: number): number => Math.exp(Math.min(700, x));

/** Butler–Volmer OER current density (A/cm²) at overpotential η (V). */
export function faradaicCurrent(eta: number, m: ElectrodeModel): number {
  const ka = (LN10 * 1000) / m.tafel_mV_dec;
  const kc = (LN10 * 1000) / m.cathodicTafel_mV_dec;
  return m.j0_A_cm2 * (safeExp(ka * eta) - safeExp(-kc * eta));
}

/** dj/dη of the Butler–Volmer current (A/cm²/V): 1/(charge-transfer resistance·area). */
export function faradaicConductance(eta: number, m: ElectrodeModel): number {
  const ka = (LN10 * 1000) / m.tafel_mV_dec;
  const kc = (LN10 * 1000) / m.cathodicTafel_mV_dec;
  return m.j0_A_cm2 * (ka * safeExp(ka * eta) + kc * safeExp(-kc * eta));
}

/**
 * Ni(OH)2/NiOOH surface redox current (A/cm²) at an interface potential (V vs RHE) during a sweep at `scanRate`
 * (V/s) in `direction` (+1 anodic, −1 cathodic): a Gaussian peak holding the film's redox charge.
 */
export function preWaveCurrent(e_V_RHE: number, direction: 1 | -1, scanRate: number, m: ElectrodeModel): number {
  if (m.niCharge_C_cm2 <= 0) return 0;
  const centre = direction > 0 ? m.niPotential_V_RHE : m.niPotential_V_RHE - m.niRedoxSplit_V;
  const z = (e_V_RHE - centre) / m.niWidth_V;
  return (direction * m.niCharge_C_cm2 * scanRate * Math.exp(-0.5 * z * z)) / (m.niWidth_V * Math.sqrt(2 * Math.PI));
}

export interface InterfaceState {
  /** OER overpotential at the interface (iR-free), V. */
  eta: number;
  /** Faradaic OER current density, A/cm². */
  jFaradaic: number;
  /** Total current density (Faradaic + pre-wave + capacitive), A/cm². */
  j: number;
}

/** Total current density (A/cm²) at η: Butler–Volmer + pre-wave + capacitive. */
function totalCurrent(eta: number, direction: 1 | -1, scanRate: number, m: ElectrodeModel, capacitive: number): number {
  return faradaicCurrent(eta, m) + preWaveCurrent(E_OER_RHE + eta, direction, scanRate, m) + capacitive;
}

/** d(total current)/dη, A/cm²/V. */
function totalConductance(eta: number, direction: 1 | -1, scanRate: number, m: ElectrodeModel): number {
  let g = faradaicConductance(eta, m);
  if (m.niCharge_C_cm2 > 0) {
    const centre = direction > 0 ? m.niPotential_V_RHE : m.niPotential_V_RHE - m.niRedoxSplit_V;
    const z = (E_OER_RHE + eta - centre) / m.niWidth_V;
    g += (-z / m.niWidth_V) * preWaveCurrent(E_OER_RHE + eta, direction, scanRate, m);
  }
  return g;
}

/**
 * Solves E_applied − E_eq = η + j_total(η)·A·Ru for the interface state at an applied potential (V vs RHE) during a
 * sweep (or a hold when scanRate = 0). j_total = BV(η) + pre-wave + C_dl·dE/dt. The residual is monotone in η;
 * Newton steps inside a bisection bracket (no closures: this runs for every point of every curve).
 */
export function solveInterface(eApplied_V_RHE: number, direction: 1 | -1, scanRate: number, m: ElectrodeModel): InterfaceState {
  const target = eApplied_V_RHE - E_OER_RHE;
  const aru = m.area * m.ru_ohm;
  const capacitive = direction * m.cdl_F_cm2 * scanRate;
  let lo = target - 0.05;
  let hi = target + 0.05;
  for (let step = 0.05; lo + totalCurrent(lo, direction, scanRate, m, capacitive) * aru - target > 0 && step < 100; step *= 2) lo -= step;
  for (let step = 0.05; hi + totalCurrent(hi, direction, scanRate, m, capacitive) * aru - target < 0 && step < 100; step *= 2) hi += step;
  let eta = 0.5 * (lo + hi);
  for (let i = 0; i < 100; i++) {
    const r = eta + totalCurrent(eta, direction, scanRate, m, capacitive) * aru - target;
    if (Math.abs(r) < 1e-11) break;
    if (r > 0) hi = eta;
    else lo = eta;
    const d = 1 + aru * totalConductance(eta, direction, scanRate, m);
    let next = d > 0 ? eta - r / d : Number.NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (hi - lo < 1e-12) break;
    eta = next;
  }
  return { eta, jFaradaic: faradaicCurrent(eta, m), j: totalCurrent(eta, direction, scanRate, m, capacitive) };
}
