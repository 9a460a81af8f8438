import * as tf from '@tensorflow/tfjs';
import type { CampaignSpec, Recipe } from '../../src/domain/index.ts';
import type { Rng } from '../../src/domain/random.ts';
import { createSearchSpace, type SearchSpace } from '../transforms/search-space.ts';

/**
 * A campaign's search space as tensors for the generative models, with exact decoders (ADR 0081).
 *
 * Features (width `dim`, the search space's features without presence indicators): continuous and integer
 * parameters scaled to [0, 1] (log scale where declared), categoricals one-hot, simplex groups as their K fractions.
 * A network emits unconstrained logits of the same width; `activate` maps them into feature ranges — scaled sigmoid
 * for bounded numbers, softmax for every categorical and simplex segment — and `decode` turns a feature row into a
 * recipe that is valid by construction: numbers clamped and un-scaled (integers rounded), a categorical by arg-max
 * (or sampled in proportion to its scores with an Rng), a simplex by keeping its `maxComponents` largest fractions,
 * renormalising, and dropping fractions below `minFraction` one at a time (the space's own `normaliseRecipe`).
 * Linear constraints cannot be honoured by construction: `decodeValid` rejects a violating row (`null`).
 */
export interface CodecSegment {
  kind: 'continuous' | 'integer' | 'categorical' | 'simplex';
  name: string;
  offset: number;
  width: number;
}

export interface RecipeCodec {
  readonly spec: Pick<CampaignSpec, 'parameters' | 'constraints'>;
  readonly space: SearchSpace;
  /** Feature width F. */
  readonly dim: number;
  readonly segments: readonly CodecSegment[];
  /** Recipes → n×F features (float32, row-major). */
  encode(recipes: readonly Recipe[]): Float32Array;
  /** Logits (b×F) → features (b×F): sigmoid columns and softmax segments. */
  activate(logits: tf.Tensor2D): tf.Tensor2D;
  /**
   * Like `activate`, but categorical segments as Gumbel-softmax samples at temperature `tau` (differentiable, near
   * one-hot), for a critic that compares generated with one-hot real data. `seed` seeds the Gumbel noise.
   */
  activateGumbel(logits: tf.Tensor2D, tau: number, seed: number): tf.Tensor2D;
  /** Mean reconstruction loss of logits (b×F) against target features (b×F): BCE for numbers, cross-entropy for segments. */
  reconstructionLoss(logits: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar;
  /** One feature row → a recipe valid in the space (categoricals sampled from their scores when `rng` is given). */
  decode(row: ArrayLike<number>, rng?: Rng): Recipe;
  /** `decode`, or null when the recipe violates a linear constraint. */
  decodeValid(row: ArrayLike<number>, rng?: Rng): Recipe | null;
}

export function createRecipeCodec(spec: Pick<CampaignSpec, 'parameters' | 'constraints'>): RecipeCodec {
  const space = createSearchSpace(spec, { presence: false });
  const segments: CodecSegment[] = [];
  let offset = 0;
  for (const p of spec.parameters) {
    const width = p.type === 'categorical' ? p.choices.length : p.type === 'simplex' ? p.components.length : 1;
    segments.push({ kind: p.type, name: p.name, offset, width });
    offset += width;
  }
  const dim = offset;
  if (dim !== space.featureDim) throw new Error(`codec width ${dim} differs from the search space's ${space.featureDim}`);
  const scalarCols = segments.filter((s) => s.kind === 'continuous' || s.kind === 'integer');
  const groupSegs = segments.filter((s) => s.kind === 'categorical' || s.kind === 'simplex');
  const categoricalSegs = segments.filter((s) => s.kind === 'categorical');

  const encode = (recipes: readonly Recipe[]): Float32Array => {
    const out = new Float32Array(recipes.length * dim);
    recipes.forEach((r, i) => out.set(space.encode(r), i * dim));
    return out;
  };

  const slice = (t: tf.Tensor2D, s: CodecSegment): tf.Tensor2D => tf.slice(t, [0, s.offset], [-1, s.width]);

  const activateWith = (logits: tf.Tensor2D, cat: (seg: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => {
      const parts = segments.map((s) => {
        const seg = slice(logits, s);
        if (s.kind === 'continuous' || s.kind === 'integer') return tf.sigmoid(seg);
        if (s.kind === 'categorical') return cat(seg);
        return tf.softmax(seg);
      });
      return parts.length === 1 ? (parts[0] as tf.Tensor2D) : tf.concat(parts, 1);
    });

  const activate = (logits: tf.Tensor2D): tf.Tensor2D => activateWith(logits, (seg) => tf.softmax(seg));

  const activateGumbel = (logits: tf.Tensor2D, tau: number, seed: number): tf.Tensor2D => {
    let k = 0;
    return activateWith(logits, (seg) => {
      const u = tf.randomUniform(seg.shape, 1e-6, 1 - 1e-6, 'float32', seed + 7919 * k++);
      const g = tf.neg(tf.log(tf.neg(tf.log(u))));
      return tf.softmax(tf.div(tf.add(seg, g), tau)) as tf.Tensor2D;
    });
  };

  const reconstructionLoss = (logits: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar =>
    tf.tidy(() => {
      const terms: tf.Scalar[] = [];
      for (const s of scalarCols) {
        const z = slice(logits, s);
        const t = slice(target, s);
        // Binary cross-entropy with logits: softplus(z) − z·t, minus its minimum at z = logit(t) so a perfect fit is 0.
        const bce = tf.sub(tf.softplus(z), tf.mul(z, t));
        const tc = tf.clipByValue(t, 1e-6, 1 - 1e-6);
        const floor = tf.neg(tf.add(tf.mul(tc, tf.log(tc)), tf.mul(tf.sub(1, tc), tf.log(tf.sub(1, tc)))));
        terms.push(tf.mean(tf.sum(tf.sub(bce, floor), 1)));
      }
      for (const s of groupSegs) {
        const z = slice(logits, s);
        const t = slice(target, s);
        terms.push(tf.mean(tf.neg(tf.sum(tf.mul(t, tf.logSoftmax(z)), 1))));
      }
      return terms.reduce((a, b) => tf.add(a, b) as tf.Scalar);
    });

  const decode = (row: ArrayLike<number>, rng?: Rng): Recipe => {
    const z = Float64Array.from({ length: dim }, (_, i) => {
      const v = row[i] as number;
      return Number.isFinite(v) ? v : 0;
    });
    if (rng)
      for (const s of categoricalSegs) {
        let total = 0;
        for (let i = 0; i < s.width; i++) total += Math.max(0, z[s.offset + i] as number);
        let pick = rng.int(s.width);
        if (total > 0) {
          let u = rng.next() * total;
          for (let i = 0; i < s.width; i++) {
            u -= Math.max(0, z[s.offset + i] as number);
            if (u <= 0) {
              pick = i;
              break;
            }
          }
        }
        for (let i = 0; i < s.width; i++) z[s.offset + i] = i === pick ? 1 : 0;
      }
    return space.decode(z);
  };

  return {
    spec,
    space,
    dim,
    segments,
    encode,
    activate,
    activateGumbel,
    reconstructionLoss,
    decode,
    decodeValid: (row, rng) => {
      const r = decode(row, rng);
      return space.constraintSlacks(r).every((s) => s <= 1e-9) ? r : null;
    },
  };
}
