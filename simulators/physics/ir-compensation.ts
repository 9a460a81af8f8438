import type { Rng } from '../../src/domain/index.ts';
import type { ElectrodeModel } from './electrode.ts';
import { solveInterface, type InterfaceState } from './kinetics.ts';

/** Fraction of its measured Ru the simulated potentiostat compensates by positive feedback during an LSV. */
export const DEFAULT_IR_COMPENSATION_FRACTION = 0.85;

/**
 * Positive-feedback iR compensation of one LSV. The instrument measures Ru itself just before the sweep (a single
 * high-frequency impedance point, "ZIR") and adds I·Rc to the potential it applies, with Rc = fraction × its measured
 * Ru. The interface then sees E_cmd − I·(Ru − Rc); the recorded Ewe is E_cmd. What the instrument records is Rc and
 * the fraction (LSV curve params `irCompensation_ohm`, `irCompensationFraction`) and its measured Ru (the result's
 * `uncompensatedResistance`).
 */
export interface IrCompensation {
  /** Configured fraction of the measured Ru. */
  fraction: number;
  /** Ru the instrument measured (ZIR), Ω. */
  measuredRu_ohm: number;
  /** Compensation applied and recorded, Ω (fraction × measured Ru). */
  applied_ohm: number;
  /** Relative amplitude of the oscillation an over-compensated loop sustains (0: stable). */
  ringing: number;
}

/**
 * Compensation of a run. `compensatedFraction`: fraction of the TRUE Ru actually compensated — undefined for a
 * healthy run (the ZIR reading is within `zirError` of Ru), or the magnitude of an IR_COMPENSATION_ERROR fault: the
 * ZIR reading was wrong (a bubble on the reference tip, a frequency where the double layer still contributes), so the
 * instrument compensates that fraction of the true Ru instead of `fraction`.
 */
export function irCompensation(trueRu_ohm: number, options: { fraction?: number; zirError?: number; compensatedFraction?: number } = {}): IrCompensation {
  const fraction = options.fraction ?? DEFAULT_IR_COMPENSATION_FRACTION;
  const measured = options.compensatedFraction !== undefined && fraction > 0 ? (trueRu_ohm * options.compensatedFraction) / fraction : trueRu_ohm * (1 + (options.zirError ?? 0));
  const applied = fraction * measured;
  return { fraction, measuredRu_ohm: measured, applied_ohm: applied, ringing: ringingAmplitude(applied / trueRu_ohm) };
}

/**
 * Relative amplitude of the current oscillation when a fraction `k` of the true Ru is compensated. Positive feedback
 * leaves the loop stable while some Ru stays uncompensated (a real instrument keeps a ≈ 5 % margin); beyond it the
 * cell's net negative resistance makes the potentiostat ring, and the sustained oscillation grows with the excess.
 */
export function ringingAmplitude(k: number): number {
  const excess = k - 0.95;
  return excess <= 0 ? 0 : Math.min(0.3, 0.04 + 0.6 * excess);
}

/**
 * Interface state at a commanded potential with `rc_ohm` of positive-feedback compensation. Under-compensated, the
 * ordinary solve with Ru − Rc. Over-compensated (net resistance R < 0) the DC operating point follows the stable
 * branch E_interface = E_cmd − j·A·R by fixed-point iteration; past the fold (|A·R·dj/dη| ≥ 1) there is none and the
 * loop runs away to the compliance limit (`runaway`).
 */
export function solveCompensated(eCmd_V_RHE: number, direction: 1 | -1, scanRate: number, m: ElectrodeModel, rc_ohm: number): InterfaceState & { runaway: boolean } {
  const net = m.ru_ohm - rc_ohm;
  if (net >= 0) return { ...solveInterface(eCmd_V_RHE, direction, scanRate, { ...m, ru_ohm: net }), runaway: false };
  const bare: ElectrodeModel = { ...m, ru_ohm: 0 };
  let e = eCmd_V_RHE;
  let state = solveInterface(e, direction, scanRate, bare);
  for (let k = 0; k < 60; k++) {
    const next = eCmd_V_RHE - state.j * m.area * net;
    if (!(next < eCmd_V_RHE + 1)) return { ...state, runaway: true };
    if (Math.abs(next - e) < 1e-10) return { ...state, runaway: false };
    e = next;
    state = solveInterface(e, direction, scanRate, bare);
  }
  return { ...state, runaway: true };
}

/**
 * The over-compensated loop's oscillation as the ADC samples it: a sustained kHz oscillation read every few hundred
 * ms aliases to a random phase per point. Its amplitude scales with the current plus a floor (the double layer keeps
 * the loop oscillating at near-zero Faradaic current), so it shows along the whole sweep, unlike bubbles.
 */
export function ringingCurrent(i_A: number, range_A: number, ringing: number, rng: Rng | undefined): number {
  if (ringing <= 0 || !rng) return 0;
  return ringing * (Math.abs(i_A) + 0.05 * range_A) * Math.sin(2 * Math.PI * rng.next());
}
