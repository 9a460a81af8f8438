import type { Rng } from '../../src/domain/index.ts';
import type { FaultEffect } from '../fault-injector.ts';
import { BubbleCoverage, bubbleCoverageSpec, type BubbleCoverageSpec } from '../physics/bubble-coverage.ts';
import { contaminateFilm, contaminationOf, type Contamination } from '../physics/contamination.ts';
import { irCompensation, type IrCompensation } from '../physics/ir-compensation.ts';
import type { FilmProperties, Metal } from '../physics/landscape.ts';
import type { LsvCell } from '../physics/measure-context.ts';

/**
 * What the simulated cell really did in one run: simulator-only ground truth (never part of the EchemResult), so
 * tests can compare what the analysis detected with what was injected.
 */
export interface RunTruth {
  runId: string;
  commandId: string;
  /** Electrolyte batch the run was measured in (0-based; a new batch replaces the electrolyte). */
  electrolyteBatch: number;
  /** Silent faults in force: the one drawn for this run and a contamination still in the cell. */
  silent: FaultEffect[];
  trueRu_ohm?: number;
  compensation?: IrCompensation;
  /** Fraction of the true Ru the loop compensated (configured ≈ 0.85). */
  compensatedFraction?: number;
  bubbles?: BubbleCoverageSpec & { peakCoverage: number };
  contamination?: Contamination & { etaShift_V: number; tafelShift_mV_dec: number };
}

/** The silent cell faults in force for one run. */
export interface CellFaultPlan {
  effects: FaultEffect[];
  compensatedFraction?: number;
  bubbles?: BubbleCoverageSpec;
  contamination?: Contamination;
}

/**
 * The station's silent cell faults. IR_COMPENSATION_ERROR and BUBBLE_COVERAGE strike one run; an
 * ELECTROLYTE_CONTAMINATION stays in the cell and biases every later run of the same electrolyte batch until the batch
 * is replaced. A contamination of level 0 is a clean electrolyte: it ends the one in force (an operator replaced the
 * electrolyte) and is not a silent fault of the run.
 */
export class CellFaults {
  private contaminated: { batch: number; effect: FaultEffect } | undefined;

  /** The faults for a run of electrolyte batch `batch`, given the silent effect (if any) drawn for it. */
  plan(batch: number, drawn: FaultEffect | undefined): CellFaultPlan {
    const clean = drawn?.code === 'ELECTROLYTE_CONTAMINATION' && contaminationOf(drawn.magnitude) === undefined;
    if (drawn?.code === 'ELECTROLYTE_CONTAMINATION') this.contaminated = clean ? undefined : { batch, effect: drawn };
    if (this.contaminated && this.contaminated.batch !== batch) this.contaminated = undefined;
    const effects = [clean ? undefined : drawn, this.contaminated?.effect].filter((e, k, all): e is FaultEffect => e !== undefined && all.indexOf(e) === k);
    const plan: CellFaultPlan = { effects };
    if (drawn?.code === 'IR_COMPENSATION_ERROR') plan.compensatedFraction = drawn.magnitude;
    if (drawn?.code === 'BUBBLE_COVERAGE') plan.bubbles = bubbleCoverageSpec(drawn.magnitude);
    const contamination = this.contaminated ? contaminationOf(this.contaminated.effect.magnitude) : undefined;
    if (contamination) plan.contamination = contamination;
    return plan;
  }
}

/** The film as the run measures it (a contaminated batch changes its kinetics), with the truth of the change. */
export function filmInBatch(film: FilmProperties, fractions: Readonly<Record<Metal, number>>, plan: CellFaultPlan, truth: RunTruth): FilmProperties {
  if (!plan.contamination) return film;
  const changed = contaminateFilm(film, fractions, plan.contamination);
  truth.contamination = { ...plan.contamination, etaShift_V: changed.eta10_V - film.eta10_V, tafelShift_mV_dec: changed.tafel_mV_dec - film.tafel_mV_dec };
  return changed;
}

/**
 * The LSV's cell: compensation of `fraction` of the Ru the instrument measures (within `zirError` of the true Ru, or
 * the wrong fraction of an IR_COMPENSATION_ERROR) and bubbles of a BUBBLE_COVERAGE fault. Records the truth.
 */
export function lsvCellOf(trueRu_ohm: number, plan: CellFaultPlan, o: { fraction: number; zirError: number; rng: Rng }, truth: RunTruth): LsvCell {
  const compensation = irCompensation(trueRu_ohm, {
    fraction: o.fraction,
    zirError: o.zirError,
    ...(plan.compensatedFraction !== undefined ? { compensatedFraction: plan.compensatedFraction } : {}),
  });
  truth.trueRu_ohm = trueRu_ohm;
  truth.compensation = compensation;
  truth.compensatedFraction = compensation.applied_ohm / trueRu_ohm;
  const cell: LsvCell = { compensation, rng: o.rng.fork('ringing') };
  if (plan.bubbles) {
    cell.coverage = new BubbleCoverage(plan.bubbles, o.rng.fork('bubbles'));
    truth.bubbles = { ...plan.bubbles, peakCoverage: 0 };
  }
  return cell;
}

/** Completes the truth once the LSV is measured (the largest bubble coverage it reached). */
export function recordLsvTruth(cell: LsvCell, truth: RunTruth): void {
  if (cell.coverage && truth.bubbles) truth.bubbles.peakCoverage = cell.coverage.peak;
}
