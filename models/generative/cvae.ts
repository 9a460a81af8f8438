import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/domain/random.ts';
import { sampleConditioned, trainLoop, type Generator, type Hyperparameters, type SerializedTensor, type TrainingData, type TrainProgress } from './generator.ts';
import { batchIndices, forward, ParamSet, type Dense } from './mlp.ts';
import type { RecipeCodec } from './recipe-codec.ts';

/**
 * Conditional variational autoencoder over recipe features (ADR 0081). Encoder q(z | x, c): [x, c] → hidden → (μ,
 * log σ²) of a `latent`-dimensional Gaussian; decoder p(x | z, c): [z, c] → hidden → logits, activated and decoded by
 * the codec. Loss: the codec's reconstruction loss + β·KL(q ‖ N(0, I)), Adam on minibatches. Sampling draws z ~ N(0, I).
 */
export const CVAE_DEFAULTS = { hidden: 64, latent: 4, steps: 1500, batch: 64, lr: 3e-3, beta: 0.5 } as const;

export function createCvae(codec: RecipeCodec, condDim: number, seed: number, hyper: Partial<typeof CVAE_DEFAULTS> = {}): Generator {
  const h: Hyperparameters = { ...CVAE_DEFAULTS, ...hyper };
  const hidden = h['hidden'] as number;
  const latent = h['latent'] as number;
  const F = codec.dim;
  const params = new ParamSet(seed);
  const enc: Dense[] = params.mlp('enc', [F + condDim, hidden, hidden, 2 * latent]);
  const dec: Dense[] = params.mlp('dec', [latent + condDim, hidden, hidden, F]);

  const decodeLogits = (z: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D => forward(dec, tf.concat([z, c], 1));

  return {
    kind: 'cvae',
    hyper: h,
    train(data: TrainingData, onProgress?: (p: TrainProgress) => void) {
      if (data.dim !== F || data.condDim !== condDim) throw new Error('training data do not match the model');
      const rng = new Rng(seed).fork('cvae-train');
      const steps = h['steps'] as number;
      const batch = h['batch'] as number;
      const beta = h['beta'] as number;
      const opt = tf.train.adam(h['lr'] as number);
      const X = tf.tensor2d(data.x, [data.n, F]);
      const C = tf.tensor2d(data.c, [data.n, condDim]);
      const step = (): tf.Scalar => {
        const idx = batchIndices(data.n, batch, () => rng.next());
        const noiseSeed = rng.nextUint32();
        return tf.tidy(() => {
          const I = tf.tensor1d(idx, 'int32');
          const xb = tf.gather(X, I);
          const cb = tf.gather(C, I);
          return opt.minimize(() => {
            const stats = forward(enc, tf.concat([xb, cb], 1));
            const mu = tf.slice(stats, [0, 0], [-1, latent]);
            const logVar = tf.clipByValue(tf.slice(stats, [0, latent], [-1, latent]), -8, 8);
            const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', noiseSeed);
            const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)) as tf.Tensor2D;
            const recon = codec.reconstructionLoss(decodeLogits(z, cb), xb);
            const kl = tf.mean(tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar)), 1)));
            return tf.add(recon, tf.mul(beta, kl)) as tf.Scalar;
          }, true, params.variables()) as tf.Scalar;
        });
      };
      return trainLoop(steps, step, [X, C, opt], onProgress);
    },
    sample: (cond: Float32Array, m: number, sampleSeed: number): Float32Array =>
      sampleConditioned(cond, m, condDim, latent, sampleSeed, (z, c) => codec.activate(decodeLogits(z, c))),
    exportWeights: (): SerializedTensor[] => params.export(),
    importWeights: (w) => params.import(w),
    dispose: () => params.dispose(),
  };
}
