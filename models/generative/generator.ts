import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { GENERATIVE_MODELS } from '../../src/domain/campaign.ts';

/**
 * What every generative model of a recipe space offers (ADR 0081). Shapes: features are n×F rows of a `RecipeCodec`
 * (float32, row-major), conditions n×C rows of `conditionRows`. Training is synchronous tensor work (run it in a worker
 * thread to keep a loop responsive); sampling returns feature rows for the codec's exact decoder.
 */
export const GENERATOR_KINDS = GENERATIVE_MODELS;
export type GeneratorKind = (typeof GENERATOR_KINDS)[number];

export interface TrainingData {
  n: number;
  /** Feature width F. */
  dim: number;
  /** Condition width C. */
  condDim: number;
  /** n×F features. */
  x: Float32Array;
  /** n×C conditions. */
  c: Float32Array;
}

export interface TrainProgress {
  step: number;
  steps: number;
  loss: number;
}

/** One named weight tensor, its float32 data as base64 (documents are JSON). */
export interface SerializedTensor {
  name: string;
  shape: number[];
  base64: string;
}

export type Hyperparameters = Record<string, number>;

export interface Generator {
  readonly kind: GeneratorKind;
  readonly hyper: Hyperparameters;
  /** Trains from scratch on `data`; returns the loss per logged step. Seeded by the constructor's seed. */
  train(data: TrainingData, onProgress?: (p: TrainProgress) => void): { lossCurve: number[] };
  /** m×F features conditioned on m×C rows `cond`; `seed` seeds the latent noise. */
  sample(cond: Float32Array, m: number, seed: number): Float32Array;
  exportWeights(): SerializedTensor[];
  importWeights(weights: readonly SerializedTensor[]): void;
  /** Frees every tensor the model holds. */
  dispose(): void;
}

export function encodeTensor(name: string, shape: number[], data: Float32Array): SerializedTensor {
  return { name, shape, base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}

export function decodeTensor(t: SerializedTensor): Float32Array {
  const buf = Buffer.from(t.base64, 'base64');
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  const out = new Float32Array(copy.buffer);
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (out.length !== size) throw new Error(`weight ${t.name}: ${out.length} values for shape [${t.shape.join(', ')}]`);
  return out;
}

/** SHA-256 over the names, shapes and bytes of the weights, in order. */
export function weightsHash(weights: readonly SerializedTensor[]): string {
  const h = createHash('sha256');
  for (const w of weights) h.update(`${w.name}:${w.shape.join('x')}:${w.base64};`);
  return h.digest('hex');
}

/**
 * The training loop every neural generator shares: `steps` calls of `step(i)`, the loss recorded about 100 times (every
 * ⌊steps/100⌋ steps and at the last) into the returned curve and reported through `onProgress`. A step returns its loss
 * as a scalar tensor (read only when recorded, always disposed) or as a number. `owned` (data tensors, optimisers) is
 * disposed when the loop ends, also on an error.
 */
export function trainLoop(
  steps: number,
  step: (i: number) => tf.Scalar | number,
  owned: readonly { dispose(): void }[],
  onProgress?: (p: TrainProgress) => void,
): { lossCurve: number[] } {
  const lossCurve: number[] = [];
  const every = Math.max(1, Math.floor(steps / 100));
  try {
    for (let i = 0; i < steps; i++) {
      const loss = step(i);
      if (i % every === 0 || i === steps - 1) {
        const v = typeof loss === 'number' ? loss : ((loss.dataSync() as Float32Array)[0] as number);
        lossCurve.push(v);
        onProgress?.({ step: i + 1, steps, loss: v });
      }
      if (typeof loss !== 'number') loss.dispose();
    }
  } finally {
    for (const o of owned) o.dispose();
  }
  return { lossCurve };
}

/**
 * Conditioned sampling shared by the generators: the m×C condition rows as a tensor, a seeded m×`noiseDim` standard
 * normal draw, and `generate(noise, cond)` → m×F activated feature rows, all inside one `tf.tidy`.
 */
export function sampleConditioned(
  cond: Float32Array,
  m: number,
  condDim: number,
  noiseDim: number,
  seed: number,
  generate: (noise: tf.Tensor2D, cond: tf.Tensor2D) => tf.Tensor2D,
): Float32Array {
  return tf.tidy(() => {
    const c = tf.tensor2d(cond, [m, condDim]);
    const noise = tf.randomNormal([m, noiseDim], 0, 1, 'float32', seed) as tf.Tensor2D;
    return generate(noise, c).dataSync() as Float32Array;
  });
}
