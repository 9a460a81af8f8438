import { linearFit } from './numeric.ts';

export interface TafelOptions {
  /** Narrowest window, decades of current. */
  minDecades: number;
  /** Widest window, decades of current. */
  maxDecades: number;
  /** Fewest points in a window. */
  minPoints: number;
  /** Windows within this R² of the best count as equally linear; the one at the highest current wins. */
  r2Tolerance: number;
}

export const DEFAULT_TAFEL_OPTIONS: TafelOptions = { minDecades: 0.6, maxDecades: 1.2, minPoints: 8, r2Tolerance: 0.0005 };

export interface TafelFit {
  /** Tafel slope, mV/dec. */
  slope_mV_dec: number;
  r2: number;
  /** Current-density window of the fit, mA/cm². */
  jLow: number;
  jHigh: number;
  points: number;
}

/**
 * Tafel slope with an automatic window: η (V, iR-corrected) against log10 j over every window between `minDecades`
 * and `maxDecades` wide (0.05-decade grid); the most linear window wins (ties go to higher current, away from the
 * capacitive and pre-wave region). `logj` must increase along the arrays (one monotone rising branch).
 * Returns undefined when the data span less than `minDecades`.
 */
export function fitTafel(logj: readonly number[], eta: readonly number[], options: Partial<TafelOptions> = {}): TafelFit | undefined {
  const o = { ...DEFAULT_TAFEL_OPTIONS, ...options };
  const n = logj.length;
  if (n < o.minPoints) return undefined;
  const lo = logj[0] as number;
  const hi = logj[n - 1] as number;
  if (hi - lo < o.minDecades) return undefined;
  const candidates: { fit: ReturnType<typeof linearFit>; a: number; b: number; top: number }[] = [];
  const indexAt = (v: number): number => {
    let k = 0;
    while (k < n && (logj[k] as number) < v) k++;
    return k;
  };
  for (let width = o.minDecades; width <= o.maxDecades + 1e-9; width += 0.1) {
    for (let start = lo; start + width <= hi + 1e-9; start += 0.05) {
      const a = indexAt(start);
      const b = indexAt(start + width + 1e-12);
      if (b - a < o.minPoints) continue;
      candidates.push({ fit: linearFit(logj, eta, a, b), a, b, top: start + width });
    }
  }
  if (candidates.length === 0) return undefined;
  const best = Math.max(...candidates.map((c) => c.fit.r2));
  const pick = candidates.filter((c) => c.fit.r2 >= best - o.r2Tolerance).reduce((p, c) => (c.top > p.top ? c : p));
  return {
    slope_mV_dec: pick.fit.slope * 1000,
    r2: pick.fit.r2,
    jLow: 10 ** (logj[pick.a] as number),
    jHigh: 10 ** (logj[pick.b - 1] as number),
    points: pick.b - pick.a,
  };
}
