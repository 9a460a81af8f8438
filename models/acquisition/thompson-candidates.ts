import type { Rng } from '../../src/domain/random.ts';
import { validateRecipe } from '../../src/domain/recipe.ts';
import { SOBOL_MAX_DIMENSION, SobolEngine } from '../sobol.ts';
import { sampleDispensable } from '../transforms/face-chart.ts';
import type { SearchSpace } from '../transforms/search-space.ts';

/**
 * Candidate sets for Thompson sampling over the dispensable set (ADR 0053):
 * - **global** draws: a random support per simplex (size uniform over the sizes that fit minFraction and
 *   maxComponents, then a uniform subset; models/transforms/face-chart.ts `sampleDispensable`), weights uniform on
 *   that face, scrambled Sobol for the numbers. Small faces (e.g. a 3-metal face holding a narrow pocket) get as many
 *   draws as the size class they belong to, not the sliver a uniform simplex draw gives them.
 * - **local** draws around centres (e.g. the measured recipes with the best posterior mean): every non-mixture
 *   feature moved by radius·N(0, 1) (clipped to [0, 1]), every mixture fraction by radius·N(0, 1) (clipped at 0), then
 *   snapped into the dispensable set — a fraction pushed below minFraction leaves the mixture, an absent one pushed
 *   above it enters, so local draws also reach the neighbouring faces.
 * Every returned row is the encoding of a valid, dispensable recipe.
 */
export interface ThompsonCandidateOptions {
  /** Global draws from the dispensable set. */
  global: number;
  /** Centres of local draws (feature rows). */
  centres?: readonly ArrayLike<number>[];
  /** Local draws per centre (default 0). */
  perCentre?: number;
  /** SD of a local move, in feature units ([0, 1] per number, fractions as they are; default 0.1). */
  radius?: number;
  rng: Rng;
}

export function thompsonCandidates(space: SearchSpace, opts: ThompsonCandidateOptions): Float64Array[] {
  const out: Float64Array[] = [];
  const ud = space.unitDim;
  const keep = (z: ArrayLike<number>): void => {
    try {
      const recipe = space.decode(z);
      if (validateRecipe(space.spec, recipe).length > 0) return;
      if (space.spec.constraints.length > 0 && space.constraintSlacks(recipe).some((s) => s > 1e-9)) return;
      out.push(space.encode(recipe));
    } catch {
      // A simplex left without any component is not a recipe.
    }
  };
  const sobol = ud > 0 && ud <= SOBOL_MAX_DIMENSION ? new SobolEngine(ud, { rng: opts.rng.fork('ts-global') }) : undefined;
  const supportRng = opts.rng.fork('ts-supports');
  for (let i = 0; i < opts.global; i++) {
    const unit = sobol ? sobol.draw(1).data : Float64Array.from({ length: ud }, () => opts.rng.next());
    keep(sampleDispensable(space, unit, supportRng));
  }
  const perCentre = opts.perCentre ?? 0;
  const radius = opts.radius ?? 0.1;
  const fractions = new Set<number>();
  const presence = new Set<number>();
  for (const b of space.layout) {
    if (b.kind !== 'simplex') continue;
    b.components.forEach((_, i) => {
      fractions.add(b.feature + i);
      if (b.presence !== undefined) presence.add(b.presence + i);
    });
  }
  const localRng = opts.rng.fork('ts-local');
  for (const c of opts.centres ?? []) {
    for (let k = 0; k < perCentre; k++) {
      const z = Float64Array.from(c);
      for (let j = 0; j < z.length; j++) {
        if (presence.has(j)) continue;
        const v = (z[j] as number) + radius * localRng.normal();
        z[j] = fractions.has(j) ? Math.max(0, v) : Math.min(1, Math.max(0, v));
      }
      keep(z);
    }
  }
  return out;
}
