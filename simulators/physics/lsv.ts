import type { ElectrodeModel } from './electrode.ts';
import { BubbleNoise, autoRange, measureCurrent, measurePotential } from './instrument.ts';
import { ringingCurrent, solveCompensated } from './ir-compensation.ts';
import { solveInterface, type InterfaceState } from './kinetics.ts';
import { sweepPoints, type MeasureContext, type SegmentData } from './measure-context.ts';

export interface LsvParams {
  start_V_RHE: number;
  end_V_RHE: number;
  scanRate_V_s: number;
  step_V: number;
}

export interface CvParams {
  start_V_RHE: number;
  vertex_V_RHE: number;
  scanRate_V_s: number;
  step_V: number;
  cycles: number;
}

/** Runs one linear segment from a to b and appends to the arrays. Returns the time at its end. */
function sweepSegment(
  m: ElectrodeModel,
  from: number,
  to: number,
  p: { scanRate_V_s: number; step_V: number },
  ctx: MeasureContext,
  t0: number,
  skipFirst: boolean,
  out: { t: number[]; e: number[]; i: number[]; cycle: number[]; applied: number[] },
  cycle: number,
  bubbles: BubbleNoise,
): { t: number; overload: boolean } {
  const n = sweepPoints(from, to, p.step_V);
  const direction: 1 | -1 = to >= from ? 1 : -1;
  const h = (to - from) / (n - 1);
  let overload = false;
  const cell = ctx.lsvCell;
  const limit = ctx.instrument.currentLimit_A;
  for (let k = skipFirst ? 1 : 0; k < n; k++) {
    const eCmd = from + k * h;
    const t = t0 + (Math.abs(k * h) / p.scanRate_V_s);
    const eTrue = eCmd + ctx.referenceError_V;
    let state: InterfaceState & { runaway?: boolean };
    if (cell) state = solveCompensated(eTrue, direction, p.scanRate_V_s, m, cell.compensation.applied_ohm);
    else state = solveInterface(eTrue, direction, p.scanRate_V_s, m);
    let iTrue = state.runaway ? 2 * limit : state.j * m.area * bubbles.factor(state.j);
    if (cell?.coverage) iTrue *= 1 - cell.coverage.step(state.j, Math.abs(h) / p.scanRate_V_s);
    if (cell) iTrue += ringingCurrent(iTrue, autoRange(iTrue, limit), cell.compensation.ringing, cell.rng);
    // A compensated sweep ends at the current limit (the instrument's |I| stop condition) instead of clipping.
    if (cell && Math.abs(iTrue) >= limit && k > 0) return { t: t0 + Math.abs(k * h) / p.scanRate_V_s, overload };
    const reading = measureCurrent(iTrue, t, ctx.instrument);
    overload ||= reading.overload;
    out.t.push(ctx.t0_s + t);
    out.e.push(measurePotential(eCmd - ctx.referenceOffset_V_RHE, ctx.instrument));
    out.i.push(reading.value);
    out.cycle.push(cycle);
    out.applied.push(eCmd);
  }
  return { t: t0 + Math.abs(to - from) / p.scanRate_V_s, overload };
}

/**
 * Linear-sweep voltammetry of a catalyst film: Butler–Volmer kinetics solved with the iR drop, capacitive current,
 * the Ni pre-wave, bubble noise above the onset, instrument noise, autorange quantisation and overload clipping.
 * With `ctx.lsvCell`: positive-feedback iR compensation (Ewe is the commanded potential; the interface sees
 * E − I·(Ru − Rc)), the oscillation of an over-compensated loop, and bubbles adhering at high current; the sweep then
 * ends where |I| reaches the current limit (with most of Ru compensated an active film would otherwise clip).
 * Arrays: t_s, Ewe_V (vs the reference electrode, as the instrument reports it), I_A.
 */
export function simulateLsv(m: ElectrodeModel, p: LsvParams, ctx: MeasureContext): SegmentData {
  const out = { t: [] as number[], e: [] as number[], i: [] as number[], cycle: [] as number[], applied: [] as number[] };
  const bubbles = new BubbleNoise(ctx.instrument.rng, m.bubbleOnset_A_cm2, ctx.instrument.noiseScale);
  const r = sweepSegment(m, p.start_V_RHE, p.end_V_RHE, p, ctx, 0, false, out, 0, bubbles);
  return {
    arrays: { t_s: out.t, Ewe_V: out.e, I_A: out.i },
    flags: r.overload ? ['overload'] : [],
    duration_s: r.t,
    applied_V_RHE: out.applied,
  };
}

/**
 * Cyclic voltammetry (conditioning cycles): start → vertex → start, `cycles` times. Arrays: t_s, Ewe_V, I_A, cycle.
 */
export function simulateCv(m: ElectrodeModel, p: CvParams, ctx: MeasureContext): SegmentData {
  const out = { t: [] as number[], e: [] as number[], i: [] as number[], cycle: [] as number[], applied: [] as number[] };
  const bubbles = new BubbleNoise(ctx.instrument.rng, m.bubbleOnset_A_cm2, ctx.instrument.noiseScale);
  let t = 0;
  let overload = false;
  for (let c = 0; c < p.cycles; c++) {
    const up = sweepSegment(m, p.start_V_RHE, p.vertex_V_RHE, p, ctx, t, c > 0, out, c + 1, bubbles);
    const down = sweepSegment(m, p.vertex_V_RHE, p.start_V_RHE, p, ctx, up.t, true, out, c + 1, bubbles);
    t = down.t;
    overload ||= up.overload || down.overload;
  }
  return {
    arrays: { t_s: out.t, Ewe_V: out.e, I_A: out.i, cycle: out.cycle },
    flags: overload ? ['overload'] : [],
    duration_s: t,
    applied_V_RHE: out.applied,
  };
}

/** Duration of an LSV, s. */
export const lsvDuration = (p: LsvParams): number => Math.abs(p.end_V_RHE - p.start_V_RHE) / p.scanRate_V_s;
/** Duration of a CV, s. */
export const cvDuration = (p: CvParams): number => (2 * p.cycles * Math.abs(p.vertex_V_RHE - p.start_V_RHE)) / p.scanRate_V_s;
