import { levenbergMarquardt } from 'ml-levenberg-marquardt';

/** Data of one impedance spectrum: frequencies (Hz) and Z = Zre + j·Zim (Ω, Zim negative for capacitive). */
export interface Spectrum {
  freq: readonly number[];
  zre: readonly number[];
  zim: readonly number[];
}

export interface RandlesCpeFit {
  rs_ohm: number;
  rct_ohm: number;
  /** CPE magnitude Q, F·s^(α−1), and exponent α. */
  q: number;
  alpha: number;
  inductance_H: number;
  /** Effective double-layer capacitance (Brug), F. */
  cdl_F: number;
  /** RMS of the modulus-normalised residuals. */
  residual: number;
}

/**
 * High-frequency intercept (Ω): Zre where Zim crosses zero at the high-frequency end (inductive → capacitive), or the
 * smallest Zre among the highest-frequency decade when there is no crossing.
 */
export function highFrequencyIntercept(s: Spectrum): number {
  const order = s.freq.map((f, i) => [f, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1] as number;
    const b = order[k] as number;
    const za = s.zim[a] as number;
    const zb = s.zim[b] as number;
    if (za >= 0 && zb < 0) {
      const ra = s.zre[a] as number;
      const rb = s.zre[b] as number;
      return ra + ((rb - ra) * za) / (za - zb);
    }
  }
  const fMax = s.freq[order[0] as number] as number;
  const hf = order.filter((i) => (s.freq[i] as number) >= fMax / 10);
  return Math.min(...hf.map((i) => s.zre[i] as number));
}

/** Z of Rs + jωL + (CPE ∥ Rct). */
export function randlesCpeZ(rs: number, rct: number, q: number, alpha: number, l: number, f: number): [number, number] {
  const w = 2 * Math.PI * f;
  const mag = q * w ** alpha;
  const ph = (alpha * Math.PI) / 2;
  const yRe = mag * Math.cos(ph) + 1 / rct;
  const yIm = mag * Math.sin(ph);
  const d = yRe * yRe + yIm * yIm;
  return [rs + yRe / d, w * l - yIm / d];
}

/**
 * Complex non-linear least squares fit of Rs + L + (CPE ∥ Rct) with Levenberg–Marquardt, on modulus-normalised
 * residuals, in log-parameters (Rs, Rct, Q, L) plus α. Returns undefined when the spectrum is too short.
 */
export function fitRandlesCpe(s: Spectrum): RandlesCpeFit | undefined {
  const n = s.freq.length;
  if (n < 6) return undefined;
  const mod = s.zre.map((re, i) => Math.hypot(re, s.zim[i] as number));
  const y = [...s.zre.map((re, i) => re / (mod[i] as number)), ...s.zim.map((im, i) => im / (mod[i] as number))];
  const x = y.map((_, i) => i);
  const rs0 = Math.max(1e-3, highFrequencyIntercept(s));
  let iLow = 0;
  let iPeak = 0;
  for (let i = 0; i < n; i++) {
    if ((s.freq[i] as number) < (s.freq[iLow] as number)) iLow = i;
    if ((s.zim[i] as number) < (s.zim[iPeak] as number)) iPeak = i;
  }
  const rct0 = Math.max(1e-3, 2 * Math.max((s.zre[iLow] as number) - rs0, 2 * -(s.zim[iPeak] as number)));
  const wPeak = 2 * Math.PI * (s.freq[iPeak] as number);
  const q0 = 1 / (rct0 * wPeak ** 0.9);
  const model = (p: number[]) => (k: number): number => {
    const i = k % n;
    const [re, im] = randlesCpeZ(Math.exp(p[0] as number), Math.exp(p[1] as number), Math.exp(p[2] as number), p[3] as number, Math.exp(p[4] as number), s.freq[i] as number);
    return (k < n ? re : im) / (mod[i] as number);
  };
  const jacobian = (p: number[]) => (k: number): number[] => {
    const i = k % n;
    const d = randlesCpeGradient(p, s.freq[i] as number);
    const m = mod[i] as number;
    return d.map(([re, im]) => (k < n ? re : im) / m);
  };
  try {
    const res = levenbergMarquardt({ x, y }, model, {
      initialValues: [Math.log(rs0), Math.log(rct0), Math.log(q0), 0.9, Math.log(1e-7)],
      minValues: [Math.log(1e-4), Math.log(1e-4), Math.log(1e-12), 0.4, Math.log(1e-12)],
      maxValues: [Math.log(1e7), Math.log(1e12), Math.log(1), 1, Math.log(1e-3)],
      damping: 1e-2,
      jacobianFunction: jacobian,
      maxIterations: 30,
      errorTolerance: 1e-12,
    });
    const [lrs, lrct, lq, alpha, ll] = res.parameterValues as [number, number, number, number, number];
    const rs = Math.exp(lrs);
    const rct = Math.exp(lrct);
    const q = Math.exp(lq);
    const f = model(res.parameterValues);
    let ss = 0;
    for (let k = 0; k < y.length; k++) ss += (f(k) - (y[k] as number)) ** 2;
    return {
      rs_ohm: rs,
      rct_ohm: rct,
      q,
      alpha,
      inductance_H: Math.exp(ll),
      cdl_F: (q * (1 / rs + 1 / rct) ** (alpha - 1)) ** (1 / alpha),
      residual: Math.sqrt(ss / y.length),
    };
  } catch {
    return undefined;
  }
}

/**
 * ∂Z/∂(ln Rs, ln Rct, ln Q, α, ln L) of the circuit at f, as [Re, Im] pairs. With P = (jω)^α and Y = Q·P + 1/Rct:
 * ∂Z/∂lnRs = Rs; ∂Z/∂lnRct = 1/(Y²·Rct); ∂Z/∂lnQ = −Q·P/Y²; ∂Z/∂α = −Q·P·(ln ω + jπ/2)/Y²; ∂Z/∂lnL = jωL.
 */
function randlesCpeGradient(p: readonly number[], f: number): [number, number][] {
  const rs = Math.exp(p[0] as number);
  const rct = Math.exp(p[1] as number);
  const q = Math.exp(p[2] as number);
  const alpha = p[3] as number;
  const l = Math.exp(p[4] as number);
  const w = 2 * Math.PI * f;
  const mag = w ** alpha;
  const pr = mag * Math.cos((alpha * Math.PI) / 2);
  const pi = mag * Math.sin((alpha * Math.PI) / 2);
  const yr = q * pr + 1 / rct;
  const yi = q * pi;
  // 1/Y²
  const y2r = yr * yr - yi * yi;
  const y2i = 2 * yr * yi;
  const den = y2r * y2r + y2i * y2i;
  const invr = y2r / den;
  const invi = -y2i / den;
  // Q·P/Y²
  const qpr = q * pr;
  const qpi = q * pi;
  const ar = qpr * invr - qpi * invi;
  const ai = qpr * invi + qpi * invr;
  const lw = Math.log(w);
  const h = Math.PI / 2;
  return [
    [rs, 0],
    [invr / rct, invi / rct],
    [-ar, -ai],
    [-(ar * lw - ai * h), -(ar * h + ai * lw)],
    [0, w * l],
  ];
}
