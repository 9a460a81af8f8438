import { LOG_SQRT_2PI, erfcx, logNormCdf, normCdf, normPdf } from '../stats/normal.ts';
import type { GaussianProcess } from '../surrogates/gp.ts';
import type { AcquisitionFunction } from './types.ts';

/**
 * log h(z) with h(z) = φ(z) + z·Φ(z), so that EI = σ·h((μ − best)/σ). Numerically stable for every z
 * (Ament et al. 2023, "Unexpected improvements to expected improvement"): direct for z > −1; through erfcx for
 * −1/√ε < z ≤ −1; the asymptote −z²/2 − ½log(2π) − 2 log|z| beyond.
 */
export function logH(z: number): number {
  if (z > -1) return Math.log(normPdf(z) + z * normCdf(z));
  if (z > -1 / Math.sqrt(Number.EPSILON)) {
    const a = Math.log(-z * erfcx(-z / Math.SQRT2)) + 0.5 * Math.log(Math.PI / 2);
    return -0.5 * z * z - LOG_SQRT_2PI + log1mexp(a);
  }
  return -0.5 * z * z - LOG_SQRT_2PI - 2 * Math.log(-z);
}

/** d log h / dz = Φ(z)/h(z), computed in logs. */
export function dLogH(z: number): number {
  return Math.exp(logNormCdf(z) - logH(z));
}

/** log(1 − e^a) for a < 0. */
export function log1mexp(a: number): number {
  return a > -Math.LN2 ? Math.log(-Math.expm1(a)) : Math.log1p(-Math.exp(a));
}

/** log EI for a Gaussian N(mean, sd²) and incumbent `best` (maximisation). */
export function logExpectedImprovement(mean: number, sd: number, best: number): number {
  return logH((mean - best) / sd) + Math.log(sd);
}

/**
 * Analytic LogEI on a GP (model space). `best` is the incumbent in model space; by default the largest posterior
 * mean at the training inputs (robust to noise).
 */
export function createLogEI(gp: GaussianProcess, opts: { best?: number } = {}): AcquisitionFunction {
  const best = opts.best ?? maxTrainingMean(gp);
  return {
    name: 'logEI',
    value(x, grad) {
      const p = gp.pointPosterior(x, grad !== undefined);
      const sd = Math.sqrt(p.variance);
      const z = (p.mean - best) / sd;
      const v = logH(z) + Math.log(sd);
      if (grad && p.dMean && p.dVariance) {
        const dl = dLogH(z);
        for (let j = 0; j < grad.length; j++) {
          const dsd = (p.dVariance[j] as number) / (2 * sd);
          grad[j] = dl * ((p.dMean[j] as number) / sd - (z * dsd) / sd) + dsd / sd;
        }
      }
      return v;
    },
    evaluateBatch(X) {
      const p = gp.posterior(X);
      return p.mean.map((mu, i) => {
        const sd = Math.sqrt(p.variance[i] as number);
        return logH((mu - best) / sd) + Math.log(sd);
      });
    },
  };
}

/** UCB μ + √β·σ in model space (β = 4 is LCB with λ = 2 in a minimisation's own direction). */
export function createUCB(gp: GaussianProcess, opts: { beta?: number } = {}): AcquisitionFunction {
  const sb = Math.sqrt(opts.beta ?? 4);
  return {
    name: 'ucb',
    value(x, grad) {
      const p = gp.pointPosterior(x, grad !== undefined);
      const sd = Math.sqrt(p.variance);
      if (grad && p.dMean && p.dVariance) for (let j = 0; j < grad.length; j++) grad[j] = (p.dMean[j] as number) + (sb * (p.dVariance[j] as number)) / (2 * sd);
      return p.mean + sb * sd;
    },
    evaluateBatch(X) {
      const p = gp.posterior(X);
      return p.mean.map((mu, i) => mu + sb * Math.sqrt(p.variance[i] as number));
    },
  };
}

/** Largest posterior mean at the training inputs, in model space (μ(x_i) = y_i − σ²_i·α_i). */
export function maxTrainingMean(gp: GaussianProcess): number {
  let best = -Infinity;
  for (let i = 0; i < gp.n; i++) best = Math.max(best, (gp.yModel[i] as number) - (gp.noiseModel[i] as number) * (gp.alpha[i] as number));
  return best;
}
