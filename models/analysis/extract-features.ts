import type { Curve, EchemResult } from '../../src/domain/echem.ts';
import type { Failure } from '../../src/domain/failure.ts';
import { cellChecks, type CellCheckOptions } from './cell-checks.ts';
import { fitRandlesCpe, highFrequencyIntercept, type Spectrum } from './eis-fit.ts';
import { kramersKronigTest } from './kramers-kronig.ts';
import { lsvFeatures, type LsvOptions } from './lsv-features.ts';
import { median } from './numeric.ts';

export interface ExtractOptions {
  /** Overrides the LSV curve's `targetCurrentDensity` param (default 10 mA/cm²). */
  targetCurrentDensity?: number;
  lsv?: Partial<Omit<LsvOptions, 'targetCurrentDensity'>>;
  /** Largest modulus-normalised RMS residual of an accepted EIS fit. */
  maxEisResidual?: number;
  cell?: Partial<CellCheckOptions>;
}

export interface ExtractedFeatures {
  features: Record<string, number>;
  flags: string[];
  /** Set when the data show a cell fault that makes the measurement unusable (ADR 0050): the trial fails with it. */
  failure?: Failure;
}

const last = (curves: readonly Curve[], technique: Curve['technique']): Curve | undefined => curves.filter((c) => c.technique === technique).at(-1);

/**
 * Features of a station result, computed from its curves exactly as for a real instrument:
 * - `Rs_ohm` from PEIS (complex non-linear least-squares fit of Rs + L + CPE∥Rct, falling back to the high-frequency
 *   intercept), else the instrument's reported uncompensated resistance; also `Rct_ohm`, `Cdl_F`, `cpe_alpha`, and a
 *   linear Kramers–Kronig test (`kk_residual_max`, flag `kk_failed`);
 * - from the LSV (iR-corrected with what the instrument left uncompensated, Rs − the recorded `irCompensation_ohm`,
 *   vs RHE via the reference offset): `eta10_V` (absent with flag
 *   `target_current_not_reached` when the target is never reached), `eta10_uncorrected_V`, `E10_V_RHE`, `onset_V_RHE`
 *   (1 mA/cm²), `tafel_mV_dec` + `tafel_r2` + window, `jmax_mA_cm2`, `noise_rel`;
 * - `ocp_V_RHE` from the OCP, `cp_drift_mV` from a CP hold;
 * - flags: `overload`, `truncated`, `noisy`, `low_r2`, `target_current_not_reached`, `no_lsv`, `nan_points`,
 *   `no_ir_correction`, `eis_fit_failed`, `kk_failed`, `tafel_window_short`;
 * - cell checks (cell-checks.ts, lsv-quality.ts): `ir_comp_mismatch`, `oscillation`, `bubbles` with features
 *   `Rc_ohm`, `ir_comp_fraction`, `noise_low_rel`, `bubble_events`, `bubble_onset_mA_cm2`, and `failure` when the
 *   LSV is unusable (oscillation; bubbles at or below the target).
 * Pure: no I/O, deterministic.
 */
export function extractFeatures(result: EchemResult, options: ExtractOptions = {}): ExtractedFeatures {
  const features: Record<string, number> = {};
  const flags = new Set<string>(result.instrumentFlags.filter((f) => f === 'overload' || f === 'truncated'));
  const c = result.conditions;

  const eis = last(result.curves, 'PEIS');
  let rs: number | undefined;
  let rsEis: number | undefined;
  if (eis) {
    const s: Spectrum = { freq: eis.arrays['freq_Hz'] ?? [], zre: eis.arrays['Zre_ohm'] ?? [], zim: eis.arrays['Zim_ohm'] ?? [] };
    if (s.freq.length >= 3 && s.freq.length === s.zre.length && s.freq.length === s.zim.length) {
      const hf = highFrequencyIntercept(s);
      features['Rs_hf_ohm'] = hf;
      const kk = kramersKronigTest(s);
      features['kk_residual_max'] = kk.maxResidual;
      if (!kk.pass) flags.add('kk_failed');
      const fit = fitRandlesCpe(s);
      if (fit && fit.residual <= (options.maxEisResidual ?? 0.05) && fit.rs_ohm > 0) {
        rs = fit.rs_ohm;
        features['Rct_ohm'] = fit.rct_ohm;
        features['Cdl_F'] = fit.cdl_F;
        features['cpe_alpha'] = fit.alpha;
        features['eis_residual'] = fit.residual;
      } else {
        flags.add('eis_fit_failed');
        rs = Number.isFinite(hf) ? hf : undefined;
      }
      rsEis = rs;
    }
  }
  if (rs === undefined && c.uncompensatedResistance !== undefined) rs = c.uncompensatedResistance;
  if (rs === undefined) flags.add('no_ir_correction');
  else features['Rs_ohm'] = rs;

  const ocp = last(result.curves, 'OCP');
  const ocpE = ocp?.arrays['Ewe_V'];
  if (ocpE && ocpE.length > 0) features['ocp_V_RHE'] = median(ocpE.slice(-10)) + c.referenceOffset_V_RHE;

  const cp = last(result.curves, 'CP');
  const cpE = cp?.arrays['Ewe_V'];
  if (cpE && cpE.length >= 10) {
    const k = Math.max(3, Math.floor(cpE.length / 10));
    const e0 = median(cpE.slice(0, k));
    const e1 = median(cpE.slice(-k));
    features['cp_potential_V_RHE'] = e0 + c.referenceOffset_V_RHE;
    features['cp_drift_mV'] = (e1 - e0) * 1000;
  }

  const lsv = last(result.curves, 'LSV');
  const e = lsv?.arrays['Ewe_V'];
  const i = lsv?.arrays['I_A'];
  let failure: Failure | undefined;
  if (!lsv || !e || !i || e.length !== i.length) flags.add('no_lsv');
  else {
    const target = options.targetCurrentDensity ?? lsv.params['targetCurrentDensity'] ?? 10;
    const rc = lsv.params['irCompensation_ohm'];
    const out = lsvFeatures(
      { ewe_V: e, i_A: i, area: c.area, referenceOffset_V_RHE: c.referenceOffset_V_RHE, rs_ohm: rs === undefined ? 0 : rs - (rc ?? 0) },
      { ...options.lsv, targetCurrentDensity: target },
    );
    Object.assign(features, out.features);
    for (const f of out.flags) flags.add(f);
    const fraction = lsv.params['irCompensationFraction'];
    const cell = cellChecks(
      out.features,
      { ...(rsEis !== undefined ? { rsEis_ohm: rsEis } : {}), ...(rc !== undefined ? { rc_ohm: rc } : {}), ...(fraction !== undefined ? { fraction } : {}) },
      target,
      options.cell,
    );
    Object.assign(features, cell.features);
    for (const f of cell.flags) flags.add(f);
    failure = cell.failure;
    const limit = Math.max(...i.map(Math.abs));
    const clipped = i.filter((v) => Math.abs(v) === limit).length;
    if (clipped >= 3 && limit > 0 && lsv.params['currentLimit_A'] !== undefined && limit >= lsv.params['currentLimit_A']) flags.add('overload');
  }
  return { features, flags: [...flags], ...(failure ? { failure } : {}) };
}
