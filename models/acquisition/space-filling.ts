import type { Rng } from '../../src/domain/random.ts';
import type { Matrix } from '../linalg/index.ts';
import { sampleDispensable } from '../transforms/face-chart.ts';
import type { SearchSpace } from '../transforms/search-space.ts';

/**
 * Composition space-filling exploration (ADR 0052): a dispensable recipe whose mixture lies far from every mixture
 * already measured or pending, with the other parameters taken from an anchor (the model's incumbent): one of
 * `candidates` random draws from the dispensable set (a random support, weights uniform on its face), chosen with
 * probability proportional to its squared mixture distance to the nearest taken row.
 * Candidates whose log P(feasible) is below `minLogFeasible` are skipped while any other is left.
 *
 * Why the anchor: in a narrow optimum of a mixture (the simulated lab's Ce-rich pocket) a recipe must have a good
 * composition *and* workable process conditions; the incumbent's conditions are the best guess the campaign has.
 */
export interface SpaceFillingOptions {
  /** Feature rows already measured or pending (n×D); distances use the mixture fractions only. */
  taken: Matrix;
  /** Features whose non-mixture columns the candidate copies (undefined: every column drawn at random). */
  anchor?: ArrayLike<number>;
  /** log P(feasible) of a feature row (undefined: every candidate counts as feasible). */
  logFeasible?: (features: Float64Array) => number;
  minLogFeasible?: number;
  candidates?: number;
  rng: Rng;
}

/** Indices of the mixture-fraction feature columns (every simplex component), in feature order. */
export function mixtureColumns(space: SearchSpace): number[] {
  return space.layout.flatMap((b) => (b.kind === 'simplex' ? b.components.map((_, i) => b.feature + i) : []));
}

/** Feature columns that belong to a simplex block (fractions and their presence indicators). */
function simplexBlockColumns(space: SearchSpace): Set<number> {
  const out = new Set<number>();
  for (const b of space.layout) {
    if (b.kind !== 'simplex') continue;
    b.components.forEach((_, i) => {
      out.add(b.feature + i);
      if (b.presence !== undefined) out.add(b.presence + i);
    });
  }
  return out;
}

/** The chosen candidate's features and its smallest mixture distance to `taken` (Infinity when nothing is taken). */
export function spaceFillingCandidate(space: SearchSpace, opts: SpaceFillingOptions): { features: Float64Array; distance: number } {
  const cols = mixtureColumns(space);
  const own = simplexBlockColumns(space);
  const m = opts.candidates ?? 512;
  const minLogP = opts.minLogFeasible ?? Math.log(0.5);
  const unitDim = space.unitDim;
  const drawn: { features: Float64Array; distance: number; feasible: boolean }[] = [];
  for (let c = 0; c < m; c++) {
    const unit = Float64Array.from({ length: unitDim }, () => opts.rng.next());
    const f = sampleDispensable(space, unit, opts.rng);
    if (opts.anchor) for (let j = 0; j < f.length; j++) if (!own.has(j)) f[j] = opts.anchor[j] as number;
    let d2 = Infinity;
    const { taken } = opts;
    for (let i = 0; i < taken.n; i++) {
      let s = 0;
      for (const j of cols) s += ((f[j] as number) - (taken.data[i * taken.d + j] as number)) ** 2;
      if (s < d2) d2 = s;
    }
    drawn.push({ features: f, distance: Math.sqrt(d2), feasible: opts.logFeasible ? opts.logFeasible(f) >= minLogP : true });
  }
  // D²-weighted choice (as k-means++ seeding): far mixtures are likely, without always taking the farthest (which is
  // nearly always a pure component, a corner of the simplex).
  const pool = drawn.some((c) => c.feasible) ? drawn.filter((c) => c.feasible) : drawn;
  const weight = (c: { distance: number }): number => (Number.isFinite(c.distance) ? c.distance ** 2 : 1);
  const total = pool.reduce((s, c) => s + weight(c), 0);
  let u = opts.rng.next() * total;
  for (const c of pool) {
    u -= weight(c);
    if (u <= 0) return { features: c.features, distance: c.distance };
  }
  const last = pool[pool.length - 1];
  if (!last) throw new RangeError('space-filling: no candidates');
  return { features: last.features, distance: last.distance };
}
