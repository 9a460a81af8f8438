import type { Recipe } from '../src/domain/index.ts';
import { Rng } from '../src/domain/random.ts';
import { validateRecipe } from '../src/domain/recipe.ts';
import { SOBOL_MAX_DIMENSION, SobolEngine } from '../models/sobol.ts';
import { createChart, maxSupportSize } from '../models/transforms/face-chart.ts';
import { createSearchSpace, type LayoutBlock, type SearchSpace } from '../models/transforms/search-space.ts';
import type { AgentContext } from './agent.ts';

/**
 * An initial design stratified over the maximal support faces of every mixture (ADR 0119), campaign
 * `strategy.initialDesign: faces` (an option; the BO agent's default is the Sobol design). A maximal face of a simplex parameter is a set of exactly m present components,
 * m = the largest support the campaign allows (maxComponents, at most the number of components, and no more than
 * ⌊1 / minFraction⌋ parts can each hold minFraction). Design point i of a simplex takes the i-th face of a seeded
 * shuffle of its maximal faces (a fresh shuffle each time every face has had its turn), so every maximal face gets
 * ⌊n / F⌋ or ⌈n / F⌉ of the first n points (F faces). Within the face the weights are uniform (each present
 * fraction ≥ minFraction exactly), from the simplex's own coordinates of a scrambled-Sobol point (seeded on its own);
 * every other parameter comes from the same point, decoded as the Sobol design decodes it. A point that breaks a linear constraint is skipped (the
 * sequence continues on the same face); a face with no valid point in 500 tries gives its turn to the next face.
 */

/** A design point and the face it was drawn on. */
export interface FaceDesignPoint {
  recipe: Recipe;
  /** Per simplex parameter (layout order), the names of its present components. */
  faces: string[][];
}

type SimplexBlock = Extract<LayoutBlock, { kind: 'simplex' }>;

/** Above this many maximal faces a simplex draws a uniformly random maximal face per point instead of cycling. */
export const MAX_ENUMERATED_FACES = 4096;

/** Number of k-subsets of n items (exact below 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let out = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) out = (out * (n - i + 1)) / i;
  return Math.round(out);
}

/** The maximal faces of a simplex block: every support (ascending component indices) of size `maxSupportSize`. */
export function maximalFaces(block: Pick<SimplexBlock, 'minFraction' | 'maxComponents' | 'components'>): number[][] {
  const K = block.components.length;
  const m = maxSupportSize(block);
  if (binomial(K, m) > MAX_ENUMERATED_FACES) throw new RangeError(`simplex with ${K} components has more than ${MAX_ENUMERATED_FACES} faces of size ${m}`);
  const out: number[][] = [];
  const pick = (start: number, acc: number[]): void => {
    if (acc.length === m) {
      out.push([...acc]);
      return;
    }
    for (let i = start; i <= K - (m - acc.length); i++) pick(i + 1, [...acc, i]);
  };
  pick(0, []);
  return out;
}

/** Cycles through a simplex's maximal faces in seeded shuffles (or draws one at random when there are too many). */
function faceCycle(block: SimplexBlock, rng: Rng): () => number[] {
  const K = block.components.length;
  const m = maxSupportSize(block);
  if (binomial(K, m) > MAX_ENUMERATED_FACES)
    return () =>
      rng
        .shuffle(Array.from({ length: K }, (_, i) => i))
        .slice(0, m)
        .sort((a, b) => a - b);
  const faces = maximalFaces(block);
  let order: number[][] = [];
  return () => {
    if (order.length === 0) order = rng.shuffle([...faces]);
    return order.shift() as number[];
  };
}

/** A generator of recipes stratified over the maximal faces of every simplex parameter (see the module comment). */
export function createFaceDesign(spec: AgentContext['spec'], seed: number, space: SearchSpace = createSearchSpace(spec)): () => FaceDesignPoint {
  const rng = new Rng(seed).fork('face-design');
  const ud = space.unitDim;
  const engine = ud > 0 && ud <= SOBOL_MAX_DIMENSION ? new SobolEngine(ud, { rng }) : undefined;
  const simplexes = space.layout.filter((b): b is SimplexBlock => b.kind === 'simplex');
  const cycles = simplexes.map((b) => faceCycle(b, rng));
  const ATTEMPTS = 500;
  const FACE_TRIES = 64;
  return () => {
    // A face on which no design point meets the linear constraints gives its turn to the next face.
    for (let tries = 0; tries < FACE_TRIES; tries++) {
      const supports = cycles.map((next) => next());
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const unit = engine ? engine.draw(1).data : Float64Array.from({ length: ud }, () => rng.next());
        const recipe = space.decode(createChart(space, { supports, cats: space.fromUnit(unit).cats }).toFeatures(chartCoordinates(space, unit, supports)));
        if (validateRecipe(spec, recipe).length === 0) return { recipe, faces: simplexes.map((b, j) => (supports[j] as number[]).map((i) => b.components[i] as string)) };
      }
    }
    throw new Error(`no valid recipe on ${FACE_TRIES} maximal faces (${ATTEMPTS} design points each): are the linear constraints satisfiable?`);
  };
}

/** Chart coordinates for the given supports: numbers as they are, per simplex |S| − 1 stick-breaking coordinates. */
function chartCoordinates(space: SearchSpace, unit: ArrayLike<number>, supports: readonly number[][]): number[] {
  const t: number[] = [];
  let k = 0;
  for (const b of space.layout) {
    if (b.kind === 'categorical') continue;
    if (b.kind !== 'simplex') t.push(unit[b.search] as number);
    else {
      const m = (supports[k++] as number[]).length;
      // y_i ~ Beta(1, m − 1 − i) makes the stick-breaking weights uniform on the face.
      for (let i = 0; i < m - 1; i++) t.push(1 - Math.pow(1 - (unit[b.search + i] as number), 1 / (m - 1 - i)));
    }
  }
  return t;
}
