import type { ElectrodeModel } from './electrode.ts';
import { faradaicConductance, solveInterface } from './kinetics.ts';
import type { MeasureContext, SegmentData } from './measure-context.ts';

export interface PeisParams {
  /** DC bias, V vs RHE. */
  bias_V_RHE: number;
  freqHigh_Hz: number;
  freqLow_Hz: number;
  pointsPerDecade: number;
  amplitude_V: number;
}

export interface RandlesCpe {
  rs_ohm: number;
  rct_ohm: number;
  /** CPE magnitude, F·s^(α−1). */
  q: number;
  alpha: number;
  inductance_H: number;
}

/** Z(ω) = Rs + jωL + 1/(Q(jω)^α + 1/Rct). Returns [Re, Im] in Ω (Im negative for capacitive). */
export function randlesCpeImpedance(c: RandlesCpe, f_Hz: number): [number, number] {
  const w = 2 * Math.PI * f_Hz;
  const mag = c.q * w ** c.alpha;
  const phase = (c.alpha * Math.PI) / 2;
  // Admittance of the parallel branch: Q(jω)^α + 1/Rct
  const yRe = mag * Math.cos(phase) + 1 / c.rct_ohm;
  const yIm = mag * Math.sin(phase);
  const d = yRe * yRe + yIm * yIm;
  return [c.rs_ohm + yRe / d, w * c.inductance_H - yIm / d];
}

/** Logarithmically spaced frequencies from high to low, `pointsPerDecade` per decade. */
export function eisFrequencies(p: Pick<PeisParams, 'freqHigh_Hz' | 'freqLow_Hz' | 'pointsPerDecade'>): number[] {
  const decades = Math.log10(p.freqHigh_Hz / p.freqLow_Hz);
  const n = Math.max(2, Math.round(decades * p.pointsPerDecade) + 1);
  return Array.from({ length: n }, (_, k) => p.freqHigh_Hz * 10 ** (-(k * decades) / (n - 1)));
}

/** Seconds spent at one frequency: three periods, at least one second, plus settling. */
const secondsAt = (f: number): number => Math.max(1, 3 / f) + 0.3;
export const peisDuration = (p: PeisParams): number => eisFrequencies(p).reduce((s, f) => s + secondsAt(f), 0);

/** The equivalent circuit of the electrode at a DC bias: Rct from the Butler–Volmer slope (Rct·A = b/(2.303·j) in the Tafel region). */
export function circuitAtBias(m: ElectrodeModel, bias_V_RHE: number, referenceError_V = 0): RandlesCpe {
  const state = solveInterface(bias_V_RHE + referenceError_V, 1, 0, m);
  const g = faradaicConductance(state.eta, m);
  return {
    rs_ohm: m.ru_ohm,
    rct_ohm: Math.min(1e9, 1 / Math.max(1e-30, g * m.area)),
    q: m.cdl_F_cm2 * m.area,
    alpha: m.cpeAlpha,
    inductance_H: m.inductance_H,
  };
}

/**
 * Potentiostatic EIS around a DC bias with a Randles + CPE circuit consistent with the film's kinetics. Arrays:
 * freq_Hz, Zre_ohm, Zim_ohm (Zim negative for capacitive), t_s (time at the end of each frequency).
 */
export function simulatePeis(m: ElectrodeModel, p: PeisParams, ctx: MeasureContext): SegmentData {
  const circuit = circuitAtBias(m, p.bias_V_RHE, ctx.referenceError_V);
  const freqs = eisFrequencies(p);
  const rng = ctx.instrument.rng;
  const rel = 0.003 * ctx.instrument.noiseScale;
  const zre: number[] = [];
  const zim: number[] = [];
  const ts: number[] = [];
  let t = 0;
  for (const f of freqs) {
    const [re, im] = randlesCpeImpedance(circuit, f);
    const mod = Math.hypot(re, im);
    t += secondsAt(f);
    zre.push(rng ? re + rel * mod * rng.normal() : re);
    zim.push(rng ? im + rel * mod * rng.normal() : im);
    ts.push(ctx.t0_s + t);
  }
  return { arrays: { freq_Hz: freqs, Zre_ohm: zre, Zim_ohm: zim, t_s: ts }, flags: [], duration_s: t };
}
