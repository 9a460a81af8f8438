import type { CampaignSpec, Observation, Recipe } from '../src/domain/index.ts';
import { Rng } from '../src/domain/random.ts';
import { createSearchSpace } from '../models/transforms/search-space.ts';
import { bandwidth, dist2 } from './prior-check.ts';

/**
 * Recipes of the campaign's space that the prior rows say nothing about (ADR 0116). The returned function draws `m`
 * uniform recipes of the search space (Rng(`seed`)) and keeps those whose features (unit cube, presence indicators
 * off) are farther than 3h from every prior row, h = max(0.1, the median distance from a prior row to its nearest
 * neighbour) — the bandwidth of the check's prior model, which 3h away predicts the prior's mean (kernel weight
 * e^−4.5 per row against the mean's 1). A prior that covers only part of the space (e.g. compositions without one
 * element) leaves the rest; one whose rows spread over the whole space leaves only scattered gaps, so unless at least
 * `MIN_OUTSIDE` of the draws are kept none is returned. Kept recipes come in draw order; none without prior rows.
 */
export function outsidePrior(spec: Pick<CampaignSpec, 'parameters' | 'constraints'>, prior: readonly Observation[]): (m: number, seed: number) => Recipe[] {
  const space = createSearchSpace(spec, { presence: false });
  const rows = prior.map((o) => space.encode(o.recipe));
  const r = rows.length > 0 ? 3 * bandwidth(rows) : 0;
  return (m, seed) => {
    if (rows.length === 0) return [];
    const rng = new Rng(seed).fork('outside-prior');
    const out: Recipe[] = [];
    for (let i = 0; i < m; i++) {
      const recipe = space.decode(space.toFeatures(space.fromUnit(Array.from({ length: space.unitDim }, () => rng.next()))));
      const x = space.encode(recipe);
      if (rows.every((p) => dist2(p, x) > r * r)) out.push(recipe);
    }
    return out.length >= MIN_OUTSIDE * m ? out : [];
  };
}

/** The least share of uniform draws outside the prior's region for it to count as a region, not gaps. */
const MIN_OUTSIDE = 0.1;
