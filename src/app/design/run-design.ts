import { createBoAgent } from '../../../agents/bo-agent.ts';
import { RecipeLibrary } from '../../../agents/recipe-library.ts';
import type { SearchSpace } from '../../../models/transforms/search-space.ts';
import type { ScoredCandidate } from '../../../agents/candidates.ts';
import type { GeneratorKind, TrainProgress } from '../../../models/generative/generator.ts';
import { coverage, nearestDistances, uniqueness, wasserstein1d, type GenerationMetrics } from '../../../models/generative/metrics.ts';
import { selectTfBackend, type TfBackendPreference } from '../../../models/generative/tf-backend.ts';
import { loadModel, trainModel, type GenerativeSnapshot, type ObjectiveWindow } from '../../../models/generative/trained-model.ts';
import { normCdf } from '../../../models/stats/normal.ts';
import type { CampaignSpec, Observation, Recipe } from '../../domain/index.ts';
import { validateRecipe } from '../../domain/recipe.ts';
import { SafetyGate } from '../../safety/safety-gate.ts';
import { inWindow } from './targets.ts';

/**
 * Inverse design (ADR 0084): train a conditional generator on the observations, sample recipes conditioned on the
 * target windows, judge every sample with the BO surrogate fitted to the same observations (predicted mean ± sd,
 * P(every window met)), check each with the safety gate, and pick `n` diverse candidates: highest P(target) first,
 * each at least `minDistance` (normalised feature RMS) from those already picked, the distance halved until n are found.
 */
export interface DesignOptions {
  spec: CampaignSpec;
  observations: readonly Observation[];
  windows: readonly ObjectiveWindow[];
  n: number;
  model: GeneratorKind;
  seed: number;
  /** Samples drawn (default max(2000, 100·n)). */
  samples?: number;
  /** Optimiser steps (the model's default when absent). */
  steps?: number;
  backend: TfBackendPreference;
  /** Coverage threshold δ in normalised feature RMS (default 0.1). */
  coverageDelta?: number;
  /** Distance beyond which a sample counts as novel (default 0.05). */
  noveltyThreshold?: number;
  /** Initial diversity distance between picked candidates (default 0.1). */
  minDistance?: number;
  onProgress?: (p: TrainProgress & { model: GeneratorKind }) => void;
}

export interface DesignCandidate {
  recipe: Recipe;
  predicted: Record<string, { mean: number; sd: number }>;
  /** Surrogate probability that every target window is met. */
  pTarget: number;
  /** Normalised distance to the nearest observed recipe. */
  novelty: number;
  safety: { allowed: true } | { allowed: false; reasons: string[] };
}

export interface DesignResult {
  candidates: DesignCandidate[];
  /** Judged by the surrogate's predicted means (there is no truth at design time). */
  metrics: GenerationMetrics;
  snapshot: GenerativeSnapshot;
  backend: string;
  /** Training rows (features) and the observed first objective, for the plot. */
  data: { features: Float32Array; values: (number | undefined)[] };
  candidateFeatures: Float32Array;
  dim: number;
}

/** P(value in window) under N(mean, sd²). */
function windowProbability(w: ObjectiveWindow, mean: number, sd: number): number {
  const s = Math.max(sd, 1e-12);
  const hi = w.high === undefined ? 1 : normCdf((w.high - mean) / s);
  const lo = w.low === undefined ? 0 : normCdf((w.low - mean) / s);
  return Math.max(0, hi - lo);
}

/** The target property sample for W1: the window clipped to the observed range (10 % beyond the best), on a grid. */
function targetSample(spec: CampaignSpec, observations: readonly Observation[], w: ObjectiveWindow): number[] {
  const o = spec.objectives.find((x) => x.name === w.objective);
  const values = observations.filter((x) => x.feasible).map((x) => x.objectives[w.objective]).filter((v): v is number => typeof v === 'number');
  if (!o || values.length === 0) return [];
  const min = Math.min(...values);
  const max = Math.max(...values);
  const pad = 0.1 * (max - min);
  const lo = Math.max(w.low ?? -Infinity, o.direction === 'minimize' ? min - pad : min);
  const hi = Math.min(w.high ?? Infinity, o.direction === 'maximize' ? max + pad : max);
  if (!(hi >= lo)) return [w.high ?? w.low ?? min];
  return Array.from({ length: 101 }, (_, i) => lo + ((hi - lo) * i) / 100);
}

export async function runDesign(opts: DesignOptions): Promise<DesignResult> {
  const { spec, observations, windows } = opts;
  const choice = await selectTfBackend(opts.backend);
  const trained = trainModel(
    {
      snapshotId: `design-${opts.model}-${opts.seed}`,
      spec,
      observations: [...observations],
      kind: opts.model,
      seed: opts.seed,
      backend: choice.backend,
      ...(opts.steps !== undefined && opts.model !== 'prior' ? { hyper: { steps: opts.steps } } : {}),
    },
    (p) => opts.onProgress?.({ ...p, model: opts.model }),
  );
  const model = loadModel(spec, trained);
  const codec = model.codec;
  const F = codec.dim;
  const m = opts.samples ?? Math.max(2000, 100 * opts.n);
  const sampled = model.sample(model.conditionsFor(windows, m, opts.seed), m, opts.seed + 1);
  model.dispose();

  const judge = createBoAgent({ spec, seed: opts.seed, newId: () => 'design' });
  await judge.ingest([...observations]);
  // A campaign with a recipe library (ADR 0122) designs among its rows not yet observed, not among generated recipes.
  const pool = spec.library ? unobservedRows(spec.library, observations, judge.space) : sampled.recipes;
  const drawn = spec.library ? pool.length : sampled.drawn;
  const gate = new SafetyGate(spec);
  const valid: { recipe: Recipe; allowed: boolean; reasons: string[] }[] = [];
  for (const r of pool) {
    if (validateRecipe(spec, r).length > 0) continue;
    const v = gate.checkRecipe(r);
    valid.push({ recipe: r, allowed: v.allowed, reasons: v.allowed ? [] : v.reasons });
  }
  const scored: ScoredCandidate[] = valid.length > 0 ? await judge.score(valid.map((v) => v.recipe), []) : [];
  const dataRecipes = observations.map((o) => o.recipe);
  const dataFeatures = codec.encode(dataRecipes);
  const genFeatures = codec.encode(valid.map((v) => v.recipe));
  const nearest = nearestDistances(genFeatures, valid.length, dataFeatures, dataRecipes.length, F);
  const primary = windows[0];
  const meets = (s: ScoredCandidate): boolean => windows.every((w) => s.predicted[w.objective] !== undefined && inWindow(w, (s.predicted[w.objective] as { mean: number }).mean));

  const all: DesignCandidate[] = valid.map((v, i) => {
    const s = scored[i] as ScoredCandidate;
    const pTarget = windows.reduce((p, w) => {
      const pr = s.predicted[w.objective];
      return p * (pr ? windowProbability(w, pr.mean, pr.sd) : 0);
    }, 1);
    return { recipe: s.recipe, predicted: s.predicted, pTarget, novelty: nearest[i] as number, safety: v.allowed ? { allowed: true } : { allowed: false, reasons: v.reasons } };
  });

  // Reference recipes for coverage: the observed ones meeting every window (the best tenth when none does).
  const meetingRows = observations.map((o, i) => [o, i] as const).filter(([o]) => o.feasible && windows.every((w) => typeof o.objectives[w.objective] === 'number' && inWindow(w, o.objectives[w.objective] as number)));
  const primaryObjective = spec.objectives.find((o) => o.name === primary?.objective) ?? spec.objectives[0];
  const ranked = observations
    .map((o, i) => [o, i] as const)
    .filter(([o]) => o.feasible && primaryObjective !== undefined && typeof o.objectives[primaryObjective.name] === 'number')
    .sort(([a], [b]) => {
      const name = primaryObjective?.name ?? '';
      const d = (a.objectives[name] as number) - (b.objectives[name] as number);
      return primaryObjective?.direction === 'minimize' ? d : -d;
    });
  const refIdx = (meetingRows.length > 0 ? meetingRows : ranked.slice(0, Math.max(1, Math.ceil(ranked.length / 10)))).map(([, i]) => i);
  const ref = new Float32Array(refIdx.length * F);
  refIdx.forEach((i, k) => ref.set(dataFeatures.subarray(i * F, (i + 1) * F), k * F));
  const delta = opts.coverageDelta ?? 0.1;
  const cov = coverage(genFeatures, valid.length, ref, refIdx.length, F, delta);
  const noveltyThreshold = opts.noveltyThreshold ?? 0.05;
  const props = primary ? scored.map((s) => s.predicted[primary.objective]?.mean).filter((v): v is number => v !== undefined) : [];
  const metrics: GenerationMetrics = {
    validity: drawn > 0 ? all.filter((c) => c.safety.allowed).length / drawn : 0,
    uniqueness: uniqueness(genFeatures, valid.length, F),
    novelty: valid.length > 0 ? Array.from(nearest).filter((d) => d > noveltyThreshold).length / valid.length : 0,
    meanNearest: valid.length > 0 ? Array.from(nearest).reduce((a, b) => a + b, 0) / valid.length : Number.NaN,
    covR: cov.recall,
    covP: cov.precision,
    delta,
    wasserstein: primary ? wasserstein1d(props, targetSample(spec, observations, primary)) : Number.NaN,
    hitRate: scored.length > 0 ? scored.filter(meets).length / scored.length : 0,
  };

  // Diverse picks among the allowed samples, most likely to meet the target first.
  const order = all.map((c, i) => i).filter((i) => (all[i] as DesignCandidate).safety.allowed).sort((a, b) => (all[b] as DesignCandidate).pTarget - (all[a] as DesignCandidate).pTarget);
  const picked: number[] = [];
  for (let dmin = opts.minDistance ?? 0.1; picked.length < opts.n && dmin > 0.002; dmin /= 2)
    for (const i of order) {
      if (picked.length >= opts.n) break;
      if (picked.includes(i)) continue;
      if (picked.every((j) => rowDist(genFeatures, i, j, F) >= dmin)) picked.push(i);
    }
  picked.sort((a, b) => (all[b] as DesignCandidate).pTarget - (all[a] as DesignCandidate).pTarget);
  const candidates = picked.map((i) => all[i] as DesignCandidate);
  const candidateFeatures = new Float32Array(picked.length * F);
  picked.forEach((i, k) => candidateFeatures.set(genFeatures.subarray(i * F, (i + 1) * F), k * F));
  return {
    candidates,
    metrics,
    snapshot: trained.snapshot,
    backend: choice.backend,
    data: { features: dataFeatures, values: observations.map((o) => (primaryObjective ? o.objectives[primaryObjective.name] : undefined)) },
    candidateFeatures,
    dim: F,
  };
}

function rowDist(x: Float32Array, i: number, j: number, F: number): number {
  let s = 0;
  for (let k = 0; k < F; k++) {
    const d = (x[i * F + k] as number) - (x[j * F + k] as number);
    s += d * d;
  }
  return Math.sqrt(s / F);
}

/** The library's rows no observed recipe has spent (the agents' rule, agents/recipe-library.ts). */
function unobservedRows(library: readonly Recipe[], observations: readonly Observation[], space: SearchSpace): Recipe[] {
  const lib = new RecipeLibrary(space, library);
  return lib.available(observations.map((o) => space.encode(o.recipe))).map((i) => library[i] as Recipe);
}
