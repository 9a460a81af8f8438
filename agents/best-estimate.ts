import type { Recipe } from '../src/domain/index.ts';
import type { DocumentPayload, RecipeEstimate } from '../src/protocol/index.ts';

/** The campaign's best by estimated value (ADR 0060): the payload of a `bestEstimate` document. */
export type BestEstimate = DocumentPayload<'bestEstimate'>;

/** One completed reading of the objective. */
export interface Reading {
  trialId: string;
  recipe: Recipe;
  value: number;
}

/** The agent's latent posterior per objective at each recipe; undefined when the agent has no model. */
export interface RecipeEstimator {
  estimate(recipes: readonly Recipe[]): Promise<Record<string, { mean: number; sd: number }>[] | undefined>;
}

/** Readings of one recipe. */
export interface RecipeReadings {
  recipe: Recipe;
  trialIds: string[];
  values: number[];
}

/** A recipe's identity: its coordinates, numbers to 12 significant digits, in key order. */
export function recipeKey(recipe: Recipe): string {
  return JSON.stringify(
    Object.keys(recipe)
      .sort()
      .map((k) => {
        const v = recipe[k] as number | string;
        return [k, typeof v === 'number' ? Number(v.toPrecision(12)) : v];
      }),
  );
}

/** Groups readings by recipe, in the order each recipe was first read. */
export function groupReadings(readings: readonly Reading[]): RecipeReadings[] {
  const groups = new Map<string, RecipeReadings>();
  for (const r of readings) {
    if (!Number.isFinite(r.value)) continue;
    const key = recipeKey(r.recipe);
    const g = groups.get(key);
    if (g) {
      g.trialIds.push(r.trialId);
      g.values.push(r.value);
    } else groups.set(key, { recipe: r.recipe, trialIds: [r.trialId], values: [r.value] });
  }
  return [...groups.values()];
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * SD of one reading pooled over every recipe read more than once: √(Σ within-recipe squared deviations / Σ(n − 1)).
 * Measurement noise of one instrument class is taken as the same for every recipe. Undefined without replicates.
 */
export function pooledSd(groups: readonly RecipeReadings[]): { sd: number; df: number } | undefined {
  let ss = 0;
  let df = 0;
  for (const g of groups) {
    if (g.values.length < 2) continue;
    const m = mean(g.values);
    ss += g.values.reduce((s, v) => s + (v - m) ** 2, 0);
    df += g.values.length - 1;
  }
  return df > 0 ? { sd: Math.sqrt(ss / df), df } : undefined;
}

const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** The 0.975 quantile of Student's t with `df` degrees of freedom (table to 30, then z + (z³ + z)/4df). */
export function t975(df: number): number {
  if (!(df >= 1)) return Infinity;
  const k = Math.floor(df);
  if (k <= T975.length) return T975[k - 1] as number;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * k);
}

export interface EstimateOptions {
  objective: string;
  direction: 'minimize' | 'maximize';
  /** Ranked recipes to keep in the payload (default 5). */
  keep?: number;
}

/**
 * Ranks measured recipes: by the model's posterior mean when `predictions` are given (one per group, undefined where
 * the model had nothing), else by the mean of the readings made pessimistic by one standard error (pooled SD / √n),
 * so a single lucky reading does not outrank a replicated recipe. Ties go to the recipe with more readings.
 */
export function rankRecipes(groups: readonly RecipeReadings[], predictions: readonly ({ mean: number; sd: number } | undefined)[] | undefined, opts: EstimateOptions): { ranked: RecipeEstimate[]; basis: 'model' | 'replicates'; pooled?: { sd: number; df: number } } {
  const sign = opts.direction === 'minimize' ? 1 : -1;
  const pooled = pooledSd(groups);
  const basis = predictions && predictions.some((p) => p !== undefined) ? 'model' : 'replicates';
  const rows = groups.map((g, i) => {
    const n = g.values.length;
    const m = mean(g.values);
    const e: RecipeEstimate = { recipe: g.recipe, trialIds: [...g.trialIds], n, mean: m };
    if (pooled) {
      const half = (t975(pooled.df) * pooled.sd) / Math.sqrt(n);
      e.sd = pooled.sd;
      e.ci95 = [m - half, m + half];
    }
    const p = predictions?.[i];
    if (p && Number.isFinite(p.mean) && Number.isFinite(p.sd)) e.model = { mean: p.mean, sd: p.sd };
    const score =
      basis === 'model' ? (e.model ? sign * e.model.mean : Infinity) : sign * m + (pooled ? pooled.sd / Math.sqrt(n) : 0);
    return { e, score };
  });
  rows.sort((a, b) => a.score - b.score || b.e.n - a.e.n);
  return { ranked: rows.map((r) => r.e), basis, ...(pooled ? { pooled } : {}) };
}

/** The best single reading. */
export function bestReading(readings: readonly Reading[], direction: 'minimize' | 'maximize'): Reading | undefined {
  const sign = direction === 'minimize' ? 1 : -1;
  let best: Reading | undefined;
  for (const r of readings) if (Number.isFinite(r.value) && (!best || sign * r.value < sign * best.value)) best = r;
  return best;
}

/**
 * The campaign's best by estimated value: readings grouped by recipe, ranked by the estimator's model (or the readings
 * alone), with the best single reading beside it. An estimator that fails counts as no model.
 */
export async function estimateBest(readings: readonly Reading[], estimator: RecipeEstimator | undefined, opts: EstimateOptions & { stage: BestEstimate['stage'] }): Promise<BestEstimate> {
  const groups = groupReadings(readings);
  let predictions: ({ mean: number; sd: number } | undefined)[] | undefined;
  if (estimator && groups.length > 0) {
    try {
      predictions = (await estimator.estimate(groups.map((g) => g.recipe)))?.map((p) => p[opts.objective]);
    } catch {
      predictions = undefined;
    }
  }
  const { ranked, basis, pooled } = rankRecipes(groups, predictions, opts);
  const observed = bestReading(readings, opts.direction);
  const best = ranked[0];
  return {
    objective: opts.objective,
    direction: opts.direction,
    stage: opts.stage,
    basis,
    ...(best ? { best } : {}),
    ...(observed ? { observed: { trialId: observed.trialId, value: observed.value, recipe: observed.recipe } } : {}),
    ranked: ranked.slice(0, opts.keep ?? 5),
    ...(pooled ? { pooledSd: pooled } : {}),
  };
}
