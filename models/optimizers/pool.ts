import { selectRows, zeros, type Matrix } from '../linalg/index.ts';
import { evaluateRows, type AcquisitionFunction } from '../acquisition/types.ts';
import { appendRow } from './optimize-acquisition.ts';

/**
 * Pool (discrete) mode: the candidates are the rows of a finite pool, m×d GP features in the unit cube (e.g. the
 * unevaluated rows of a benchmark dataset, encoded). Every remaining row is scored; nothing is snapped.
 */

/** Acquisition value of every row of `candidates` (m×d); rows flagged in `skip` get −∞. */
export function scorePool(acq: AcquisitionFunction, candidates: Matrix, skip?: ArrayLike<boolean>): Float64Array {
  if (!skip) return evaluateRows(acq, candidates);
  const keep: number[] = [];
  for (let i = 0; i < candidates.n; i++) if (!skip[i]) keep.push(i);
  const scores = evaluateRows(acq, selectRows(candidates, keep));
  const out = new Float64Array(candidates.n).fill(-Infinity);
  keep.forEach((i, r) => (out[i] = scores[r] as number));
  return out;
}

/**
 * Sequential greedy q-batch from a pool: member j is the best row under `makeAcquisition(pending ∪ members 0..j−1)`,
 * never a row flagged in `evaluated` or already chosen. Returns row indices (fewer than q when the pool runs out).
 * Ties go to the lowest index, so results are deterministic.
 */
export function selectFromPool(
  candidates: Matrix,
  q: number,
  makeAcquisition: (pending: Matrix) => AcquisitionFunction,
  opts: { evaluated?: ArrayLike<boolean>; pending?: Matrix } = {},
): number[] {
  const skip = Array.from({ length: candidates.n }, (_, i) => Boolean(opts.evaluated?.[i]));
  let pending = opts.pending ?? zeros(0, candidates.d);
  const chosen: number[] = [];
  for (let j = 0; j < q; j++) {
    const scores = scorePool(makeAcquisition(pending), candidates, skip);
    let best = -1;
    for (let i = 0; i < scores.length; i++) {
      if (skip[i]) continue;
      if (best < 0 || (scores[i] as number) > (scores[best] as number)) best = i;
    }
    if (best < 0) break;
    chosen.push(best);
    skip[best] = true;
    pending = appendRow(pending, candidates.data.subarray(best * candidates.d, (best + 1) * candidates.d));
  }
  return chosen;
}

/** Min–max scales the columns of a raw pool (m×d) into the unit cube; constant columns become 0.5. */
export function scaleToUnitCube(raw: Matrix): { X: Matrix; low: Float64Array; high: Float64Array } {
  const { n, d } = raw;
  const low = new Float64Array(d).fill(Infinity);
  const high = new Float64Array(d).fill(-Infinity);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const v = raw.data[i * d + j] as number;
      if (!Number.isFinite(v)) throw new RangeError(`pool value at row ${i}, column ${j} is not finite`);
      low[j] = Math.min(low[j] as number, v);
      high[j] = Math.max(high[j] as number, v);
    }
  const X = zeros(n, d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const span = (high[j] as number) - (low[j] as number);
      X.data[i * d + j] = span > 0 ? ((raw.data[i * d + j] as number) - (low[j] as number)) / span : 0.5;
    }
  return { X, low, high };
}
