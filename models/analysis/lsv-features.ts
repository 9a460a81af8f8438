import { E_OER_RHE } from '../../src/domain/units.ts';
import { interpolateCrossing, linearFit, median, movingMedian, robustSigma } from './numeric.ts';
import { lsvQuality, type LsvQualityOptions } from './lsv-quality.ts';
import { fitTafel, type TafelOptions } from './tafel.ts';

/** An anodic LSV as the instrument reports it. */
export interface LsvInput {
  /** Working-electrode potential vs the reference electrode, V. */
  ewe_V: readonly number[];
  /** Current, A. */
  i_A: readonly number[];
  /** Geometric area, cm². */
  area: number;
  /** E_RHE = E_ref + offset, V. */
  referenceOffset_V_RHE: number;
  /** Resistance used for the iR correction, Ω (0 = no correction): what the instrument did not compensate. */
  rs_ohm: number;
}

export interface LsvOptions {
  /** Current density η is reported at, mA/cm². */
  targetCurrentDensity: number;
  /** Current density that defines the onset potential, mA/cm². */
  onsetCurrentDensity: number;
  /** Relative point-to-point noise above which the curve is flagged `noisy`. */
  noisyThreshold: number;
  /** Upper end of the Tafel region, mA/cm² (bubbles disturb higher currents). */
  tafelMaxCurrentDensity: number;
  /** Lower end of the Tafel region, mA/cm². */
  tafelMinCurrentDensity: number;
  tafel?: Partial<TafelOptions>;
  quality?: Partial<LsvQualityOptions>;
}

export const DEFAULT_LSV_OPTIONS: LsvOptions = {
  targetCurrentDensity: 10,
  onsetCurrentDensity: 1,
  noisyThreshold: 0.01,
  tafelMaxCurrentDensity: 20,
  tafelMinCurrentDensity: 0.05,
};

export interface LsvFeatures {
  features: Record<string, number>;
  flags: string[];
}

/**
 * Features of an OER LSV: η at the target current density (iR-corrected, vs RHE), onset potential, Tafel slope with an
 * automatic window, the capacitive baseline, a point-to-point noise estimate and the cell checks of lsv-quality.ts
 * (quiet-region noise, bubble events).
 * - Current densities are baseline-corrected: the median current of the first 50 mV (pure capacitive) is subtracted.
 * - η10 comes from a local straight line of η against log j around the first crossing of the target (exact on a Tafel
 *   line, robust to noise); the curve must rise through the target, otherwise `target_current_not_reached`.
 */
export function lsvFeatures(input: LsvInput, options: Partial<LsvOptions> = {}): LsvFeatures {
  const o = { ...DEFAULT_LSV_OPTIONS, ...options };
  const flags: string[] = [];
  const features: Record<string, number> = {};
  const e: number[] = [];
  const cur: number[] = [];
  input.ewe_V.forEach((v, k) => {
    const i = input.i_A[k];
    if (Number.isFinite(v) && i !== undefined && Number.isFinite(i)) {
      e.push(v);
      cur.push(i);
    }
  });
  if (e.length < input.ewe_V.length) flags.push('nan_points');
  if (e.length < 10) {
    flags.push('too_few_points');
    return { features, flags };
  }
  const eRhe = e.map((v) => v + input.referenceOffset_V_RHE);
  const jRaw = cur.map((i) => (i / input.area) * 1000); // mA/cm²
  const baseline = median(jRaw.filter((_, k) => (eRhe[k] as number) <= (eRhe[0] as number) + 0.05));
  const j = jRaw.map((v) => v - (Number.isFinite(baseline) ? baseline : 0));
  const eIr = eRhe.map((v, k) => v - (cur[k] as number) * input.rs_ohm);
  const eta = eIr.map((v) => v - E_OER_RHE);
  const js = movingMedian(j, 5);
  features['baseline_mA_cm2'] = baseline;
  const quality = lsvQuality(j, o.targetCurrentDensity, o.quality);
  Object.assign(features, quality.features);
  flags.push(...quality.flags);
  features['jmax_mA_cm2'] = Math.max(...js);

  // First crossing of the target on the smoothed curve.
  let c = -1;
  for (let k = 1; k < js.length; k++)
    if ((js[k] as number) >= o.targetCurrentDensity && (js[k - 1] as number) < o.targetCurrentDensity) {
      c = k;
      break;
    }
  if (c < 0) flags.push('target_current_not_reached');
  else {
    const etaAt = etaAtCurrent(j, eta, c, o.targetCurrentDensity);
    const rawAt = etaAtCurrent(j, eRhe.map((v) => v - E_OER_RHE), c, o.targetCurrentDensity);
    features['eta10_V'] = etaAt;
    features['eta10_uncorrected_V'] = rawAt;
    features['E10_V_RHE'] = etaAt + E_OER_RHE;
    features['iR_drop_at_eta10_V'] = rawAt - etaAt;
  }

  // Rising branch: walk back from the crossing (or the maximum) while the smoothed current keeps falling.
  const top = c >= 0 ? c : js.indexOf(Math.max(...js));
  let start = top;
  while (start > 0 && (js[start - 1] as number) < (js[start] as number) + 1e-12 && (js[start - 1] as number) > 0) start--;
  // Onset: where the rising branch crosses the onset current density.
  const k = findCrossing(js, o.onsetCurrentDensity, start, top);
  if (k > 0) features['onset_V_RHE'] = interpolateCrossing(eIr, js, k, o.onsetCurrentDensity);

  // Tafel: the monotone branch from `start` up to the Tafel ceiling (continuing past the target).
  let end = start;
  while (end + 1 < js.length && (js[end + 1] as number) >= (js[end] as number) - 1e-12 && (js[end + 1] as number) <= o.tafelMaxCurrentDensity) end++;
  const logj: number[] = [];
  const etaT: number[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (let k = start; k <= end; k++) {
    const v = j[k] as number;
    if (v < o.tafelMinCurrentDensity || v > o.tafelMaxCurrentDensity) continue;
    const lv = Math.log10(v);
    if (lv <= last) continue; // keep log j strictly increasing
    last = lv;
    logj.push(lv);
    etaT.push(eta[k] as number);
  }
  const tafel = fitTafel(logj, etaT, o.tafel);
  if (tafel) {
    features['tafel_mV_dec'] = tafel.slope_mV_dec;
    features['tafel_r2'] = tafel.r2;
    features['tafel_window_low_mA_cm2'] = tafel.jLow;
    features['tafel_window_high_mA_cm2'] = tafel.jHigh;
    if (tafel.r2 < 0.98) flags.push('low_r2');
  } else flags.push('tafel_window_short');

  // Noise: robust scatter of the second difference of log j where the current is well above the baseline.
  const d2: number[] = [];
  for (let k = 1; k + 1 < j.length; k++) {
    const a = j[k - 1] as number;
    const b = j[k] as number;
    const cc = j[k + 1] as number;
    if (a > 0.5 && b > 0.5 && cc > 0.5 && b < 2 * o.targetCurrentDensity) d2.push(Math.log(b) - 0.5 * (Math.log(a) + Math.log(cc)));
  }
  if (d2.length >= 10) {
    const noise = robustSigma(d2) / Math.sqrt(1.5);
    features['noise_rel'] = noise;
    if (noise > o.noisyThreshold) flags.push('noisy');
  }
  return { features, flags };
}

/** η at the target from a straight line of η against log j over the points within ±0.1 decade of the crossing. */
function etaAtCurrent(j: readonly number[], eta: readonly number[], c: number, target: number): number {
  const lt = Math.log10(target);
  let a = c;
  while (a > 0 && (j[a - 1] as number) > 0 && Math.abs(Math.log10(j[a - 1] as number) - lt) <= 0.1) a--;
  let b = c;
  while (b + 1 < j.length && (j[b + 1] as number) > 0 && Math.abs(Math.log10(j[b + 1] as number) - lt) <= 0.1) b++;
  if (b - a + 1 >= 3 && (j[a] as number) > 0) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let k = a; k <= b; k++) {
      xs.push(Math.log10(j[k] as number));
      ys.push(eta[k] as number);
    }
    const fit = linearFit(xs, ys);
    if (fit.slope > 0) return fit.intercept + fit.slope * lt;
  }
  return interpolateCrossing(eta, j, c, target);
}

function findCrossing(y: readonly number[], level: number, from: number, to: number): number {
  for (let k = to; k > from; k--) if ((y[k - 1] as number) < level && (y[k] as number) >= level) return k;
  return -1;
}
