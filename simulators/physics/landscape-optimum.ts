import { Rng, normaliseRecipe, type Parameter, type Recipe } from '../../src/domain/index.ts';
import { METALS, sampleFromRecipe, type ResponseLandscape } from './landscape.ts';
import { defaultOerLandscape } from './oer-landscape.ts';

/** Search space of the default scenario (examples/oer-screen.yaml). */
export const OER_SEARCH_SPACE: Parameter[] = [
  { type: 'simplex', name: 'metals', components: [...METALS], minFraction: 0.05, maxComponents: 4 },
  { type: 'continuous', name: 'totalMetal', low: 10, high: 100, unit: 'mM', log: false },
  { type: 'continuous', name: 'complexant', low: 0, high: 50, unit: 'mM', log: false },
  { type: 'continuous', name: 'depositionCharge_mC_cm2', low: 2, high: 150, unit: 'mC/cm2', log: false },
  { type: 'continuous', name: 'annealTemperature', low: 25, high: 500, unit: 'degC', log: false },
];

export interface OptimumOptions {
  seed?: number;
  /** Random recipes drawn before the local search. */
  samples?: number;
  /** Steps of the local search from the best sample. */
  refineSteps?: number;
  parameters?: Parameter[];
}

/**
 * Best feasible true η10 (V) of a landscape over a search space, by seeded random sampling and a local search: the
 * reference for regret plots (regret = best observed − optimum). Deterministic for a seed; ≈ 1 s with the defaults.
 */
export function estimateOptimum(landscape: ResponseLandscape = defaultOerLandscape, o: OptimumOptions = {}): { eta10_V: number; recipe: Recipe } {
  const rng = new Rng(o.seed ?? 1);
  const space = { parameters: o.parameters ?? OER_SEARCH_SPACE };
  const numeric = space.parameters.filter((p) => p.type === 'continuous' || p.type === 'integer');
  const components = space.parameters.flatMap((p) => (p.type === 'simplex' ? p.components : []));
  const value = (r: Recipe): number => {
    const out = landscape.evaluate(sampleFromRecipe(r));
    return out.failure ? Number.POSITIVE_INFINITY : out.film.eta10_V;
  };
  const random = (): Recipe => {
    const r: Recipe = {};
    const e = components.map(() => -Math.log(1 - rng.next()));
    const s = e.reduce((a, b) => a + b, 0);
    components.forEach((c, i) => (r[c] = (e[i] as number) / s));
    for (const p of numeric) if (p.type === 'continuous' || p.type === 'integer') r[p.name] = rng.uniform(p.low, p.high);
    return normaliseRecipe(space, r);
  };
  let best = random();
  let bestValue = value(best);
  for (let i = 1; i < (o.samples ?? 20_000); i++) {
    const r = random();
    const v = value(r);
    if (v < bestValue) {
      best = r;
      bestValue = v;
    }
  }
  const keys = [...components, ...numeric.map((p) => p.name)];
  for (let i = 0; i < (o.refineSteps ?? 20_000); i++) {
    const key = keys[rng.int(keys.length)] as string;
    const p = numeric.find((q) => q.name === key);
    const scale = p && (p.type === 'continuous' || p.type === 'integer') ? 0.03 * (p.high - p.low) : 0.02;
    const candidate = normaliseRecipe(space, { ...best, [key]: (best[key] as number) + scale * rng.normal() });
    const v = value(candidate);
    if (v < bestValue) {
      best = candidate;
      bestValue = v;
    }
  }
  return { eta10_V: bestValue, recipe: best };
}
