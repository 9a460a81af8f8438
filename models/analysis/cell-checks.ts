import { makeFailure, type Failure } from '../../src/domain/failure.ts';

export interface CellCheckOptions {
  /** |Rc/Rs − configured fraction| above which the compensation does not match the EIS Rs. */
  compensationTolerance: number;
  /** Rc/Rs from which a positive-feedback loop has lost its stability margin. */
  overCompensated: number;
  /** Quiet-region relative noise above which the sweep is oscillating (or simply noisy). */
  maxQuietNoise: number;
  /**
   * Bubbles grow for a few seconds before the first one detaches: the first bubble event comes at ≈ this factor above
   * the current density where they started to stick.
   */
  bubbleLag: number;
}

export const DEFAULT_CELL_CHECKS: CellCheckOptions = { compensationTolerance: 0.1, overCompensated: 0.95, maxQuietNoise: 0.02, bubbleLag: 1.5 };

export interface CompensationRecord {
  /** Rs of the cell from the EIS fit (or its high-frequency intercept), Ω. */
  rsEis_ohm?: number;
  /** Compensation the instrument recorded for the LSV, Ω, and the fraction it was configured for. */
  rc_ohm?: number;
  fraction?: number;
}

/**
 * Checks of the cell and the compensation loop from one result's data and metadata (ADR 0050):
 * - `ir_comp_mismatch`: the recorded compensation is not the configured fraction of the EIS Rs (the instrument's own
 *   Ru reading was wrong). Features `Rc_ohm`, `ir_comp_fraction` (Rc / Rs). The η correction stays right: it uses the
 *   EIS Rs minus the recorded Rc.
 * - `oscillation`: excess quiet-region noise on an over-compensated loop (Rc ≥ 0.95·Rs): the potentiostat rang;
 *   without that cause the curve is only `noisy`.
 * - the verdict: an oscillating LSV fails with IR_COMPENSATION_ERROR; bubbles that stuck at or below the target current
 *   density (first bubble event ≤ `bubbleLag` × target) fail with BUBBLE_COVERAGE (η at the target is biased by the
 *   lost area); anything else is kept with its flags.
 */
export function cellChecks(
  features: Record<string, number>,
  comp: CompensationRecord,
  target_mA_cm2: number,
  options: Partial<CellCheckOptions> = {},
): { features: Record<string, number>; flags: string[]; failure?: Failure } {
  const o = { ...DEFAULT_CELL_CHECKS, ...options };
  const out: Record<string, number> = {};
  const flags: string[] = [];
  let ratio: number | undefined;
  if (comp.rc_ohm !== undefined) out['Rc_ohm'] = comp.rc_ohm;
  if (comp.rc_ohm !== undefined && comp.rsEis_ohm !== undefined && comp.rsEis_ohm > 0) {
    ratio = comp.rc_ohm / comp.rsEis_ohm;
    out['ir_comp_fraction'] = ratio;
    if (comp.fraction !== undefined && comp.fraction > 0 && Math.abs(ratio - comp.fraction) > o.compensationTolerance) flags.push('ir_comp_mismatch');
  }
  const quiet = features['noise_low_rel'];
  if (quiet !== undefined && quiet > o.maxQuietNoise) flags.push(ratio !== undefined && ratio >= o.overCompensated ? 'oscillation' : 'noisy');
  let failure: Failure | undefined;
  const onset = features['bubble_onset_mA_cm2'];
  if (flags.includes('oscillation'))
    failure = makeFailure('IR_COMPENSATION_ERROR', `LSV oscillates: ${(100 * (ratio ?? 0)).toFixed(0)} % of the EIS Rs compensated, quiet-region noise ${(100 * (quiet ?? 0)).toFixed(1)} %`);
  else if (onset !== undefined && onset <= o.bubbleLag * target_mA_cm2)
    failure = makeFailure('BUBBLE_COVERAGE', `bubbles disturb the LSV from ${onset.toFixed(1)} mA/cm²: they cover the electrode at the ${target_mA_cm2} mA/cm² target`);
  return { features: out, flags, ...(failure ? { failure } : {}) };
}
