import { zeros, type Matrix } from '../models/linalg/index.ts';
import type { SearchSpace } from '../models/transforms/search-space.ts';
import type { Recipe } from '../src/domain/index.ts';

/**
 * A finite library of recipes a campaign may choose from — a printed composition plate, a rack of pre-made inks, a
 * benchmark pool — instead of the whole search space (ADR 0122). Rows are held as the space encodes them. A row is
 * spent once a recipe with the same encoding has been observed or is pending: the agent never proposes it again, and
 * every proposal (its own optimum, a design point, a generator's or planner's candidate) is a row of the library.
 */
export class RecipeLibrary {
  /** Encoded rows (rows × space.featureDim). */
  readonly X: Matrix;
  /** The rows as recipes (each the decoding of its encoded row: what would be dispensed). */
  readonly recipes: readonly Recipe[];
  private readonly rowsByKey = new Map<string, number[]>();

  constructor(
    private readonly space: SearchSpace,
    recipes: readonly Recipe[],
  ) {
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
  }

  get size(): number {
    return this.X.n;
  }

  row(i: number): Float64Array {
    return this.X.data.slice(i * this.X.d, (i + 1) * this.X.d);
  }

  /** Indices of the rows whose encoding matches none of the spent encodings (observed or pending recipes), ascending. */
  available(spent: Iterable<ArrayLike<number>>): number[] {
    const gone = new Uint8Array(this.X.n);
    for (const f of spent) for (const i of this.rowsByKey.get(featureKey(f)) ?? []) gone[i] = 1;
    const out: number[] = [];
    for (let i = 0; i < this.X.n; i++) if (!gone[i]) out.push(i);
    return out;
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

  /** Encodes a recipe of the campaign (throws when it is not one). */
  encode(recipe: Recipe): Float64Array {
    return this.space.encode(recipe);
  }
}

/** Two encodings are the same row when they agree to 1e-9 in every feature. */
function featureKey(f: ArrayLike<number>): string {
  let s = '';
  for (let j = 0; j < f.length; j++) s += `${Math.round((f[j] as number) * 1e9)},`;
  return s;
}
