import type { Rng } from '../../src/domain/index.ts';
import type { BubbleCoverage } from './bubble-coverage.ts';
import type { InstrumentModel } from './instrument.ts';
import type { IrCompensation } from './ir-compensation.ts';

/** What the cell and the compensation loop add to an LSV (realised per run by simulators/echem/cell-faults.ts). */
export interface LsvCell {
  /** Positive-feedback iR compensation during the sweep (recorded in the curve's params). */
  compensation: IrCompensation;
  /** Bubbles adhering at high current (a BUBBLE_COVERAGE fault). */
  coverage?: BubbleCoverage;
  /** Random source of the loop's oscillation (seeded per run, independent of instrument noise). */
  rng: Rng;
}

/** How one technique segment is measured: the instrument and the reference electrode it reads against. */
export interface MeasureContext {
  instrument: InstrumentModel;
  /** Nominal offset of the reference vs RHE: commanded E_ref = E_RHE − offset; reported potentials are vs the reference. */
  referenceOffset_V_RHE: number;
  /** Error of the physical reference electrode, V: true E_RHE = E_ref + offset + error. */
  referenceError_V: number;
  /** Time of the segment's first point on the run's timeline, s. */
  t0_s: number;
  /** LSV only: compensation and bubbles; absent, the LSV is uncompensated and bubble-free (but for film bubbles). */
  lsvCell?: LsvCell;
}

/** Columnar arrays of one segment (SI units named in the keys) plus instrument flags and its duration. */
export interface SegmentData {
  arrays: Record<string, number[]>;
  flags: string[];
  duration_s: number;
  /** Potential the instrument applied at each point, V vs RHE (before the reference error); not part of the curve. */
  applied_V_RHE?: number[];
}

/** Number of points of a sweep from a to b with step h (both ends included). */
export function sweepPoints(a: number, b: number, h: number): number {
  return Math.max(2, Math.round(Math.abs(b - a) / h) + 1);
}
