/** Small numeric helpers for curve analysis. Pure functions on plain arrays. */

export interface LinearFit {
  slope: number;
  intercept: number;
  r2: number;
  n: number;
}

/** Ordinary least squares y = slope·x + intercept over xs[from..to) (whole arrays by default). */
export function linearFit(xs: ArrayLike<number>, ys: ArrayLike<number>, from = 0, to = xs.length): LinearFit {
  const n = to - from;
  let sx = 0;
  let sy = 0;
  for (let i = from; i < to; i++) {
    sx += xs[i] as number;
    sy += ys[i] as number;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = from; i < to; i++) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const r2 = sxx > 0 && syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
  return { slope, intercept: my - slope * mx, r2, n };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : 0.5 * ((s[m - 1] as number) + (s[m] as number));
}

/** Running median with an odd window (edges use the available points). */
export function movingMedian(values: readonly number[], window: number): number[] {
  const h = Math.max(0, (window - 1) >> 1);
  return values.map((_, i) => median(values.slice(Math.max(0, i - h), Math.min(values.length, i + h + 1))));
}

/** x where y crosses `level` linearly between points i−1 and i. */
export function interpolateCrossing(xs: readonly number[], ys: readonly number[], i: number, level: number): number {
  const x0 = xs[i - 1] as number;
  const x1 = xs[i] as number;
  const y0 = ys[i - 1] as number;
  const y1 = ys[i] as number;
  if (y1 === y0) return x1;
  return x0 + ((level - y0) * (x1 - x0)) / (y1 - y0);
}

/** Robust standard deviation (1.4826 × median absolute deviation). */
export function robustSigma(values: readonly number[]): number {
  const m = median(values);
  return 1.4826 * median(values.map((v) => Math.abs(v - m)));
}
