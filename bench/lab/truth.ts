import { Rng, normaliseRecipe, validateRecipe, type CampaignSpec, type Recipe } from '../../src/domain/index.ts';
import { createSearchSpace } from '../../models/transforms/search-space.ts';
import { estimateOptimum } from '../../simulators/physics/landscape-optimum.ts';
import { OerLandscape, trueOutcome } from '../../simulators/physics/oer-landscape.ts';

/**
 * The simulated lab's ground truth for the lab benchmark: the hidden OER landscape of a landscape seed, its estimated
 * optimum (cached per seed: ≈ 1 s each), the noise-free η10 of a recipe, and the recipes a final model is judged on.
 */
export interface LandscapeTruth {
  seed: number;
  /** Best feasible true η10 over the search space, V. */
  optimum: number;
  optimumRecipe: Recipe;
}

const landscapes = new Map<number, OerLandscape>();
const optima = new Map<number, LandscapeTruth>();

export function landscapeOf(seed: number): OerLandscape {
  let l = landscapes.get(seed);
  if (!l) {
    l = new OerLandscape({ seed });
    landscapes.set(seed, l);
  }
  return l;
}

/** The landscape's optimum (estimateOptimum with its defaults), computed once per seed and process. */
export function landscapeTruth(seed: number): LandscapeTruth {
  let t = optima.get(seed);
  if (!t) {
    const o = estimateOptimum(landscapeOf(seed));
    t = { seed, optimum: o.eta10_V, optimumRecipe: o.recipe };
    optima.set(seed, t);
  }
  return t;
}

/** Noise-free η10 (V) of a recipe and the chemistry failure its film would have, if any. */
export function truthOf(recipe: Recipe, landscapeSeed: number): { eta10: number; failure?: string } {
  const out = trueOutcome(recipe, landscapeOf(landscapeSeed));
  return out.failure ? { eta10: out.eta10_V, failure: out.failure.code } : { eta10: out.eta10_V };
}

export interface CalibrationRecipe {
  recipe: Recipe;
  /** `uniform`: drawn uniformly from the dispensable space; `near`: a perturbation of the landscape's optimum. */
  kind: 'uniform' | 'near';
}

/**
 * Recipes a final model is judged on: `uniform` drawn like the random agent (mixtures uniform on the simplex, then
 * snapped to minFraction/maxComponents) and `near` perturbations of the optimum (composition ± ≈ 0.05 per metal,
 * process parameters ± 5 % of their range), every one dispensable. Seeded by the landscape seed only, so every arm
 * and seed of a landscape is judged on the same recipes.
 */
export function calibrationRecipes(spec: CampaignSpec, truth: LandscapeTruth, counts: { uniform: number; near: number }): CalibrationRecipe[] {
  const rng = new Rng(truth.seed).fork('lab-bench-calibration');
  const space = createSearchSpace(spec);
  const out: CalibrationRecipe[] = [];
  const draw = (make: () => Recipe, kind: CalibrationRecipe['kind'], n: number): void => {
    for (let i = 0, attempts = 0; i < n && attempts < 100 * n; attempts++) {
      const recipe = make();
      if (validateRecipe(spec, recipe).length > 0) continue;
      out.push({ recipe, kind });
      i++;
    }
  };
  draw(() => space.decode(space.toFeatures(space.fromUnit(Float64Array.from({ length: space.unitDim }, () => rng.next())))), 'uniform', counts.uniform);
  const near = (): Recipe => {
    const r: Recipe = { ...truth.optimumRecipe };
    for (const p of spec.parameters) {
      if (p.type === 'simplex') for (const c of p.components) r[c] = Math.max(0, ((r[c] as number | undefined) ?? 0) + 0.05 * rng.normal());
      else if (p.type === 'continuous' || p.type === 'integer') r[p.name] = (r[p.name] as number) + 0.05 * (p.high - p.low) * rng.normal();
    }
    return space.decode(space.encode(normaliseRecipe(spec, r)));
  };
  draw(near, 'near', counts.near);
  return out;
}
