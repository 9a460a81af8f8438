import type { Curve, Technique } from '../../src/domain/index.ts';
import type { ResolvedParams } from '../../drivers/electrochem/technique-params.ts';
import type { ElectrodeModel } from '../physics/electrode.ts';
import { simulateCa, simulateCp, simulateOcp } from '../physics/chrono.ts';
import { diffusionCurrent, type RedoxCouple } from '../physics/diffusion.ts';
import { peisDuration, simulatePeis } from '../physics/eis.ts';
import { cvDuration, lsvDuration, simulateCv, simulateLsv } from '../physics/lsv.ts';
import type { MeasureContext, SegmentData } from '../physics/measure-context.ts';

export type Segment = Exclude<Technique, 'OER_Screen_v1'>;

/** Settling and switching time the instrument spends before each segment, s. */
export const SEGMENT_OVERHEAD_S = 5;

/** Realistic duration of one segment (overhead included), s. */
export function segmentDuration(segment: Segment, p: ResolvedParams): number {
  switch (segment) {
    case 'OCP':
      return SEGMENT_OVERHEAD_S + p.ocpDuration;
    case 'CV':
      return SEGMENT_OVERHEAD_S + cvDuration(cvParams(p));
    case 'PEIS':
      return SEGMENT_OVERHEAD_S + peisDuration(peisParams(p));
    case 'LSV':
      return SEGMENT_OVERHEAD_S + lsvDuration(lsvParams(p));
    case 'CA':
      return SEGMENT_OVERHEAD_S + p.caDuration;
    case 'CP':
      return SEGMENT_OVERHEAD_S + p.cpDuration;
  }
}

const cvParams = (p: ResolvedParams) => ({
  start_V_RHE: p.cvStart_V_RHE,
  vertex_V_RHE: p.cvVertex_V_RHE,
  scanRate_V_s: p.cvScanRate_V_s,
  step_V: p.cvStep_V,
  cycles: p.cvCycles,
});
const lsvParams = (p: ResolvedParams) => ({ start_V_RHE: p.lsvStart_V_RHE, end_V_RHE: p.lsvEnd_V_RHE, scanRate_V_s: p.lsvScanRate_V_s, step_V: p.lsvStep_V });
const peisParams = (p: ResolvedParams) => ({
  bias_V_RHE: p.eisBias_V_RHE,
  freqHigh_Hz: p.eisFreqHigh_Hz,
  freqLow_Hz: p.eisFreqLow_Hz,
  pointsPerDecade: p.eisPointsPerDecade,
  amplitude_V: p.eisAmplitude_V,
});

/**
 * Measures one segment on an electrode; the curve's params record what the segment used (potentials vs RHE).
 * Dissolved redox couples (calibration standards) add their diffusion-controlled current to CV, LSV and CA.
 */
export function measureSegment(
  segment: Segment,
  m: ElectrodeModel,
  p: ResolvedParams,
  ctx: MeasureContext,
  couples: readonly RedoxCouple[] = [],
): { curve: Curve; data: SegmentData } {
  let data: SegmentData;
  let params: Record<string, number>;
  if (segment !== 'LSV' && ctx.lsvCell) return measureSegment(segment, m, p, { ...ctx, lsvCell: undefined }, couples);
  switch (segment) {
    case 'OCP':
      params = { duration_s: p.ocpDuration, sampleInterval_s: p.sampleInterval };
      data = simulateOcp(m, { duration_s: p.ocpDuration, sampleInterval_s: p.sampleInterval }, ctx);
      break;
    case 'CV':
      params = cvParams(p);
      data = simulateCv(m, cvParams(p), ctx);
      break;
    case 'PEIS':
      params = peisParams(p);
      data = simulatePeis(m, peisParams(p), ctx);
      break;
    case 'LSV': {
      const comp = ctx.lsvCell?.compensation;
      // The instrument records the compensation it applied: analysis corrects only the rest of Rs.
      params = { ...lsvParams(p), targetCurrentDensity: p.targetCurrentDensity, ...(comp ? { irCompensation_ohm: comp.applied_ohm, irCompensationFraction: comp.fraction } : {}) };
      data = simulateLsv(m, lsvParams(p), ctx);
      break;
    }
    case 'CA':
      params = { potential_V_RHE: p.caPotential_V_RHE, duration_s: p.caDuration, sampleInterval_s: p.sampleInterval };
      data = simulateCa(m, { potential_V_RHE: p.caPotential_V_RHE, duration_s: p.caDuration, sampleInterval_s: p.sampleInterval }, ctx);
      break;
    case 'CP':
      params = { currentDensity: p.cpCurrentDensity, duration_s: p.cpDuration, sampleInterval_s: p.sampleInterval };
      data = simulateCp(m, { currentDensity: p.cpCurrentDensity, duration_s: p.cpDuration, sampleInterval_s: p.sampleInterval }, ctx);
      break;
  }
  if (couples.length > 0 && (segment === 'CV' || segment === 'LSV' || segment === 'CA')) addRedoxCurrent(data, couples, ctx);
  return { curve: { technique: segment, arrays: data.arrays, params: { ...params, area: p.area, currentLimit_A: p.currentLimit_A } }, data };
}

/** Adds the couples' current along the potential the instrument applied (true potential = applied + reference error). */
function addRedoxCurrent(data: SegmentData, couples: readonly RedoxCouple[], ctx: MeasureContext): void {
  const t = data.arrays['t_s'];
  const e = data.applied_V_RHE;
  const i = data.arrays['I_A'];
  if (!t || !e || !i || e.length !== i.length) return;
  const t0 = t[0] ?? 0;
  const rel = t.map((v) => v - t0);
  const eTrue = e.map((v) => v + ctx.referenceError_V);
  for (const c of couples) {
    const extra = diffusionCurrent(c, rel, eTrue);
    for (let k = 0; k < i.length; k++) i[k] = (i[k] as number) + (extra[k] ?? 0);
  }
}
