import { zeros, type Matrix } from '../models/linalg/index.ts';
import type { SearchSpace } from '../models/transforms/search-space.ts';
import type { Recipe } from '../src/domain/index.ts';

/**
 * A finite library of recipes a campaign may choose from — a printed composition plate, a rack of pre-made inks, a
 * benchmark pool — instead of the whole search space (ADR 0122). Rows are held as the space encodes them. A row is
 * spent once a recipe that is that row has been observed or is pending: the same encoding, or — since the safety gate
 * may move a recipe to a dosable one (a tiny additive volume to the pipette's minimum or to 0) — an encoding nearer to
 * it than half the distance from that row to its nearest other row, so it can belong to no other row. The agent never
 * proposes a spent row again, and every proposal (its own optimum, a design point, a generator's or planner's
 * candidate) is a row of the library.
 */
export class RecipeLibrary {
  /** Encoded rows (rows × space.featureDim). */
  readonly X: Matrix;
  /** The rows as recipes (each the decoding of its encoded row: what would be dispensed). */
  readonly recipes: readonly Recipe[];
  private readonly rowsByKey = new Map<string, number[]>();
  /** Every row index, ascending. */
  readonly allRows: readonly number[];
  /** Distance from a row to its nearest row with another encoding, computed when first needed. */
  private readonly spacing = new Map<number, number>();

  constructor(space: SearchSpace, recipes: readonly Recipe[]) {
    if (recipes.length === 0) throw new Error('a recipe library needs at least one recipe');
    const d = space.featureDim;
    this.X = zeros(recipes.length, d);
    const decoded: Recipe[] = [];
    recipes.forEach((r, i) => {
      let f: Float64Array;
      try {
        f = space.encode(r);
      } catch (e) {
        throw new Error(`library row ${i + 1}: ${(e as Error).message}`);
      }
      this.X.data.set(f, i * d);
      decoded.push(space.decode(f));
      const key = featureKey(f);
      const same = this.rowsByKey.get(key);
      if (same) same.push(i);
      else this.rowsByKey.set(key, [i]);
    });
    this.recipes = decoded;
    this.allRows = Array.from({ length: recipes.length }, (_, i) => i);
  }

  get size(): number {
    return this.X.n;
  }

  row(i: number): Float64Array {
    return this.X.data.slice(i * this.X.d, (i + 1) * this.X.d);
  }

  /** Indices of the rows not spent by any of the encodings given (observed or pending recipes), ascending. */
  available(spent: Iterable<ArrayLike<number>>): number[] {
    const gone = new Uint8Array(this.X.n);
    for (const i of this.spentBy(spent)) gone[i] = 1;
    const out: number[] = [];
    for (let i = 0; i < this.X.n; i++) if (!gone[i]) out.push(i);
    return out;
  }

  /** The rows the encodings given spend (with repeats when several name one row). */
  spentBy(spent: Iterable<ArrayLike<number>>): number[] {
    const out: number[] = [];
    for (const f of spent) out.push(...this.rowsOf(f));
    return out;
  }

  /** The rows an encoded recipe spends: those with its encoding, else the nearest one if it is unambiguously that row's. */
  private rowsOf(f: ArrayLike<number>): readonly number[] {
    const same = this.rowsByKey.get(featureKey(f));
    if (same) return same;
    const r = this.nearest(f, this.allRows);
    if (r < 0) return [];
    return this.distance(r, f) < 0.5 * this.spacingOf(r) ? (this.rowsByKey.get(featureKey(this.row(r))) ?? [r]) : [];
  }

  private distance(r: number, f: ArrayLike<number>): number {
    const d = this.X.d;
    let s = 0;
    for (let j = 0; j < d; j++) s += ((this.X.data[r * d + j] as number) - (f[j] as number)) ** 2;
    return Math.sqrt(s);
  }

  private spacingOf(r: number): number {
    const cached = this.spacing.get(r);
    if (cached !== undefined) return cached;
    const own = this.X.data.subarray(r * this.X.d, (r + 1) * this.X.d);
    let best = Infinity;
    for (let i = 0; i < this.X.n; i++) {
      const dist = this.distance(i, own);
      if (dist > 1e-9 && dist < best) best = dist;
    }
    this.spacing.set(r, best);
    return best;
  }

  /** The row among `among` nearest to an encoded recipe (Euclidean in the encoding; ties: the first), or -1. */
  nearest(features: ArrayLike<number>, among: readonly number[]): number {
    const d = this.X.d;
    let best = -1;
    let bestD = Infinity;
    for (const i of among) {
      let s = 0;
      for (let j = 0; j < d; j++) s += ((this.X.data[i * d + j] as number) - (features[j] as number)) ** 2;
      if (s < bestD) {
        bestD = s;
        best = i;
      }
    }
    return best;
  }

  /** The encoded rows `index` as a matrix. */
  gather(index: readonly number[]): Matrix {
    const d = this.X.d;
    const out = zeros(index.length, d);
    index.forEach((r, i) => out.data.set(this.X.data.subarray(r * d, (r + 1) * d), i * d));
    return out;
  }
}

/** Two encodings are the same row when they agree to 1e-9 in every feature. */
function featureKey(f: ArrayLike<number>): string {
  let s = '';
  for (let j = 0; j < f.length; j++) s += `${Math.round((f[j] as number) * 1e9)},`;
  return s;
}
