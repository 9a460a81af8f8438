import * as tf from '@tensorflow/tfjs';
import { decodeTensor, encodeTensor, type SerializedTensor } from './generator.ts';

/**
 * Named, seeded weights of small multi-layer perceptrons built from tfjs core ops (no layers models: the weights are
 * plain variables, serialised by name). Hidden layers use swish (x·sigmoid(x)), which is smooth, so a critic's input
 * gradient can itself be differentiated (the gradient penalty of WGAN-GP).
 */
export interface Dense {
  w: tf.Variable;
  b: tf.Variable;
}

let instances = 0;

export class ParamSet {
  /** Short name → variable (tfjs variable names are global per engine, so each set registers under its own prefix). */
  private readonly vars = new Map<string, tf.Variable>();
  private readonly prefix = `p${++instances}/`;
  private nextSeed: number;

  constructor(seed: number) {
    this.nextSeed = seed >>> 0;
  }

  /** A dense layer in → out with Glorot-normal weights and zero bias. */
  dense(name: string, inDim: number, outDim: number): Dense {
    const sd = Math.sqrt(2 / (inDim + outDim));
    // tf.variable keeps its initial tensor alive as a separate handle: create, wrap, then dispose the initial value.
    const w0 = tf.randomNormal([inDim, outDim], 0, sd, 'float32', this.nextSeed++);
    const b0 = tf.zeros([outDim]);
    const w = tf.variable(w0, true, `${this.prefix}${name}.w`);
    const b = tf.variable(b0, true, `${this.prefix}${name}.b`);
    w0.dispose();
    b0.dispose();
    this.add(`${name}.w`, w);
    this.add(`${name}.b`, b);
    return { w, b };
  }

  /** A stack of dense layers through the given widths ([in, h1, …, out]). */
  mlp(name: string, widths: readonly number[]): Dense[] {
    const layers: Dense[] = [];
    for (let i = 0; i + 1 < widths.length; i++) layers.push(this.dense(`${name}.${i}`, widths[i] as number, widths[i + 1] as number));
    return layers;
  }

  private add(name: string, v: tf.Variable): void {
    if (this.vars.has(name)) throw new Error(`duplicate weight ${name}`);
    this.vars.set(name, v);
  }

  /** Variables whose short names start with `prefix` (all when omitted). */
  variables(prefix = ''): tf.Variable[] {
    return [...this.vars.entries()].filter(([n]) => n.startsWith(prefix)).map(([, v]) => v);
  }

  export(): SerializedTensor[] {
    return [...this.vars.entries()].map(([n, v]) => encodeTensor(n, v.shape, v.dataSync() as Float32Array));
  }

  import(weights: readonly SerializedTensor[]): void {
    const byName = new Map(weights.map((w) => [w.name, w]));
    for (const [name, v] of this.vars.entries()) {
      const w = byName.get(name);
      if (!w) throw new Error(`weights lack ${name}`);
      if (w.shape.join('x') !== v.shape.join('x')) throw new Error(`weight ${name}: shape [${w.shape.join(', ')}], expected [${v.shape.join(', ')}]`);
      const data = decodeTensor(w);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

export const swish = (x: tf.Tensor2D): tf.Tensor2D => tf.mul(x, tf.sigmoid(x));

/** x (b×in) through the layers; swish between layers, the last one linear. */
export function forward(layers: readonly Dense[], x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  layers.forEach((l, i) => {
    const z = tf.add(tf.matMul(h, l.w), l.b) as tf.Tensor2D;
    h = i + 1 < layers.length ? swish(z) : z;
  });
  return h;
}

/** Row indices of one minibatch of `size` from `n` rows, drawn with `next()` uniform in [0, 1). */
export function batchIndices(n: number, size: number, next: () => number): Int32Array {
  const idx = new Int32Array(Math.min(size, Math.max(n, 1)));
  for (let i = 0; i < idx.length; i++) idx[i] = Math.floor(next() * n);
  return idx;
}
