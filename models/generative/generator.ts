import { createHash } from 'node:crypto';
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
