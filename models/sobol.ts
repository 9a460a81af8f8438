import type { Rng } from '../src/domain/random.ts';
import { zeros, type Matrix } from './linalg/matrix.ts';
import { normQuantile } from './stats/normal.ts';

/**
 * Sobol low-discrepancy sequences in up to 32 dimensions with the Joe–Kuo direction numbers (new-joe-kuo-6.21201,
 * dimensions 2–32; dimension 1 is the van der Corput sequence), generated in Gray-code order with 32-bit digits.
 * Scrambling (optional, seeded): a random lower-triangular linear matrix scramble of the digits plus a random
 * digital shift (Matoušek/Owen "LMS + shift"), which keeps the (t, s)-net structure and removes the point at 0.
 */

/** [s, a, m_1 … m_s] for dimensions 2…32 (Joe & Kuo 2008, file new-joe-kuo-6.21201). */
const JOE_KUO: readonly (readonly number[])[] = [
  [1, 0, 1],
  [2, 1, 1, 3],
  [3, 1, 1, 3, 1],
  [3, 2, 1, 1, 1],
  [4, 1, 1, 1, 3, 3],
  [4, 4, 1, 3, 5, 13],
  [5, 2, 1, 1, 5, 5, 17],
  [5, 4, 1, 1, 5, 5, 5],
  [5, 7, 1, 1, 7, 11, 19],
  [5, 11, 1, 1, 5, 1, 1],
  [5, 13, 1, 1, 1, 3, 11],
  [5, 14, 1, 3, 5, 5, 31],
  [6, 1, 1, 3, 3, 9, 7, 49],
  [6, 13, 1, 1, 1, 15, 21, 21],
  [6, 16, 1, 3, 1, 13, 27, 49],
  [6, 19, 1, 1, 1, 15, 7, 5],
  [6, 22, 1, 3, 1, 15, 13, 25],
  [6, 25, 1, 1, 5, 5, 19, 61],
  [7, 1, 1, 3, 7, 11, 23, 15, 103],
  [7, 4, 1, 3, 7, 13, 13, 15, 69],
  [7, 7, 1, 1, 3, 13, 7, 35, 63],
  [7, 8, 1, 3, 5, 9, 1, 25, 53],
  [7, 14, 1, 3, 1, 13, 9, 35, 107],
  [7, 19, 1, 3, 1, 5, 27, 61, 31],
  [7, 21, 1, 1, 5, 11, 19, 41, 61],
  [7, 28, 1, 3, 5, 3, 3, 13, 69],
  [7, 31, 1, 1, 7, 13, 1, 19, 1],
  [7, 32, 1, 3, 7, 5, 13, 19, 59],
  [7, 37, 1, 1, 3, 9, 25, 29, 41],
  [7, 41, 1, 3, 5, 13, 23, 1, 55],
  [7, 42, 1, 3, 7, 3, 13, 59, 17],
];

export const SOBOL_MAX_DIMENSION = JOE_KUO.length + 1;
const BITS = 32;
const TWO32 = 4294967296;

/** Direction numbers V_1…V_32 of one dimension, scaled by 2³² (as unsigned 32-bit integers). */
function directionNumbers(dim: number): Uint32Array {
  const v = new Uint32Array(BITS + 1);
  if (dim === 0) {
    for (let i = 1; i <= BITS; i++) v[i] = 2 ** (BITS - i);
    return v;
  }
  const entry = JOE_KUO[dim - 1] as readonly number[];
  const s = entry[0] as number;
  const a = entry[1] as number;
  for (let i = 1; i <= Math.min(s, BITS); i++) v[i] = ((entry[1 + i] as number) * 2 ** (BITS - i)) >>> 0;
  for (let i = s + 1; i <= BITS; i++) {
    let x = ((v[i - s] as number) ^ ((v[i - s] as number) >>> s)) >>> 0;
    for (let k = 1; k <= s - 1; k++) if ((a >>> (s - 1 - k)) & 1) x = (x ^ (v[i - k] as number)) >>> 0;
    v[i] = x;
  }
  return v;
}

/** Applies a lower-triangular binary matrix (rows as 32-bit masks, row r = output digit r from the top) to x. */
function applyLinearScramble(rows: Uint32Array, x: number): number {
  let out = 0;
  for (let r = 0; r < BITS; r++) {
    let bits = (rows[r] as number) & x;
    // parity of bits
    bits ^= bits >>> 16;
    bits ^= bits >>> 8;
    bits ^= bits >>> 4;
    bits ^= bits >>> 2;
    bits ^= bits >>> 1;
    if (bits & 1) out |= 1 << (BITS - 1 - r);
  }
  return out >>> 0;
}

export interface SobolOptions {
  /** Scramble the sequence (needs `rng`). Default: true when an rng is given. */
  scramble?: boolean;
  rng?: Rng;
}

/** A stateful Sobol generator: each `draw(n)` continues the sequence. */
export class SobolEngine {
  readonly dimension: number;
  private readonly v: Uint32Array[];
  private readonly shift: Uint32Array;
  private readonly state: Uint32Array;
  private readonly scrambled: boolean;
  private index = 0;

  constructor(dimension: number, opts: SobolOptions = {}) {
    if (!Number.isInteger(dimension) || dimension < 1 || dimension > SOBOL_MAX_DIMENSION)
      throw new RangeError(`Sobol dimension must be an integer in [1, ${SOBOL_MAX_DIMENSION}], got ${dimension}`);
    this.dimension = dimension;
    this.scrambled = opts.scramble ?? opts.rng !== undefined;
    if (this.scrambled && !opts.rng) throw new Error('a scrambled Sobol sequence needs a seeded rng');
    this.v = [];
    this.shift = new Uint32Array(dimension);
    for (let j = 0; j < dimension; j++) {
      let v = directionNumbers(j);
      if (this.scrambled && opts.rng) {
        const rows = new Uint32Array(BITS);
        for (let r = 0; r < BITS; r++) {
          // Row r has a one on the diagonal (bit BITS-1-r) and random bits to its left (more significant digits).
          const diag = 1 << (BITS - 1 - r);
          const above = r === 0 ? 0 : (opts.rng.nextUint32() >>> (BITS - r)) << (BITS - r);
          rows[r] = (above | diag) >>> 0;
        }
        const scrambledV = new Uint32Array(BITS + 1);
        for (let i = 1; i <= BITS; i++) scrambledV[i] = applyLinearScramble(rows, v[i] as number);
        v = scrambledV;
        this.shift[j] = opts.rng.nextUint32();
      }
      this.v.push(v);
    }
    this.state = new Uint32Array(dimension);
    this.state.set(this.shift);
  }

  /** The next n points, an n×dimension matrix in [0, 1). Unscrambled, the first point is the origin. */
  draw(n: number): Matrix {
    const d = this.dimension;
    const out = zeros(n, d);
    for (let r = 0; r < n; r++) {
      if (this.index > 0) {
        // Gray code: flip the direction number of the lowest zero bit of (index − 1).
        let c = 1;
        let value = this.index - 1;
        while (value & 1) {
          value >>>= 1;
          c++;
        }
        for (let j = 0; j < d; j++) this.state[j] = ((this.state[j] as number) ^ ((this.v[j] as Uint32Array)[c] as number)) >>> 0;
      }
      for (let j = 0; j < d; j++) {
        const x = this.state[j] as number;
        // Scrambled points are centred in their 2^-32 cell so that no coordinate is exactly 0.
        out.data[r * d + j] = this.scrambled ? (x + 0.5) / TWO32 : x / TWO32;
      }
      this.index++;
    }
    return out;
  }

  /** Skips n points. */
  fastForward(n: number): void {
    this.draw(n);
  }
}

/**
 * Quasi-random standard-normal base samples: n×dim, Φ⁻¹ of a scrambled Sobol sequence in the first 32 dimensions and
 * seeded pseudo-random normals beyond (where Sobol direction numbers are not tabulated here).
 */
export function sobolNormal(n: number, dim: number, rng: Rng): Matrix {
  const out = zeros(n, dim);
  const qd = Math.min(dim, SOBOL_MAX_DIMENSION);
  if (qd > 0) {
    const u = new SobolEngine(qd, { rng }).draw(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < qd; j++) out.data[i * dim + j] = normQuantile(u.data[i * qd + j] as number);
  }
  for (let i = 0; i < n; i++) for (let j = qd; j < dim; j++) out.data[i * dim + j] = rng.normal();
  return out;
}
