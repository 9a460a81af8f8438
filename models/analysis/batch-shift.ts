export interface BatchShiftOptions {
  /** Standard deviation of a residual without a batch effect (model error + measurement noise), same unit. */
  sigma: number;
  /** CUSUM allowance, in σ (half the smallest shift worth detecting). */
  allowance: number;
  /** CUSUM decision threshold, in σ. */
  threshold: number;
  /** Residuals beyond this many σ are clipped (heavy-tailed outliers must not raise an alarm alone). */
  clip: number;
}

export const DEFAULT_BATCH_SHIFT: Omit<BatchShiftOptions, 'sigma'> = { allowance: 0.75, threshold: 4, clip: 3 };

export interface BatchShift {
  /** Index (in the station's sequence) of the first trial of the shifted stretch. */
  from: number;
  /** Index of the trial at which the alarm was raised. */
  alarm: number;
  /** Mean residual from `from` to the alarm, same unit as the residuals. */
  shift: number;
}

/**
 * A batch effect across consecutive trials of one station (a contaminated electrolyte batch): a two-sided CUSUM of
 * standardised residuals (measured − predicted objective, in measurement order). One trial says nothing — a batch
 * shifts every trial measured with it — so the alarm needs a run of same-sign residuals. After an alarm the CUSUM
 * restarts, so a replaced batch is tracked afresh. `residuals`: one station's residuals in order.
 */
export function detectBatchShift(residuals: readonly number[], options: Partial<BatchShiftOptions> & { sigma: number }): BatchShift[] {
  const o = { ...DEFAULT_BATCH_SHIFT, ...options };
  const out: BatchShift[] = [];
  let hi = 0;
  let lo = 0;
  let hiFrom = 0;
  let loFrom = 0;
  for (let k = 0; k < residuals.length; k++) {
    const z = Math.max(-o.clip, Math.min(o.clip, (residuals[k] as number) / o.sigma));
    if (hi <= 0) hiFrom = k;
    if (lo <= 0) loFrom = k;
    hi = Math.max(0, hi + z - o.allowance);
    lo = Math.max(0, lo - z - o.allowance);
    if (hi > o.threshold || lo > o.threshold) {
      const from = hi > o.threshold ? hiFrom : loFrom;
      const stretch = residuals.slice(from, k + 1);
      out.push({ from, alarm: k, shift: stretch.reduce((a, b) => a + b, 0) / stretch.length });
      hi = 0;
      lo = 0;
    }
  }
  return out;
}
