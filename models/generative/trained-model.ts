import type { CampaignSpec, Observation, Recipe } from '../../src/domain/index.ts';
import { Rng } from '../../src/domain/random.ts';
import { conditionDim, conditionRows, fitConditionScale, toCondition, type ConditionScale } from './condition.ts';
import { createGenerator, describeArchitecture } from './create-generator.ts';
import { weightsHash, type Generator, type GeneratorKind, type Hyperparameters, type SerializedTensor, type TrainProgress } from './generator.ts';
import { createRecipeCodec, type RecipeCodec } from './recipe-codec.ts';

/**
 * Training a generator on a campaign's observations and loading it back (ADR 0082). Everything here is plain data
 * (structured-clonable), so the same request trains in this thread or in a worker thread.
 */
export type GenerativeSpec = Pick<CampaignSpec, 'parameters' | 'constraints' | 'objectives'>;

export interface TrainRequest {
  snapshotId: string;
  spec: GenerativeSpec;
  observations: Observation[];
  kind: GeneratorKind;
  seed: number;
  hyper?: Hyperparameters;
  /** The active tfjs backend (recorded in the snapshot). */
  backend: string;
}

/** What a trained model is: enough to rebuild it exactly (with its weights) and to judge it. */
export interface GenerativeSnapshot {
  snapshotId: string;
  kind: GeneratorKind;
  architecture: string;
  hyperparameters: Hyperparameters;
  backend: string;
  seed: number;
  /** Training rows. */
  n: number;
  dim: number;
  condDim: number;
  conditionScale: ConditionScale;
  lossCurve: number[];
  metrics: { trainSeconds: number; finalLoss?: number };
  weightsHash: string;
}

export interface TrainedModel {
  snapshot: GenerativeSnapshot;
  weights: SerializedTensor[];
}

export function trainModel(req: TrainRequest, onProgress?: (p: TrainProgress) => void): TrainedModel {
  if (req.observations.length === 0) throw new Error('a generator needs at least one observation');
  const codec = createRecipeCodec(req.spec);
  const C = conditionDim(req.spec);
  const scale = fitConditionScale(req.spec, req.observations);
  const data = { n: req.observations.length, dim: codec.dim, condDim: C, x: codec.encode(req.observations.map((o) => o.recipe)), c: conditionRows(req.spec, scale, req.observations) };
  const gen = createGenerator(req.kind, codec, C, req.seed, req.hyper ?? {});
  try {
    const t0 = performance.now();
    const { lossCurve } = gen.train(data, onProgress);
    const trainSeconds = (performance.now() - t0) / 1000;
    const weights = gen.exportWeights();
    const finalLoss = lossCurve.at(-1);
    return {
      snapshot: {
        snapshotId: req.snapshotId,
        kind: req.kind,
        architecture: describeArchitecture(req.kind, gen.hyper, codec.dim, C),
        hyperparameters: gen.hyper,
        backend: req.backend,
        seed: req.seed,
        n: data.n,
        dim: codec.dim,
        condDim: C,
        conditionScale: scale,
        lossCurve,
        metrics: { trainSeconds, ...(finalLoss !== undefined ? { finalLoss } : {}) },
        weightsHash: weightsHash(weights),
      },
      weights,
    };
  } finally {
    gen.dispose();
  }
}

/** Per objective, the wanted window in objective units (either side may be open). */
export interface ObjectiveWindow {
  objective: string;
  low?: number;
  high?: number;
}

export interface SampledRecipes {
  recipes: Recipe[];
  /** Rows decoded (before constraint rejection). */
  drawn: number;
  /** Rows rejected by a linear constraint. */
  rejected: number;
}

export interface LoadedModel {
  readonly snapshot: GenerativeSnapshot;
  readonly codec: RecipeCodec;
  /** m×C condition rows: each objective's coordinate uniform in its window (mapped to condition units), feasible = 1. */
  conditionsFor(windows: readonly ObjectiveWindow[], m: number, seed: number): Float32Array;
  /** Condition rows asking for every objective `delta` (in condition units) beyond the best observed. */
  conditionsBeyondBest(delta: number, m: number): Float32Array;
  /** Decoded recipes for the given m×C condition rows (categoricals sampled from their scores). */
  sample(conditions: Float32Array, m: number, seed: number): SampledRecipes;
  /** m×F feature rows, before decoding. */
  sampleFeatures(conditions: Float32Array, m: number, seed: number): Float32Array;
  dispose(): void;
}

/** Rebuilds a trained model from its snapshot and weights (checked against the snapshot's hash). */
export function loadModel(spec: GenerativeSpec, trained: TrainedModel): LoadedModel {
  const { snapshot, weights } = trained;
  const hash = weightsHash(weights);
  if (hash !== snapshot.weightsHash) throw new Error(`weights of ${snapshot.snapshotId} do not match the snapshot's hash`);
  const codec = createRecipeCodec(spec);
  const C = conditionDim(spec);
  if (codec.dim !== snapshot.dim || C !== snapshot.condDim) throw new Error(`snapshot ${snapshot.snapshotId} was trained on another search space`);
  const gen: Generator = createGenerator(snapshot.kind, codec, C, snapshot.seed, hyperOfSnapshot(snapshot));
  gen.importWeights(weights);
  const scale = snapshot.conditionScale;

  const conditionsFor = (windows: readonly ObjectiveWindow[], m: number, seed: number): Float32Array => {
    const rng = new Rng(seed).fork('conditions');
    const out = new Float32Array(m * C);
    const ranges = spec.objectives.map((o, j) => {
      const w = windows.find((x) => x.objective === o.name);
      // Unconstrained objectives: anywhere from the median of the observed range to the best.
      if (!w) return [0.5, 1] as const;
      const a = w.low !== undefined ? toCondition(scale, j, w.low) : o.direction === 'minimize' ? 1.1 : -Infinity;
      const b = w.high !== undefined ? toCondition(scale, j, w.high) : o.direction === 'minimize' ? -Infinity : 1.1;
      const lo = Math.max(-0.1, Math.min(a, b));
      const hi = Math.min(1.1, Math.max(a, b));
      return hi >= lo ? ([lo, hi] as const) : ([hi, hi] as const);
    });
    for (let i = 0; i < m; i++) {
      ranges.forEach(([lo, hi], j) => (out[i * C + j] = lo + (hi - lo) * rng.next()));
      out[i * C + C - 1] = 1;
    }
    return out;
  };

  const sampleFeatures = (conditions: Float32Array, m: number, seed: number): Float32Array => gen.sample(conditions, m, seed);

  return {
    snapshot,
    codec,
    conditionsFor,
    conditionsBeyondBest(delta, m) {
      const out = new Float32Array(m * C);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < C - 1; j++) out[i * C + j] = 1 + delta;
        out[i * C + C - 1] = 1;
      }
      return out;
    },
    sampleFeatures,
    sample(conditions, m, seed) {
      const rows = sampleFeatures(conditions, m, seed);
      const rng = new Rng(seed).fork('decode');
      const recipes: Recipe[] = [];
      let rejected = 0;
      for (let i = 0; i < m; i++) {
        const r = codec.decodeValid(rows.subarray(i * codec.dim, (i + 1) * codec.dim), rng);
        if (r) recipes.push(r);
        else rejected++;
      }
      return { recipes, drawn: m, rejected };
    },
    dispose: () => gen.dispose(),
  };
}

/** A snapshot's hyper-parameters, completed for snapshots written before a later default existed. */
function hyperOfSnapshot(snapshot: { kind: string; hyperparameters: Hyperparameters }): Hyperparameters {
  const h = snapshot.hyperparameters;
  // A DDPM snapshot from before the strided sampler (ADR 0086) names no sampleSteps: it sampled all T steps.
  if (snapshot.kind === 'ddpm' && h['sampleSteps'] === undefined) return { ...h, sampleSteps: h['T'] ?? 40 };
  // A WGAN-GP snapshot from before ADR 0123 had neither the auxiliary regressor nor the mismatched pairs.
  if (snapshot.kind === 'wgan' && h['aux'] === undefined) return { ...h, aux: 0, mismatch: 0 };
  return h;
}
