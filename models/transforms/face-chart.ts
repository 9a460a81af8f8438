import type { Recipe } from '../../src/domain/index.ts';
import type { Rng } from '../../src/domain/random.ts';
import { PRESENCE_THRESHOLD, type LayoutBlock, type SearchSpace } from './search-space.ts';

/**
 * Charts of the dispensable set (ADR 0046). A mixture of K components that may be dispensed has a support S (the
 * components present), |S| ≤ maxComponents, and every fraction in S at least minFraction. For a fixed S these
 * mixtures form the face
 *   x_i = floor + (1 − |S|·floor)·w_i (i ∈ S),  x_i = 0 (i ∉ S),  w on the simplex over S,
 * with floor = minFraction plus a margin of 2e-9 (so a re-normalisation never snaps a part below minFraction). w is
 * written with |S| − 1 stick-breaking coordinates in [0, 1] (w_1 = y_1, w_i = y_i·Π_{l<i}(1 − y_l),
 * w_|S| = Π(1 − y_l)), so a box-bounded optimiser moves on exactly that face and every point it scores is a recipe
 * that is dispensed as scored. Supports are changed by discrete moves (`supportNeighbours`).
 *
 * A whole search point is charted by fixing a support per simplex and a choice per categorical (`ChartState`); the
 * chart coordinates are the scaled continuous/integer values followed by each simplex's stick-breaking coordinates.
 */

/** Margin above minFraction: fractions are dispensed ≥ minFraction even after a floating-point re-normalisation. */
export const FLOOR_MARGIN = 2e-9;

type SimplexBlock = Extract<LayoutBlock, { kind: 'simplex' }>;

/** The smallest fraction of a present component on a face. */
export function faceFloor(minFraction: number): number {
  return minFraction + FLOOR_MARGIN;
}

/** Largest support that fits: |S|·floor ≤ 1 and |S| ≤ maxComponents. */
export function maxSupportSize(block: Pick<SimplexBlock, 'minFraction' | 'maxComponents' | 'components'>): number {
  const floor = faceFloor(block.minFraction);
  return Math.max(1, Math.min(block.maxComponents, block.components.length, Math.floor(1 / floor)));
}

/** Indices (ascending) of the components of a fraction vector that are present (> 1e-9). */
export function supportOfFractions(fractions: ArrayLike<number>, offset: number, K: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < K; i++) if ((fractions[offset + i] as number) > PRESENCE_THRESHOLD) out.push(i);
  return out;
}

/** Support of a simplex block in a recipe: indices (ascending) of its components with a positive value. */
export function supportOf(block: Pick<SimplexBlock, 'components'>, recipe: Recipe): number[] {
  const out: number[] = [];
  block.components.forEach((c, i) => {
    const v = recipe[c];
    if (typeof v === 'number' && v > PRESENCE_THRESHOLD) out.push(i);
  });
  return out;
}

/**
 * Supports one move away from S: add one component (while |S| < the largest size that fits), drop one (while |S| > 1),
 * swap one present for one absent component. Each support is sorted ascending; no duplicates.
 */
export function supportNeighbours(S: readonly number[], K: number, maxSize: number): number[][] {
  const present = new Set(S);
  const absent = Array.from({ length: K }, (_, i) => i).filter((i) => !present.has(i));
  const out: number[][] = [];
  const sorted = (a: number[]): number[] => a.sort((x, y) => x - y);
  if (S.length < maxSize) for (const j of absent) out.push(sorted([...S, j]));
  if (S.length > 1) for (const i of S) out.push(S.filter((v) => v !== i));
  for (const i of S) for (const j of absent) out.push(sorted([...S.filter((v) => v !== i), j]));
  return out;
}

/** Stick-breaking: m − 1 coordinates y (from `y[yOff]`) → m weights on the simplex (into `w`). */
export function stickBreak(y: ArrayLike<number>, yOff: number, m: number, w: Float64Array): void {
  let rest = 1;
  for (let i = 0; i < m - 1; i++) {
    const yi = y[yOff + i] as number;
    w[i] = rest * yi;
    rest *= 1 - yi;
  }
  w[m - 1] = rest;
}

/** Inverse of `stickBreak` for weights w (≥ 0, summing to 1): writes m − 1 coordinates into `y` at `yOff`. */
export function stickUnbreak(w: ArrayLike<number>, m: number, y: Float64Array, yOff: number): void {
  let rest = 1;
  for (let i = 0; i < m - 1; i++) {
    const yi = rest > 1e-15 ? Math.min(1, Math.max(0, (w[i] as number) / rest)) : 0;
    y[yOff + i] = yi;
    rest *= 1 - yi;
  }
}

/** ∂a/∂y from ∂a/∂w (length m) at coordinates y: written into `out` at `outOff` (m − 1 entries). */
export function stickPullback(y: ArrayLike<number>, yOff: number, gw: ArrayLike<number>, m: number, out: Float64Array, outOff: number): void {
  if (m < 2) return;
  // R_j = Π_{l<j}(1 − y_l); T_j = Σ over the later weights of their gradient times ∂w/∂(rest after j).
  const R = new Float64Array(m);
  R[0] = 1;
  for (let j = 1; j < m; j++) R[j] = (R[j - 1] as number) * (1 - (y[yOff + j - 1] as number));
  let T = gw[m - 1] as number;
  for (let j = m - 2; j >= 0; j--) {
    out[outOff + j] = (R[j] as number) * ((gw[j] as number) - T);
    if (j > 0) {
      const yj = y[yOff + j] as number;
      T = (gw[j] as number) * yj + (1 - yj) * T;
    }
  }
}

/** A support per simplex block (layout order) and a choice per categorical: fixes one chart of the dispensable set. */
export interface ChartState {
  supports: number[][];
  cats: Int32Array;
}

export interface DispensableChart {
  readonly state: ChartState;
  /** Number of chart coordinates (all bounded to [0, 1]). */
  readonly dim: number;
  /** Chart coordinates → features (written into `out`). */
  toFeatures(t: ArrayLike<number>, out?: Float64Array): Float64Array;
  /** ∂a/∂t from ∂a/∂features at the image of t. */
  pullback(t: ArrayLike<number>, gFeatures: ArrayLike<number>, out?: Float64Array): Float64Array;
  /** Features of a point of this chart's face → its chart coordinates (projected onto the face when it is off it). */
  fromFeatures(z: ArrayLike<number>): Float64Array;
}

const simplexBlocks = (space: SearchSpace): SimplexBlock[] => space.layout.filter((b): b is SimplexBlock => b.kind === 'simplex');

/** The support of every simplex and the choice of every categorical of a feature vector. */
export function stateOf(space: SearchSpace, z: ArrayLike<number>): ChartState {
  const supports = simplexBlocks(space).map((b) => supportOfFractions(z, b.feature, b.components.length));
  const cats = new Int32Array(space.categoryCounts.length);
  for (const b of space.layout) {
    if (b.kind !== 'categorical') continue;
    let best = 0;
    for (let i = 1; i < b.choices; i++) if ((z[b.feature + i] as number) > (z[b.feature + best] as number)) best = i;
    cats[b.index] = best;
  }
  return { supports, cats };
}

export function createChart(space: SearchSpace, state: ChartState): DispensableChart {
  const D = space.featureDim;
  type Piece =
    | { kind: 'number'; f: number; t: number }
    | { kind: 'simplex'; f: number; t: number; K: number; S: number[]; floor: number; span: number; presence: number | undefined }
    | { kind: 'categorical'; f: number; k: number; choice: number };
  const pieces: Piece[] = [];
  let dim = 0;
  let simplexIndex = 0;
  for (const b of space.layout) {
    if (b.kind === 'categorical') pieces.push({ kind: 'categorical', f: b.feature, k: b.choices, choice: state.cats[b.index] as number });
    else if (b.kind !== 'simplex') pieces.push({ kind: 'number', f: b.feature, t: dim++ });
    else {
      const S = state.supports[simplexIndex++];
      if (!S || S.length === 0) throw new RangeError(`simplex "${b.name}" needs a non-empty support`);
      const floor = faceFloor(b.minFraction);
      const span = 1 - S.length * floor;
      if (span < 0) throw new RangeError(`simplex "${b.name}": ${S.length} components cannot each hold ${b.minFraction}`);
      pieces.push({ kind: 'simplex', f: b.feature, t: dim, K: b.components.length, S, floor, span, presence: b.presence });
      dim += S.length - 1;
    }
  }
  const w = new Float64Array(Math.max(1, ...pieces.map((p) => (p.kind === 'simplex' ? p.S.length : 1))));

  const toFeatures = (t: ArrayLike<number>, out = new Float64Array(D)): Float64Array => {
    for (const p of pieces) {
      if (p.kind === 'number') out[p.f] = t[p.t] as number;
      else if (p.kind === 'categorical') for (let i = 0; i < p.k; i++) out[p.f + i] = i === p.choice ? 1 : 0;
      else {
        const m = p.S.length;
        stickBreak(t, p.t, m, w);
        for (let i = 0; i < p.K; i++) out[p.f + i] = 0;
        if (p.presence !== undefined) for (let i = 0; i < p.K; i++) out[p.presence + i] = 0;
        for (let a = 0; a < m; a++) {
          const i = p.S[a] as number;
          out[p.f + i] = p.floor + p.span * (w[a] as number);
          if (p.presence !== undefined) out[p.presence + i] = 1;
        }
      }
    }
    return out;
  };

  const pullback = (t: ArrayLike<number>, g: ArrayLike<number>, out = new Float64Array(dim)): Float64Array => {
    for (const p of pieces) {
      if (p.kind === 'number') out[p.t] = g[p.f] as number;
      else if (p.kind === 'simplex') {
        const m = p.S.length;
        for (let a = 0; a < m; a++) w[a] = p.span * (g[p.f + (p.S[a] as number)] as number);
        stickPullback(t, p.t, w, m, out, p.t);
      }
    }
    return out;
  };

  const fromFeatures = (z: ArrayLike<number>): Float64Array => {
    const t = new Float64Array(dim);
    for (const p of pieces) {
      if (p.kind === 'number') t[p.t] = Math.min(1, Math.max(0, z[p.f] as number));
      else if (p.kind === 'simplex') {
        const m = p.S.length;
        let total = 0;
        for (let a = 0; a < m; a++) {
          w[a] = Math.max(0, (z[p.f + (p.S[a] as number)] as number) - p.floor);
          total += w[a] as number;
        }
        for (let a = 0; a < m; a++) w[a] = total > 0 ? (w[a] as number) / total : 1 / m;
        stickUnbreak(w, m, t, p.t);
      }
    }
    return t;
  };

  return { state, dim, toFeatures, pullback, fromFeatures };
}

/**
 * Features of the point of face S nearest in spirit to `z` for a simplex block: the present parts keep their excess
 * over the floor, a newly added part gets the share 1/|S| of the excess. Used to start a neighbour move.
 */
export function projectOntoSupport(space: SearchSpace, z: ArrayLike<number>, blockIndex: number, S: readonly number[]): Float64Array {
  const b = simplexBlocks(space)[blockIndex];
  if (!b) throw new RangeError(`no simplex block ${blockIndex}`);
  const state = stateOf(space, z);
  const old = new Set(state.supports[blockIndex]);
  const floor = faceFloor(b.minFraction);
  const m = S.length;
  const excess = S.map((i) => (old.has(i) ? Math.max(0, (z[b.feature + i] as number) - floor) : NaN));
  const kept = excess.filter((v) => !Number.isNaN(v)).reduce((s, v) => s + v, 0);
  const added = excess.filter((v) => Number.isNaN(v)).length;
  const share = added > 0 ? 1 / m : 0;
  const scaleKept = kept > 0 ? (1 - share * added) / kept : 0;
  const wts = excess.map((v) => (Number.isNaN(v) ? share : v * scaleKept));
  const tot = wts.reduce((s, v) => s + v, 0);
  const out = Float64Array.from(z);
  const next: ChartState = { supports: state.supports.map((s, k) => (k === blockIndex ? [...S] : s)), cats: state.cats };
  const chart = createChart(space, next);
  // Write the target fractions, then go through the chart so the result lies exactly on the face.
  for (let i = 0; i < b.components.length; i++) out[b.feature + i] = 0;
  S.forEach((i, a) => (out[b.feature + i] = floor + (1 - m * floor) * (tot > 0 ? (wts[a] as number) / tot : 1 / m)));
  return chart.toFeatures(chart.fromFeatures(out));
}

/** Every neighbour of a point: one support move in one simplex, or one other choice of one categorical. */
export function neighbourFeatures(space: SearchSpace, z: ArrayLike<number>): Float64Array[] {
  const out: Float64Array[] = [];
  simplexBlocks(space).forEach((b, k) => {
    const S = supportOfFractions(z, b.feature, b.components.length);
    for (const S2 of supportNeighbours(S, b.components.length, maxSupportSize(b))) out.push(projectOntoSupport(space, z, k, S2));
  });
  for (const b of space.layout) {
    if (b.kind !== 'categorical') continue;
    let cur = 0;
    for (let i = 1; i < b.choices; i++) if ((z[b.feature + i] as number) > (z[b.feature + cur] as number)) cur = i;
    for (let c = 0; c < b.choices; c++) {
      if (c === cur) continue;
      const v = Float64Array.from(z);
      for (let i = 0; i < b.choices; i++) v[b.feature + i] = i === c ? 1 : 0;
      out.push(v);
    }
  }
  return out;
}

/**
 * A random point of the dispensable set from a point of the unit cube of dimension `space.unitDim` (e.g. Sobol):
 * numbers from their coordinates, categories from the trailing ones, and per simplex a support drawn with `rng`
 * (size uniform over the sizes that fit, then a uniform subset) with weights uniform on its face (Dirichlet(1) from
 * the block's first |S| − 1 coordinates).
 */
export function sampleDispensable(space: SearchSpace, unit: ArrayLike<number>, rng: Rng): Float64Array {
  const supports: number[][] = [];
  const cats = new Int32Array(space.categoryCounts.length);
  const tParts: number[] = [];
  for (const b of space.layout) {
    if (b.kind === 'categorical') cats[b.index] = Math.min(b.choices - 1, Math.floor((unit[space.searchDim + b.index] as number) * b.choices));
    else if (b.kind !== 'simplex') tParts.push(unit[b.search] as number);
    else {
      const K = b.components.length;
      const m = 1 + Math.floor(rng.next() * maxSupportSize(b));
      const S = rng.shuffle(Array.from({ length: K }, (_, i) => i)).slice(0, m).sort((x, y) => x - y);
      supports.push(S);
      // y_i ~ Beta(1, m − 1 − i) makes the stick-breaking weights uniform on the face.
      for (let i = 0; i < m - 1; i++) tParts.push(1 - Math.pow(1 - (unit[b.search + i] as number), 1 / (m - 1 - i)));
    }
  }
  return createChart(space, { supports, cats }).toFeatures(tParts);
}
