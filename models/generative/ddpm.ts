import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/domain/random.ts';
import { sampleConditioned, trainLoop, type Generator, type Hyperparameters, type SerializedTensor, type TrainingData, type TrainProgress } from './generator.ts';
import { batchIndices, forward, ParamSet, type Dense } from './mlp.ts';
import type { RecipeCodec } from './recipe-codec.ts';

/**
 * A small conditional denoising diffusion model (DDPM, ADR 0081). Data: codec features mapped to [−1, 1]. Forward
 * process with a cosine schedule of `T` steps; an MLP denoiser ε(x_t, t, c) ([x_t, c, t/T, sin/cos of t] → hidden →
 * hidden → ε) trained on ‖ε − ε̂‖². Sampling runs a deterministic DDIM chain over `sampleSteps` strided steps (default
 * 10; ≥ T: the full ancestral chain) from N(0, I); the result is mapped back to feature ranges (clamped) and left to
 * the codec's exact decoder (arg-max categoricals, projected simplex).
 */
export const DDPM_DEFAULTS = { hidden: 128, T: 40, steps: 2000, batch: 128, lr: 2e-3, sampleSteps: 10 } as const;

/**
 * The reverse steps of sampling: `sampleSteps` ≥ T runs all T ancestral DDPM steps; fewer runs a deterministic DDIM
 * chain (Song et al. 2021, η = 0) over the evenly strided steps round(T·i/S), i = S … 1, then 0 (ADR 0086).
 */
export function samplingSchedule(T: number, sampleSteps: number): number[] {
  const S = Math.max(1, Math.min(T, Math.round(sampleSteps)));
  const ts: number[] = [];
  for (let i = S; i >= 1; i--) {
    const t = Math.round((T * i) / S);
    if (ts[ts.length - 1] !== t) ts.push(t);
  }
  return ts;
}

/** Cumulative ᾱ_t of the cosine schedule (Nichol & Dhariwal), t = 0 … T, β clipped to 0.999. */
function cosineSchedule(T: number): { betas: Float64Array; alphaBar: Float64Array } {
  const f = (t: number): number => Math.cos(((t / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const betas = new Float64Array(T + 1);
  const alphaBar = new Float64Array(T + 1);
  alphaBar[0] = 1;
  for (let t = 1; t <= T; t++) {
    const b = Math.min(0.999, 1 - f(t) / f(t - 1));
    betas[t] = b;
    alphaBar[t] = (alphaBar[t - 1] as number) * (1 - b);
  }
  return { betas, alphaBar };
}

export function createDdpm(codec: RecipeCodec, condDim: number, seed: number, hyper: Partial<typeof DDPM_DEFAULTS> = {}): Generator {
  const h: Hyperparameters = { ...DDPM_DEFAULTS, ...hyper };
  const hidden = h['hidden'] as number;
  const T = h['T'] as number;
  const F = codec.dim;
  const TEMB = 5;
  const params = new ParamSet(seed);
  const net: Dense[] = params.mlp('den', [F + condDim + TEMB, hidden, hidden, F]);
  const { betas, alphaBar } = cosineSchedule(T);

  /** t (b×1, values in 1 … T) → b×5 embedding. */
  const embed = (t: tf.Tensor2D): tf.Tensor2D => {
    const s = tf.div(t, T);
    return tf.concat([s, tf.sin(tf.mul(s, Math.PI)), tf.cos(tf.mul(s, Math.PI)), tf.sin(tf.mul(s, 2 * Math.PI)), tf.cos(tf.mul(s, 2 * Math.PI))], 1) as tf.Tensor2D;
  };
  const denoise = (xt: tf.Tensor2D, c: tf.Tensor2D, t: tf.Tensor2D): tf.Tensor2D => forward(net, tf.concat([xt, c, embed(t)], 1));
  const sqrtAb = Float32Array.from(alphaBar, (a) => Math.sqrt(a));
  const sqrt1mAb = Float32Array.from(alphaBar, (a) => Math.sqrt(1 - a));

  /** All T ancestral DDPM steps from the noise x_T (feature rows in [0, 1] out). */
  const ancestral = (noise: tf.Tensor2D, c: tf.Tensor2D, m: number, sampleSeed: number): tf.Tensor2D => {
    let x = noise;
    for (let t = T; t >= 1; t--) {
      const next = tf.tidy(() => {
        const beta = betas[t] as number;
        const ab = alphaBar[t] as number;
        const eps = denoise(x, c, tf.fill([m, 1], t) as tf.Tensor2D);
        const mean = tf.mul(tf.sub(x, tf.mul(eps, beta / Math.sqrt(1 - ab))), 1 / Math.sqrt(1 - beta));
        if (t === 1) return mean as tf.Tensor2D;
        const sigma = Math.sqrt((beta * (1 - (alphaBar[t - 1] as number))) / (1 - ab));
        return tf.add(mean, tf.mul(tf.randomNormal([m, F], 0, 1, 'float32', sampleSeed + t), sigma)) as tf.Tensor2D;
      });
      x.dispose();
      x = next;
    }
    return tf.clipByValue(tf.div(tf.add(x, 1), 2), 0, 1) as tf.Tensor2D;
  };
  /**
   * Deterministic DDIM (η = 0) over the strided steps `ts` (descending, ending at ≥ 1): x̂₀ = (x_t − √(1−ᾱ_t)·ε̂)/√ᾱ_t
   * clamped to [−1, 1], then x_s = √ᾱ_s·x̂₀ + √(1−ᾱ_s)·ε̂ for the next step s (ᾱ₀ = 1 at the end: x = x̂₀).
   */
  const ddim = (noise: tf.Tensor2D, c: tf.Tensor2D, m: number, ts: readonly number[]): tf.Tensor2D => {
    let x = noise;
    ts.forEach((t, i) => {
      const s = ts[i + 1] ?? 0;
      const next = tf.tidy(() => {
        const ab = alphaBar[t] as number;
        const abS = alphaBar[s] as number;
        const eps = denoise(x, c, tf.fill([m, 1], t) as tf.Tensor2D);
        const x0 = tf.clipByValue(tf.div(tf.sub(x, tf.mul(eps, Math.sqrt(1 - ab))), Math.sqrt(ab)), -1, 1);
        if (s === 0) return x0 as tf.Tensor2D;
        return tf.add(tf.mul(x0, Math.sqrt(abS)), tf.mul(eps, Math.sqrt(1 - abS))) as tf.Tensor2D;
      });
      x.dispose();
      x = next;
    });
    return tf.clipByValue(tf.div(tf.add(x, 1), 2), 0, 1) as tf.Tensor2D;
  };

  return {
    kind: 'ddpm',
    hyper: h,
    train(data: TrainingData, onProgress?: (p: TrainProgress) => void) {
      if (data.dim !== F || data.condDim !== condDim) throw new Error('training data do not match the model');
      const rng = new Rng(seed).fork('ddpm-train');
      const steps = h['steps'] as number;
      const batch = h['batch'] as number;
      const opt = tf.train.adam(h['lr'] as number);
      const X = tf.tidy(() => tf.sub(tf.mul(tf.tensor2d(data.x, [data.n, F]), 2), 1));
      const C = tf.tensor2d(data.c, [data.n, condDim]);
      const step = (): tf.Scalar => {
        const idx = batchIndices(data.n, batch, () => rng.next());
        const b = idx.length;
        const ts = new Float32Array(b);
        const a = new Float32Array(b);
        const s = new Float32Array(b);
        for (let i = 0; i < b; i++) {
          const t = 1 + rng.int(T);
          ts[i] = t;
          a[i] = sqrtAb[t] as number;
          s[i] = sqrt1mAb[t] as number;
        }
        const noiseSeed = rng.nextUint32();
        return tf.tidy(() => {
          const I = tf.tensor1d(idx, 'int32');
          const x0 = tf.gather(X, I) as tf.Tensor2D;
          const cb = tf.gather(C, I) as tf.Tensor2D;
          const eps = tf.randomNormal([b, F], 0, 1, 'float32', noiseSeed);
          const xt = tf.add(tf.mul(x0, tf.tensor2d(a, [b, 1])), tf.mul(eps, tf.tensor2d(s, [b, 1]))) as tf.Tensor2D;
          const tt = tf.tensor2d(ts, [b, 1]);
          return opt.minimize(() => tf.mean(tf.square(tf.sub(denoise(xt, cb, tt), eps))) as tf.Scalar, true, params.variables()) as tf.Scalar;
        });
      };
      return trainLoop(steps, step, [X, C, opt], onProgress);
    },
    sample: (cond: Float32Array, m: number, sampleSeed: number): Float32Array =>
      sampleConditioned(cond, m, condDim, F, sampleSeed, (noise, c) => {
        const S = h['sampleSteps'] ?? T;
        return S >= T ? ancestral(noise, c, m, sampleSeed) : ddim(noise, c, m, samplingSchedule(T, S));
      }),
    exportWeights: (): SerializedTensor[] => params.export(),
    importWeights: (w) => params.import(w),
    dispose: () => params.dispose(),
  };
}
