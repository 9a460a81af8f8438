import { E_OER_RHE } from '../../src/domain/index.ts';
import type { ElectrodeModel } from './electrode.ts';
import { BubbleNoise, measureCurrent, measurePotential } from './instrument.ts';
import { faradaicCurrent, solveInterface } from './kinetics.ts';
import type { MeasureContext, SegmentData } from './measure-context.ts';

export interface OcpParams {
  duration_s: number;
  sampleInterval_s: number;
}

export interface CaParams {
  potential_V_RHE: number;
  duration_s: number;
  sampleInterval_s: number;
}

export interface CpParams {
  /** Current density held, mA/cm². */
  currentDensity: number;
  duration_s: number;
  sampleInterval_s: number;
}

const times = (duration: number, dt: number): number[] => {
  const n = Math.max(1, Math.floor(duration / dt + 1e-9)) + 1;
  return Array.from({ length: n }, (_, k) => Math.min(duration, k * dt));
};

/** Open-circuit potential: relaxes from 10 mV above the film's OCP. Arrays: t_s, Ewe_V, I_A (zero). */
export function simulateOcp(m: ElectrodeModel, p: OcpParams, ctx: MeasureContext): SegmentData {
  const ts = times(p.duration_s, p.sampleInterval_s);
  const e = ts.map((t) => measurePotential(m.ocp_V_RHE + 0.01 * Math.exp(-t / 30) - ctx.referenceOffset_V_RHE - ctx.referenceError_V, ctx.instrument));
  return { arrays: { t_s: ts.map((t) => ctx.t0_s + t), Ewe_V: e, I_A: ts.map(() => 0) }, flags: [], duration_s: p.duration_s };
}

/** Chronoamperometry at a potential: the steady OER current, slowly decaying with film ageing, plus bubbles. */
export function simulateCa(m: ElectrodeModel, p: CaParams, ctx: MeasureContext): SegmentData {
  const ts = times(p.duration_s, p.sampleInterval_s);
  const steady = solveInterface(p.potential_V_RHE + ctx.referenceError_V, 1, 0, m);
  const bubbles = new BubbleNoise(ctx.instrument.rng, m.bubbleOnset_A_cm2, ctx.instrument.noiseScale);
  let overload = false;
  const i = ts.map((t) => {
    const j = steady.j * (1 - 0.02 * Math.log10(1 + t / 60));
    const r = measureCurrent(j * m.area * bubbles.factor(j), t, ctx.instrument);
    overload ||= r.overload;
    return r.value;
  });
  const e = ts.map(() => measurePotential(p.potential_V_RHE - ctx.referenceOffset_V_RHE, ctx.instrument));
  return {
    arrays: { t_s: ts.map((t) => ctx.t0_s + t), Ewe_V: e, I_A: i },
    flags: overload ? ['overload'] : [],
    duration_s: p.duration_s,
    applied_V_RHE: ts.map(() => p.potential_V_RHE),
  };
}

/** Overpotential (V) at which the film carries j (A/cm²) without iR: inverts Butler–Volmer by bisection. */
export function overpotentialAt(j_A_cm2: number, m: ElectrodeModel): number {
  let lo = -2;
  let hi = 3;
  for (let k = 0; k < 100; k++) {
    const mid = 0.5 * (lo + hi);
    if (faradaicCurrent(mid, m) > j_A_cm2) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}

/** Chronopotentiometry stability hold: E(t) = E0 + a·log10(1 + t/τ) + bubble noise (τ = 60 s). */
export function simulateCp(m: ElectrodeModel, p: CpParams, ctx: MeasureContext): SegmentData {
  const ts = times(p.duration_s, p.sampleInterval_s);
  const j = p.currentDensity / 1000;
  const e0 = E_OER_RHE + overpotentialAt(j, m) + j * m.area * m.ru_ohm;
  const rng = ctx.instrument.rng;
  const bubbleSigma = j > m.bubbleOnset_A_cm2 ? 0.003 * Math.min(5, j / m.bubbleOnset_A_cm2) : 0.0003;
  const e = ts.map((t) => {
    const noise = rng ? ctx.instrument.noiseScale * bubbleSigma * rng.normal() : 0;
    return measurePotential(e0 + m.drift_V_dec * Math.log10(1 + t / 60) + noise - ctx.referenceOffset_V_RHE - ctx.referenceError_V, ctx.instrument);
  });
  const i = ts.map((t) => measureCurrent(j * m.area, t, ctx.instrument).value);
  return { arrays: { t_s: ts.map((t) => ctx.t0_s + t), Ewe_V: e, I_A: i }, flags: [], duration_s: p.duration_s };
}
