import type { CampaignSpec, Observation } from '../src/domain/index.ts';
import { fromRows } from '../models/linalg/index.ts';
import { fitKernelMean, type MeanBasis } from '../models/surrogates/kernel-mean.ts';
import { objectiveSign } from '../models/transforms/outcome.ts';
import type { SearchSpace } from '../models/transforms/search-space.ts';

/**
 * The BO agent's prior mean from related results (ADR 0118): a kernel regression (models/surrogates/kernel-mean.ts) of
 * the prior rows' primary objective, signed so that larger is better as in the agent's GPs, over the agent's own
 * features of their recipes (`space`, unit cube), standardised within the rows. The agent's primary-objective GP and
 * its single-objective acquisition target model y as c + a·m(x) + f(x) with a fitted every round (0 ≤ a ≤ 4), so a
 * prior that does not explain the campaign's results fades. Infeasible rows and rows without a finite primary value
 * are left out; undefined when none is left.
 */
export function priorMeanBasis(spec: Pick<CampaignSpec, 'objectives'>, space: SearchSpace, rows: readonly Observation[]): MeanBasis | undefined {
  const primary = spec.objectives[0];
  if (!primary) return undefined;
  const kept = rows.flatMap((o) => {
    const v = o.objectives[primary.name];
    return o.feasible && v !== undefined && Number.isFinite(v) ? [{ x: space.encode(o.recipe), y: objectiveSign(primary) * v }] : [];
  });
  if (kept.length === 0) return undefined;
  return fitKernelMean(fromRows(kept.map((r) => r.x)), kept.map((r) => r.y));
}
