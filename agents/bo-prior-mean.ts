import type { CampaignSpec, Observation } from '../src/domain/index.ts';
import { fromRows } from '../models/linalg/index.ts';
import { fitKernelMean, type MeanBasis } from '../models/surrogates/kernel-mean.ts';
import { objectiveSign } from '../models/transforms/outcome.ts';
import type { SearchSpace } from '../models/transforms/search-space.ts';

/**
 * The BO agent's prior mean from related results (ADR 0118): the positive part of a kernel regression
 * (models/surrogates/kernel-mean.ts) of the prior rows' primary objective, signed so that larger is better as in the
 * agent's GPs, over the agent's own features of their recipes (`space`, unit cube), standardised within the rows. The
 * agent's primary-objective GP and its single-objective acquisition target model y as c + a·m⁺(x) + f(x) with a fitted
 * every round (0 ≤ a ≤ 4), so a prior that does not explain the campaign's results fades. The positive part (a smooth
 * one, softplus(4m)/4) lets the prior raise the regions it rates above its own average and say nothing elsewhere: a
 * linear m, fitted where the campaign's results lie (mostly the prior's good regions), extrapolated to a low mean
 * everywhere else and kept BO out of it. Infeasible rows and rows without a finite primary value are left out;
 * undefined when none is left.
 */
export function priorMeanBasis(spec: Pick<CampaignSpec, 'objectives'>, space: SearchSpace, rows: readonly Observation[]): MeanBasis | undefined {
  const primary = spec.objectives[0];
  if (!primary) return undefined;
  const kept = rows.flatMap((o) => {
    const v = o.objectives[primary.name];
    return o.feasible && v !== undefined && Number.isFinite(v) ? [{ x: space.encode(o.recipe), y: objectiveSign(primary) * v }] : [];
  });
  if (kept.length === 0) return undefined;
  return positivePart(fitKernelMean(fromRows(kept.map((r) => r.x)), kept.map((r) => r.y)));
}

/** Sharpness k of the smooth positive part softplus(k·m)/k: within 0.01 of max(0, m) beyond |m| ≈ 1. */
const SHARPNESS = 4;

/** The basis's smooth positive part softplus(k·m)/k (k = SHARPNESS), with its gradient. */
export function positivePart(basis: MeanBasis): MeanBasis {
  const softplus = (m: number): number => (m > 0 ? m + Math.log1p(Math.exp(-SHARPNESS * m)) / SHARPNESS : Math.log1p(Math.exp(SHARPNESS * m)) / SHARPNESS);
  return {
    d: basis.d,
    value: (x, off = 0) => softplus(basis.value(x, off)),
    valueAndGradient(x, grad) {
      const m = basis.valueAndGradient(x, grad);
      const slope = 1 / (1 + Math.exp(-SHARPNESS * m));
      for (let k = 0; k < grad.length; k++) grad[k] = (grad[k] as number) * slope;
      return softplus(m);
    },
  };
}
