import type { Matrix } from '../linalg/index.ts';

/**
 * An acquisition function over GP features (x: length d, in the unit cube); larger is better. Values are in model
 * space (standardised outcomes); log-space acquisitions return log-values. Pending points and already chosen batch
 * members are given when the acquisition is built (sequential greedy batches build one per member).
 */
export interface AcquisitionFunction {
  readonly name: string;
  /** Value at one point; when `grad` is given, writes ∂value/∂x into it. */
  value(x: Float64Array, grad?: Float64Array): number;
  /** Values at every row of X (b×d) in one pass (optional; faster at large n). Same numbers as `value` per row. */
  evaluateBatch?(X: Matrix): Float64Array;
}

/** Values at every row of X (b×d), batched when the acquisition supports it. */
export function evaluateRows(acq: AcquisitionFunction, X: Matrix): Float64Array {
  if (acq.evaluateBatch) return acq.evaluateBatch(X);
  const out = new Float64Array(X.n);
  for (let i = 0; i < X.n; i++) out[i] = acq.value(X.data.subarray(i * X.d, (i + 1) * X.d));
  return out;
}
