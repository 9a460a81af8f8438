/**
 * Priors of the GP hyper-parameters (today's BoTorch defaults, Hvarfner et al. 2024):
 * lengthscale ℓ ~ LogNormal(√2 + ½ ln d, √3); noise variance σ² ~ LogNormal(−4, 1) with a 1e-4 floor.
 * Log densities are of the parameter value itself (as gpytorch adds them), not of its logarithm.
 */
export interface LogNormal {
  mu: number;
  sigma: number;
}

export function lengthscalePrior(d: number): LogNormal {
  return { mu: Math.SQRT2 + 0.5 * Math.log(Math.max(1, d)), sigma: Math.sqrt(3) };
}

/**
 * Replacements of the default priors (ADR 0052). `lengthscale[g]`: the prior of lengthscale group g (undefined entries
 * keep the default); `noise`: of the noise variance in model space; `outputscale`: of the kernel variance (only used
 * when an outputscale is learnt; without it a learnt outputscale has a flat prior).
 */
export interface HyperPriors {
  lengthscale?: readonly (LogNormal | undefined)[];
  noise?: LogNormal;
  outputscale?: LogNormal;
}

export const NOISE_PRIOR: LogNormal = { mu: -4, sigma: 1 };
export const NOISE_FLOOR = 1e-4;
export const LENGTHSCALE_MIN = 0.025;

/** log p(v) of a LogNormal at v > 0. */
export function logNormalLogPdf(p: LogNormal, v: number): number {
  const lv = Math.log(v);
  return -lv - Math.log(p.sigma) - 0.5 * Math.log(2 * Math.PI) - ((lv - p.mu) ** 2) / (2 * p.sigma * p.sigma);
}

/** d log p(v) / d log v. */
export function logNormalDLogPdfDLogV(p: LogNormal, v: number): number {
  return -1 - (Math.log(v) - p.mu) / (p.sigma * p.sigma);
}

/** The mode exp(μ − σ²). */
export function logNormalMode(p: LogNormal): number {
  return Math.exp(p.mu - p.sigma * p.sigma);
}
