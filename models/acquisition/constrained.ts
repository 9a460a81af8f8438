import { dLogNormCdf, logNormCdf } from '../stats/normal.ts';
import type { FeasibilityModel } from '../surrogates/feasibility.ts';
import type { GaussianProcess } from '../surrogates/gp.ts';
import { posteriorRows } from '../surrogates/gp-batch.ts';
import type { Matrix } from '../linalg/index.ts';
import { evaluateRows, type AcquisitionFunction } from './types.ts';

/**
 * A log-probability term added to a log-space acquisition: log P(constraint holds at x), with gradient; `batch`, when
 * present, gives the same values at every row of a matrix in one pass (see `termRows`); `source`, the model behind
 * it (so a batched scorer that also reports that model's probability computes it once).
 */
export type LogProbabilityTerm = ((x: Float64Array, grad?: Float64Array) => number) & { batch?: (X: Matrix) => Float64Array; source?: object };

/** A term's values at every row of X: batched when the term offers it, else row by row. */
export function termRows(term: LogProbabilityTerm, X: Matrix): Float64Array {
  if (term.batch) return term.batch(X);
  return Float64Array.from({ length: X.n }, (_, i) => term(X.data.subarray(i * X.d, (i + 1) * X.d)));
}

/**
 * value(x) = acq(x) + Σ_k log P_k(x): for log-space acquisitions (LogEI, qLogNEI) this is log(EI·ΠP_k), the
 * constrained expected improvement; failure regions and likely threshold violations become unattractive.
 */
export function withLogProbabilities(acq: AcquisitionFunction, terms: LogProbabilityTerm[]): AcquisitionFunction {
  if (terms.length === 0) return acq;
  return {
    name: `${acq.name}+feasibility`,
    value(x, grad) {
      let v = acq.value(x, grad);
      const g = grad ? new Float64Array(grad.length) : undefined;
      for (const term of terms) {
        v += term(x, g);
        if (grad && g) for (let j = 0; j < grad.length; j++) grad[j] = (grad[j] as number) + (g[j] as number);
      }
      return v;
    },
    evaluateBatch(X) {
      const out = evaluateRows(acq, X);
      for (let i = 0; i < X.n; i++) {
        const x = X.data.subarray(i * X.d, (i + 1) * X.d);
        for (const term of terms) out[i] = (out[i] as number) + term(x);
      }
      return out;
    },
  };
}

/** log P(feasible) from a classifier learnt on failed trials. */
export function feasibilityTerm(model: Pick<FeasibilityModel, 'logProbability'> & { logProbabilityBatch?: (X: Matrix) => Float64Array }): LogProbabilityTerm {
  const term: LogProbabilityTerm = (x, grad) => model.logProbability(x, grad);
  term.source = model;
  if (model.logProbabilityBatch) term.batch = (X) => (model.logProbabilityBatch as (X: Matrix) => Float64Array)(X);
  return term;
}

/** log P(f(x) ≥ bound) for a GP outcome (bound in model space, maximisation convention). */
export function outcomeBoundTerm(gp: GaussianProcess, boundModel: number): LogProbabilityTerm {
  const term: LogProbabilityTerm = (x, grad) => {
    const p = gp.pointPosterior(x, grad !== undefined);
    const sd = Math.sqrt(p.variance);
    const z = (p.mean - boundModel) / sd;
    if (grad && p.dMean && p.dVariance) {
      const dl = dLogNormCdf(z);
      for (let j = 0; j < grad.length; j++) {
        const dsd = (p.dVariance[j] as number) / (2 * sd);
        grad[j] = dl * ((p.dMean[j] as number) - z * dsd) / sd;
      }
    }
    return logNormCdf(z);
  };
  term.batch = (X) => {
    const p = posteriorRows(gp, X);
    return p.mean.map((mu, i) => logNormCdf((mu - boundModel) / Math.sqrt(p.variance[i] as number)));
  };
  return term;
}
