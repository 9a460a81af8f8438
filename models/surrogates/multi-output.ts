import type { Matrix } from '../linalg/index.ts';
import { GaussianProcess, type GpFitOptions, type GpHyperparameters } from './gp.ts';

/**
 * Several outcomes as independent GPs on shared inputs (X: n×d in the unit cube; Y[k]: n outcomes of output k),
 * each with its own hyper-parameters, standardisation and noise. `warmStarts[k]` warm-starts output k.
 */
export function fitIndependentGps(
  X: Matrix,
  Y: readonly ArrayLike<number>[],
  opts: GpFitOptions & { warmStarts?: readonly (GpHyperparameters | undefined)[]; noiseVariances?: readonly (ArrayLike<number> | undefined)[] } = {},
): GaussianProcess[] {
  const { warmStarts, noiseVariances, ...common } = opts;
  return Y.map((y, k) =>
    GaussianProcess.fit(X, y, { ...common, warmStart: warmStarts?.[k] ?? common.warmStart, noiseVariance: noiseVariances?.[k], seed: (common.seed ?? 0) + k }),
  );
}

/** Outcome-unit predictions of every output at the rows of Xq (m×d): mean[k] and sd[k] (length m each). */
export function predictIndependent(gps: readonly GaussianProcess[], Xq: Matrix): { mean: Float64Array[]; sd: Float64Array[] } {
  const preds = gps.map((gp) => gp.predict(Xq));
  return { mean: preds.map((p) => p.mean), sd: preds.map((p) => p.sd) };
}
