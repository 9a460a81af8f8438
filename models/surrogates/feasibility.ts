import { Rng } from '../../src/domain/random.ts';
import { selectRows, solveLower, solveLowerTranspose, zeros } from '../linalg/index.ts';
import type { Matrix } from '../linalg/index.ts';
import { dLogNormCdf, logNormCdf, normQuantile } from '../stats/normal.ts';
import { laplaceMode } from './laplace.ts';
import { subsampleKeeping } from './subsample.ts';
import { kernelDerivR2, kernelValue, scaledSqDist } from './kernels.ts';

/**
 * Probability that a recipe succeeds, learnt from feasible and failed observations: a Gaussian-process classifier
 * with probit likelihood and the Laplace approximation (Rasmussen & Williams, algorithms 3.1–3.2), RBF kernel with
 * an isotropic lengthscale and outputscale chosen on a small grid by the approximate marginal likelihood. The prior
 * mean is the smoothed feasible fraction, so far from any data the probability returns to the base rate.
 *
 * X: n×d in the unit cube; `feasible[i]` the outcome of row i.
 */
export interface FeasibilityModel {
  /** log P(feasible) at x (length d); writes ∂/∂x into `grad` when given. */
  logProbability(x: ArrayLike<number>, grad?: Float64Array): number;
  readonly lengthscale: number;
  readonly outputscale: number;
  readonly n: number;
}

export interface FeasibilityOptions {
  /** Train on at most this many points (all failures kept, feasible rows subsampled; default 300). */
  maxPoints?: number;
  seed?: number;
}

interface LaplaceFit {
  logMl: number;
  fHat: Float64Array;
  L: Matrix;
  sqrtW: Float64Array;
  gradLog: Float64Array;
}

export function fitFeasibility(X: Matrix, feasible: ArrayLike<boolean>, opts: FeasibilityOptions = {}): FeasibilityModel {
  if (X.n !== feasible.length) throw new RangeError('one feasibility label per row is needed');
  if (X.n === 0) throw new RangeError('a feasibility model needs observations');
  const rng = new Rng(opts.seed ?? 0);
  let idx = Array.from({ length: X.n }, (_, i) => i);
  const maxPoints = opts.maxPoints ?? 300;
  if (idx.length > maxPoints) {
    idx = subsampleKeeping(
      idx.filter((i) => !feasible[i]),
      idx.filter((i) => feasible[i]),
      maxPoints,
      rng,
    );
  }
  const Xt = selectRows(X, idx);
  const t = Float64Array.from(idx, (i) => (feasible[i] ? 1 : -1));
  const n = Xt.n;
  const d = Xt.d;
  const nFeasible = t.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
  const rate = (nFeasible + 1) / (n + 2);

  let best: { fit: LaplaceFit; ell: number; s2: number; m0: number } | undefined;
  for (const ellScale of [0.1, 0.2, 0.4, 0.8]) {
    for (const s2 of [1, 4]) {
      const ell = ellScale * Math.sqrt(d);
      const m0 = normQuantile(rate) * Math.sqrt(1 + s2);
      const invL2 = new Float64Array(d).fill(1 / (ell * ell));
      const K = zeros(n, n);
      for (let i = 0; i < n; i++)
        for (let k = 0; k <= i; k++) {
          const v = s2 * kernelValue('rbf', scaledSqDist(Xt.data, i * d, Xt.data, k * d, invL2));
          K.data[i * n + k] = v;
          K.data[k * n + i] = v;
        }
      const fit = laplace(K, t, m0);
      if (fit && (!best || fit.logMl > best.fit.logMl)) best = { fit, ell, s2, m0 };
    }
  }
  if (!best) throw new Error('feasibility model: Laplace approximation failed for every setting');
  const { fit, ell, s2, m0 } = best;
  const invL2 = new Float64Array(d).fill(1 / (ell * ell));

  return {
    lengthscale: ell,
    outputscale: s2,
    n,
    logProbability(x, grad) {
      const k = new Float64Array(n);
      const kd = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const r2 = scaledSqDist(Xt.data, i * d, x, 0, invL2);
        k[i] = s2 * kernelValue('rbf', r2);
        kd[i] = s2 * kernelDerivR2('rbf', r2);
      }
      let mean = m0;
      for (let i = 0; i < n; i++) mean += (k[i] as number) * (fit.gradLog[i] as number);
      const wk = Float64Array.from(k, (v, i) => v * (fit.sqrtW[i] as number));
      const v = solveLower(fit.L, wk);
      let vv = 0;
      for (let i = 0; i < n; i++) vv += (v[i] as number) ** 2;
      const variance = Math.max(s2 - vv, 1e-12);
      const denom = Math.sqrt(1 + variance);
      const zeta = mean / denom;
      const value = logNormCdf(zeta);
      if (grad) {
        const u = solveLowerTranspose(fit.L, v);
        for (let i = 0; i < n; i++) u[i] = (u[i] as number) * (fit.sqrtW[i] as number);
        const dMean = new Float64Array(d);
        const dVar = new Float64Array(d);
        for (let i = 0; i < n; i++) {
          const gm = (fit.gradLog[i] as number) * (kd[i] as number);
          const gv = -2 * (u[i] as number) * (kd[i] as number);
          for (let j = 0; j < d; j++) {
            const diff2 = 2 * ((x[j] as number) - (Xt.data[i * d + j] as number)) * (invL2[j] as number);
            dMean[j] = (dMean[j] as number) + gm * diff2;
            dVar[j] = (dVar[j] as number) + gv * diff2;
          }
        }
        const dl = dLogNormCdf(zeta);
        for (let j = 0; j < d; j++) grad[j] = dl * ((dMean[j] as number) / denom - (mean * (dVar[j] as number)) / (2 * denom * (1 + variance)));
      }
      return value;
    },
  };
}

/** The Laplace mode (models/surrogates/laplace.ts: undamped Newton, at most 50 steps) in this model's terms. */
function laplace(K: Matrix, t: Float64Array, m0: number): LaplaceFit | undefined {
  const lm = laplaceMode(K, t, m0, { maxIterations: 50 });
  if (!lm) return undefined;
  return { logMl: lm.logZ, fHat: Float64Array.from(lm.fT, (v) => v + m0), L: lm.L, sqrtW: lm.sqrtW, gradLog: lm.gradLog };
}
