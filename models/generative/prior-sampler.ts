import { Rng } from '../../src/domain/random.ts';
import { decodeTensor, encodeTensor, type Generator, type Hyperparameters, type SerializedTensor, type TrainingData } from './generator.ts';
import type { RecipeCodec } from './recipe-codec.ts';

/**
 * The non-neural control (ADR 0081): a kernel density over the good observed recipes. Training keeps the rows whose
 * first condition column is in the top `quantile` of the feasible rows (at least `minKeep`, all rows when fewer).
 * A sample picks a kept row at random and perturbs it: bounded numbers by a Gaussian of sd `bandwidth` (clamped), each
 * simplex by a Dirichlet centred on its fractions with concentration `concentration`, each categorical kept with
 * probability `keepCategory` and redrawn uniformly otherwise. The condition of a sample is ignored: the prior knows
 * only "good", which is what a conditional generator has to beat.
 */
export const PRIOR_DEFAULTS = { quantile: 0.25, minKeep: 5, bandwidth: 0.08, concentration: 40, keepCategory: 0.85 } as const;

/** Gamma(shape, 1) (Marsaglia–Tsang; boosted for shape < 1). */
export function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(rng.next() || Number.MIN_VALUE, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function createPriorSampler(codec: RecipeCodec, condDim: number, seed: number, hyper: Partial<typeof PRIOR_DEFAULTS> = {}): Generator {
  const h: Hyperparameters = { ...PRIOR_DEFAULTS, ...hyper };
  const F = codec.dim;
  let kept: Float32Array = new Float32Array(0);
  let nKept = 0;

  return {
    kind: 'prior',
    hyper: h,
    train(data: TrainingData) {
      if (data.dim !== F || data.condDim !== condDim) throw new Error('training data do not match the model');
      const rows = Array.from({ length: data.n }, (_, i) => i);
      const feasible = rows.filter((i) => (data.c[i * condDim + condDim - 1] as number) > 0.5);
      const pool = feasible.length > 0 ? feasible : rows;
      pool.sort((a, b) => (data.c[b * condDim] as number) - (data.c[a * condDim] as number));
      const keep = Math.min(pool.length, Math.max(h['minKeep'] as number, Math.ceil((h['quantile'] as number) * pool.length)));
      nKept = keep;
      kept = new Float32Array(keep * F);
      for (let k = 0; k < keep; k++) kept.set(data.x.subarray((pool[k] as number) * F, (pool[k] as number) * F + F), k * F);
      return { lossCurve: [] };
    },
    sample(_cond: Float32Array, m: number, sampleSeed: number): Float32Array {
      if (nKept === 0) throw new Error('the prior sampler has no data');
      const rng = new Rng(sampleSeed).fork('prior-sample');
      const out = new Float32Array(m * F);
      const bw = h['bandwidth'] as number;
      const conc = h['concentration'] as number;
      const keepCat = h['keepCategory'] as number;
      for (let i = 0; i < m; i++) {
        const base = rng.int(nKept) * F;
        for (const s of codec.segments) {
          const o = i * F + s.offset;
          if (s.kind === 'continuous' || s.kind === 'integer') out[o] = Math.min(1, Math.max(0, (kept[base + s.offset] as number) + bw * rng.normal()));
          else if (s.kind === 'categorical') {
            let pick = 0;
            for (let k = 1; k < s.width; k++) if ((kept[base + s.offset + k] as number) > (kept[base + s.offset + pick] as number)) pick = k;
            if (rng.next() > keepCat) pick = rng.int(s.width);
            out[o + pick] = 1;
          } else {
            let total = 0;
            for (let k = 0; k < s.width; k++) {
              const g = sampleGamma(rng, conc * (kept[base + s.offset + k] as number) + 0.05);
              out[o + k] = g;
              total += g;
            }
            for (let k = 0; k < s.width; k++) out[o + k] = total > 0 ? (out[o + k] as number) / total : 1 / s.width;
          }
        }
      }
      return out;
    },
    exportWeights: (): SerializedTensor[] => [encodeTensor('kept', [nKept, F], kept)],
    importWeights(weights: readonly SerializedTensor[]) {
      const w = weights.find((x) => x.name === 'kept');
      if (!w || w.shape[1] !== F) throw new Error('prior weights lack the kept rows');
      kept = decodeTensor(w);
      nKept = w.shape[0] as number;
    },
    dispose() {
      kept = new Float32Array(0);
      nKept = 0;
    },
  };
}
