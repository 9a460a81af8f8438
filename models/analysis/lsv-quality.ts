import { robustSigma } from './numeric.ts';

export interface LsvQualityOptions {
  /** Current-density band where the quiet-region noise is measured, mA/cm² (below any bubble onset). */
  lowBand: readonly [number, number];
  /** A jump in ln j between neighbours larger than this many quiet-region σ counts as a bubble event... */
  jumpSigmas: number;
  /** ...and at least this large. */
  minJump: number;
  /** Bubble events within the analysis window (up to 2 × target) that flag `bubbles`. */
  minJumps: number;
}

export const DEFAULT_LSV_QUALITY: LsvQualityOptions = { lowBand: [0.1, 1], jumpSigmas: 6, minJump: 0.02, minJumps: 2 };

export interface LsvQuality {
  /** `noise_low_rel`: relative point-to-point noise in the quiet band; `bubble_events`, `bubble_onset_mA_cm2`. */
  features: Record<string, number>;
  /** `bubbles` when bubble events disturb the analysis window. */
  flags: string[];
}

/** Second difference of ln j at k (0 on a Tafel line sampled at equal potential steps). */
const d2At = (j: readonly number[], k: number): number => Math.log(j[k] as number) - 0.5 * (Math.log(j[k - 1] as number) + Math.log(j[k + 1] as number));

/**
 * Cell disturbances of an anodic LSV, from the data alone. j: baseline-corrected current density (mA/cm²) along the
 * sweep (equal potential steps).
 * - `noise_low_rel`: robust relative noise where the current is small and steady (`lowBand`). Instrument noise keeps
 *   it ≲ 1 %; an oscillating (over-compensated) potentiostat lifts it along the whole sweep.
 * - Bubble events: adhering O2 bubbles make a sawtooth — sudden jumps of ln j when a bubble detaches, slow falls while
 *   it grows — only above some current density. Counted where |Δ² ln j| exceeds max(`minJump`, `jumpSigmas` × the
 *   quiet noise) inside the analysis window (current above the low band, up to 2 × target); `bubble_onset_mA_cm2` is
 *   the current density of the first. Natural bubbles of a film start above that window.
 */
export function lsvQuality(j: readonly number[], target_mA_cm2: number, options: Partial<LsvQualityOptions> = {}): LsvQuality {
  const o = { ...DEFAULT_LSV_QUALITY, ...options };
  const features: Record<string, number> = {};
  const flags: string[] = [];
  const positive = (k: number): boolean => (j[k - 1] as number) > 0 && (j[k] as number) > 0 && (j[k + 1] as number) > 0;
  const low: number[] = [];
  for (let k = 1; k + 1 < j.length; k++) {
    const v = j[k] as number;
    if (positive(k) && v >= o.lowBand[0] && v <= o.lowBand[1]) low.push(d2At(j, k));
  }
  if (low.length < 8) return { features, flags };
  const noise = robustSigma(low) / Math.sqrt(1.5);
  features['noise_low_rel'] = noise;
  const threshold = Math.max(o.minJump, o.jumpSigmas * noise);
  let events = 0;
  let onset = Number.NaN;
  for (let k = 1; k + 1 < j.length; k++) {
    const v = j[k] as number;
    if (!positive(k) || v <= o.lowBand[1] || v > 2 * target_mA_cm2) continue;
    if (Math.abs(d2At(j, k)) > threshold) {
      events++;
      if (Number.isNaN(onset)) onset = v;
    }
  }
  features['bubble_events'] = events;
  if (events >= o.minJumps) {
    features['bubble_onset_mA_cm2'] = onset;
    flags.push('bubbles');
  }
  return { features, flags };
}
