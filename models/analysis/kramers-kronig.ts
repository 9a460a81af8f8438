import type { Spectrum } from './eis-fit.ts';

export interface KramersKronigResult {
  /** Largest modulus-normalised residual (real or imaginary part). */
  maxResidual: number;
  /** RMS of the modulus-normalised residuals. */
  rmsResidual: number;
  /** Number of RC elements of the test circuit. */
  elements: number;
  pass: boolean;
}

/**
 * Linear Kramers–Kronig test (Lin-KK, Schönleber et al. 2014): fits Z(ω) = R0 + jωL + Σ R_k/(1 + jωτ_k) with fixed
 * time constants log-spaced over the measured range (`perDecade` per decade) by linear least squares weighted by
 * 1/|Z|. A spectrum from a linear, causal, stable system is fitted to within its noise; drift or non-linearity leaves
 * residuals. Passes when the largest residual is below `threshold` (default 2 %: white noise of 0.3 % of |Z| per point
 * already gives a largest residual of ≈ 0.7–1 % over 61 frequencies).
 */
export function kramersKronigTest(s: Spectrum, options: { perDecade?: number; threshold?: number } = {}): KramersKronigResult {
  const n = s.freq.length;
  const fMax = Math.max(...s.freq);
  const fMin = Math.min(...s.freq);
  const decades = Math.log10(fMax / fMin);
  const m = Math.max(3, Math.round(decades * (options.perDecade ?? 5)));
  const tauMin = 1 / (2 * Math.PI * fMax);
  const tauMax = 1 / (2 * Math.PI * fMin);
  const taus = Array.from({ length: m }, (_, k) => tauMin * (tauMax / tauMin) ** (k / (m - 1)));
  const cols = m + 2; // R0, L, R_1..R_m
  const rows: number[][] = [];
  const rhs: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = 2 * Math.PI * (s.freq[i] as number);
    const mod = Math.hypot(s.zre[i] as number, s.zim[i] as number);
    const re = [1, 0];
    const im = [0, w];
    for (const tau of taus) {
      const d = 1 + w * w * tau * tau;
      re.push(1 / d);
      im.push((-w * tau) / d);
    }
    rows.push(re.map((v) => v / mod), im.map((v) => v / mod));
    rhs.push((s.zre[i] as number) / mod, (s.zim[i] as number) / mod);
  }
  const x = leastSquares(rows, rhs, cols);
  let max = 0;
  let ss = 0;
  rows.forEach((row, r) => {
    let fit = 0;
    for (let c = 0; c < cols; c++) fit += (row[c] as number) * (x[c] as number);
    const res = Math.abs(fit - (rhs[r] as number));
    max = Math.max(max, res);
    ss += res * res;
  });
  const threshold = options.threshold ?? 0.02;
  return { maxResidual: max, rmsResidual: Math.sqrt(ss / rows.length), elements: m, pass: max < threshold };
}

/** Least squares by Householder QR (rows × cols, rows ≥ cols) on a flat row-major copy; columns are scaled first. */
function leastSquares(a: readonly number[][], b: readonly number[], cols: number): number[] {
  const m = a.length;
  const A = new Float64Array(m * cols);
  const y = Float64Array.from(b);
  const scale = new Float64Array(cols);
  for (let r = 0; r < m; r++) for (let c = 0; c < cols; c++) A[r * cols + c] = (a[r] as number[])[c] as number;
  for (let c = 0; c < cols; c++) {
    let s = 0;
    for (let r = 0; r < m; r++) s += (A[r * cols + c] as number) ** 2;
    scale[c] = Math.sqrt(s) || 1;
    for (let r = 0; r < m; r++) A[r * cols + c] = (A[r * cols + c] as number) / (scale[c] as number);
  }
  const v = new Float64Array(m);
  for (let k = 0; k < cols; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += (A[i * cols + k] as number) ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const akk = A[k * cols + k] as number;
    const alpha = akk > 0 ? -norm : norm;
    let vv = 0;
    for (let i = k; i < m; i++) {
      v[i] = (A[i * cols + k] as number) - (i === k ? alpha : 0);
      vv += (v[i] as number) ** 2;
    }
    if (vv === 0) continue;
    for (let c = k; c < cols; c++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += (v[i] as number) * (A[i * cols + c] as number);
      const f = (2 * dot) / vv;
      for (let i = k; i < m; i++) A[i * cols + c] = (A[i * cols + c] as number) - f * (v[i] as number);
    }
    let dot = 0;
    for (let i = k; i < m; i++) dot += (v[i] as number) * (y[i] as number);
    const f = (2 * dot) / vv;
    for (let i = k; i < m; i++) y[i] = (y[i] as number) - f * (v[i] as number);
  }
  const x = new Array<number>(cols).fill(0);
  for (let k = cols - 1; k >= 0; k--) {
    let s = y[k] as number;
    for (let c = k + 1; c < cols; c++) s -= (A[k * cols + c] as number) * (x[c] as number);
    const d = A[k * cols + k] as number;
    x[k] = Math.abs(d) > 1e-14 ? s / d : 0;
  }
  return x.map((val, c) => val / (scale[c] as number));
}
