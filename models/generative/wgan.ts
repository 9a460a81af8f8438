import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/domain/random.ts';
import { sampleConditioned, trainLoop, type Generator, type Hyperparameters, type SerializedTensor, type TrainingData, type TrainProgress } from './generator.ts';
import { batchIndices, forward, ParamSet, type Dense } from './mlp.ts';
import type { RecipeCodec } from './recipe-codec.ts';

/**
 * Conditional Wasserstein GAN with gradient penalty (ADR 0081). Generator G(z, c): [z, c] → hidden → logits,
 * activated by the codec (categoricals as Gumbel-softmax while training, so the critic sees near one-hot rows like
 * the real ones). Critic D(x, c): [x, c] → hidden → a score. Per generator step, `critic` critic steps minimise
 * D(fake) − D(real) + λ·(‖∇ₓ D(x̂, c)‖ − 1)² at random interpolates x̂ (a nested gradient; the swish MLP is smooth).
 * Adam with β₁ = 0.5, β₂ = 0.9.
 */
export const WGAN_DEFAULTS = { hidden: 64, latent: 8, steps: 500, critic: 4, batch: 64, lr: 1e-3, lambda: 10, tau: 0.5, mismatch: 0.5, aux: 5 } as const;

export function createWgan(codec: RecipeCodec, condDim: number, seed: number, hyper: Partial<typeof WGAN_DEFAULTS> = {}): Generator {
  const h: Hyperparameters = { ...WGAN_DEFAULTS, ...hyper };
  const hidden = h['hidden'] as number;
  const latent = h['latent'] as number;
  const F = codec.dim;
  const params = new ParamSet(seed);
  const gen: Dense[] = params.mlp('gen', [latent + condDim, hidden, hidden, F]);
  const critic: Dense[] = params.mlp('critic', [F + condDim, hidden, hidden, 1]);
  // Auxiliary regressor recipe → condition, learnt on the real rows; the generator is also asked to make recipes whose
  // predicted condition is the one it was given (weight `aux`).
  const aux = (h['aux'] as number | undefined) ?? 0;
  const regressor: Dense[] = aux > 0 ? params.mlp('aux', [F, hidden, condDim]) : [];
  const auxVars = aux > 0 ? params.variables('aux') : [];
  const genVars = params.variables('gen');
  const criticVars = params.variables('critic');

  const generate = (z: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D => forward(gen, tf.concat([z, c], 1));
  const score = (x: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D => forward(critic, tf.concat([x, c], 1));

  return {
    kind: 'wgan',
    hyper: h,
    train(data: TrainingData, onProgress?: (p: TrainProgress) => void) {
      if (data.dim !== F || data.condDim !== condDim) throw new Error('training data do not match the model');
      const rng = new Rng(seed).fork('wgan-train');
      const steps = h['steps'] as number;
      const nCritic = h['critic'] as number;
      const batch = h['batch'] as number;
      const lambda = h['lambda'] as number;
      const tau = h['tau'] as number;
      const lr = h['lr'] as number;
      const mismatch = (h['mismatch'] as number | undefined) ?? 0;
      const optG = tf.train.adam(lr, 0.5, 0.9);
      const optD = tf.train.adam(lr, 0.5, 0.9);
      const optR = aux > 0 ? tf.train.adam(lr) : undefined;
      const X = tf.tensor2d(data.x, [data.n, F]);
      const C = tf.tensor2d(data.c, [data.n, condDim]);
      /** One generator step after `critic` critic steps; the loss is the last critic loss. */
      const step = (): number => {
        let dLoss = 0;
        for (let k = 0; k < nCritic; k++) {
          const idx = batchIndices(data.n, batch, () => rng.next());
          const s1 = rng.nextUint32();
          // Matching-aware critic: real recipes paired with another row's condition count as fakes too, so the
          // critic must judge the pair, not the recipe alone, and the generator cannot ignore its condition.
          const perm = mismatch > 0 ? Int32Array.from(rng.shuffle(Array.from({ length: idx.length }, (_, i) => i))) : undefined;
          const l = tf.tidy(() => {
            const I = tf.tensor1d(idx, 'int32');
            const xb = tf.gather(X, I);
            const cb = tf.gather(C, I);
            const b = idx.length;
            const fake = tf.tidy(() => codec.activateGumbel(generate(tf.randomNormal([b, latent], 0, 1, 'float32', s1) as tf.Tensor2D, cb), tau, s1 + 1));
            const real = tf.concat([xb, cb], 1) as tf.Tensor2D;
            const joint = (j: tf.Tensor2D): tf.Tensor2D => forward(critic, j);
            const penalty = (a: tf.Tensor2D, other: tf.Tensor2D, seedOffset: number): tf.Tensor => {
              const alpha = tf.randomUniform([b, 1], 0, 1, 'float32', s1 + seedOffset);
              const hat = tf.add(tf.mul(alpha, a), tf.mul(tf.sub(1, alpha), other)) as tf.Tensor2D;
              const g = tf.grad((xi: tf.Tensor) => tf.sum(joint(xi as tf.Tensor2D)))(hat);
              const norm = tf.sqrt(tf.add(tf.sum(tf.square(g), 1), 1e-12));
              return tf.mean(tf.square(tf.sub(norm, 1)));
            };
            const fakeJoint = tf.concat([fake, cb], 1) as tf.Tensor2D;
            const wrongJoint = perm ? (tf.concat([xb, tf.gather(cb, tf.tensor1d(perm, 'int32'))], 1) as tf.Tensor2D) : undefined;
            return optD.minimize(() => {
              const dReal = tf.mean(joint(real));
              const dFake = tf.mean(joint(fakeJoint));
              if (!wrongJoint) return tf.add(tf.sub(dFake, dReal), tf.mul(lambda, penalty(real, fakeJoint, 2))) as tf.Scalar;
              const dWrong = tf.mean(joint(wrongJoint));
              const wDist = tf.sub(tf.add(tf.mul(1 - mismatch, dFake), tf.mul(mismatch, dWrong)), dReal);
              const gp = tf.add(tf.mul(1 - mismatch, penalty(real, fakeJoint, 2)), tf.mul(mismatch, penalty(real, wrongJoint, 3)));
              return tf.add(wDist, tf.mul(lambda, gp)) as tf.Scalar;
            }, true, criticVars) as tf.Scalar;
          });
          if (k === nCritic - 1) dLoss = (l.dataSync() as Float32Array)[0] as number;
          l.dispose();
          if (optR)
            tf.tidy(() => {
              const I = tf.tensor1d(idx, 'int32');
              const xb = tf.gather(X, I) as tf.Tensor2D;
              const cb = tf.gather(C, I);
              optR.minimize(() => tf.mean(tf.square(tf.sub(forward(regressor, xb), cb))) as tf.Scalar, false, auxVars);
            });
        }
        const idx = batchIndices(data.n, batch, () => rng.next());
        const s2 = rng.nextUint32();
        tf.tidy(() => {
          const cb = tf.gather(C, tf.tensor1d(idx, 'int32'));
          optG.minimize(() => {
            const fake = codec.activateGumbel(generate(tf.randomNormal([idx.length, latent], 0, 1, 'float32', s2) as tf.Tensor2D, cb), tau, s2 + 1);
            const adversarial = tf.neg(tf.mean(score(fake, cb)));
            if (aux === 0) return adversarial as tf.Scalar;
            return tf.add(adversarial, tf.mul(aux, tf.mean(tf.square(tf.sub(forward(regressor, fake), cb))))) as tf.Scalar;
          }, false, genVars);
        });
        return dLoss;
      };
      return trainLoop(steps, step, [X, C, optG, optD, ...(optR ? [optR] : [])], onProgress);
    },
    sample: (cond: Float32Array, m: number, sampleSeed: number): Float32Array =>
      sampleConditioned(cond, m, condDim, latent, sampleSeed, (z, c) => codec.activate(generate(z, c))),
    exportWeights: (): SerializedTensor[] => params.export(),
    importWeights: (w) => params.import(w),
    dispose: () => params.dispose(),
  };
}
