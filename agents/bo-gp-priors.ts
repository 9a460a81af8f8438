import type { GpFitOptions } from '../models/surrogates/gp.ts';
import type { HyperPriors, LogNormal } from '../models/surrogates/priors.ts';
import type { SearchSpace } from '../models/transforms/search-space.ts';

/**
 * Hyper-parameter priors a campaign can state for the BO agent's GPs (ADR 0052), beside the BoTorch defaults:
 * - `outputscale: 'learn'`: the kernel variance is fitted (LogNormal(0, 1) prior on the standardised scale) instead of
 *   fixed at 1;
 * - `noiseSd`: the measurement noise SD of the primary objective in its own units; the noise-variance prior is then
 *   LogNormal centred on (noiseSd / SD of the observed values)² with σ 0.5 (the default LogNormal(−4, 1) prior does
 *   not know the data's scale). For a rank-warped target the same fraction of the spread is used (approximation);
 * - `mixtureLengthscale`: a LogNormal prior (median, σ of the log) for the lengthscale of the mixture fractions.
 */
export interface BoGpPriors {
  outputscale?: 'fixed' | 'learn';
  noiseSd?: number;
  mixtureLengthscale?: { median: number; sigma: number };
}

export const OUTPUTSCALE_PRIOR: LogNormal = { mu: 0, sigma: 1 };
export const NOISE_PRIOR_SIGMA = 0.5;

const sampleSd = (y: readonly number[]): number => {
  if (y.length < 2) return NaN;
  const m = y.reduce((s, v) => s + v, 0) / y.length;
  return Math.sqrt(y.reduce((s, v) => s + (v - m) ** 2, 0) / (y.length - 1));
};

/**
 * Fit options that realise `p` for a GP on `space` with the given lengthscale groups (undefined = one per column).
 * `primary` holds the observed values of the primary objective (its units), which scale `noiseSd`; pass undefined for
 * a GP that models another objective (no noise prior then).
 */
export function gpPriorOptions(
  space: SearchSpace,
  groups: readonly number[] | undefined,
  p: BoGpPriors | undefined,
  primary: readonly number[] | undefined,
): Pick<GpFitOptions, 'learnOutputscale' | 'priors'> {
  if (!p) return {};
  const priors: { lengthscale?: (LogNormal | undefined)[]; noise?: LogNormal; outputscale?: LogNormal } = {};
  const out: Pick<GpFitOptions, 'learnOutputscale' | 'priors'> = {};
  if (p.outputscale === 'learn') {
    out.learnOutputscale = true;
    priors.outputscale = OUTPUTSCALE_PRIOR;
  }
  if (p.noiseSd !== undefined && primary) {
    const sd = sampleSd(primary);
    if (Number.isFinite(sd) && sd > 0) {
      const f = Math.min(1, Math.max(1e-3, p.noiseSd / sd));
      priors.noise = { mu: 2 * Math.log(f), sigma: NOISE_PRIOR_SIGMA };
    }
  }
  if (p.mixtureLengthscale) {
    const ls: (LogNormal | undefined)[] = [];
    const prior = { mu: Math.log(p.mixtureLengthscale.median), sigma: p.mixtureLengthscale.sigma };
    for (const b of space.layout) {
      if (b.kind !== 'simplex') continue;
      b.components.forEach((_, i) => {
        const col = b.feature + i;
        ls[groups ? (groups[col] as number) : col] = prior;
      });
    }
    priors.lengthscale = ls;
  }
  if (priors.lengthscale || priors.noise || priors.outputscale) out.priors = priors as HyperPriors;
  return out;
}
