import { campaignSpecSchema, type CampaignSpec, type Observation, type Parameter, type Recipe } from '../../src/domain/index.ts';
import { applyArm } from '../lab/arms.ts';
import type { Pool } from './pool.ts';

/**
 * A pool as a campaign, so that the project's own agents (BO, generative, hybrid) can run on it: one parameter per
 * input (a continuous one spanning the pool's range, a categorical one over its levels, one simplex group per declared
 * mixture, minimum fraction 0), one objective in the pool's units and direction, and a neutral safety envelope (a
 * water stock only, no concentration limits: a pool has no liquid handling, and the planner's candidates pass the
 * same safety gate as in a lab). Column names that are not identifiers (e.g.
 * `QAgNO3(%)`) get a sanitised parameter name; `toRecipe` and `rawInputs` translate between the two.
 */
export interface PoolCampaign {
  spec: CampaignSpec;
  /** The pool point's inputs as a recipe of the spec. */
  toRecipe(index: number): Recipe;
  /** A recipe back to raw pool inputs (in the pool's input order), for encoding as pool features. */
  rawInputs(recipe: Recipe): (number | string)[];
  observation(index: number): Observation;
}

const OBJECTIVE = 'y';

function identifier(column: string, taken: Set<string>): string {
  let base = column.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '');
  if (!/^[A-Za-z_]/.test(base)) base = `x_${base}`;
  let name = base;
  for (let k = 2; taken.has(name) || name === OBJECTIVE; k++) name = `${base}_${k}`;
  taken.add(name);
  return name;
}

export function poolCampaign(pool: Pool, opts: { strategy: Record<string, unknown>; trials: number; initialTrials: number }): PoolCampaign {
  if (pool.objectives.length !== 1) throw new Error(`pool ${pool.name}: the agent arms support one objective (this pool has ${pool.objectives.length})`);
  const taken = new Set<string>();
  const nameOf = new Map(pool.inputNames.map((c) => [c, identifier(c, taken)]));
  const parameters: Parameter[] = [];
  const done = new Set<string>();
  pool.inputNames.forEach((col, a) => {
    if (done.has(col)) return;
    const group = pool.simplexFeatures.find((g) => g.some((j) => pool.featureNames[j] === col));
    if (group) {
      const cols = group.map((j) => pool.featureNames[j] as string);
      cols.forEach((c) => done.add(c));
      parameters.push({ type: 'simplex', name: identifier(`mix_${parameters.length}`, taken), components: cols.map((c) => nameOf.get(c) as string), minFraction: 0 });
      return;
    }
    done.add(col);
    const values = pool.inputs.map((p) => p[a]);
    if (values.some((v) => typeof v === 'string')) {
      parameters.push({ type: 'categorical', name: nameOf.get(col) as string, choices: [...new Set(values.map(String))].sort() });
      return;
    }
    const nums = values as number[];
    const low = Math.min(...nums);
    const high = Math.max(...nums);
    parameters.push({ type: 'continuous', name: nameOf.get(col) as string, low, high: high > low ? high : low + 1, unit: '', log: false });
  });
  const direction = pool.objectives[0]?.direction ?? 'maximize';
  const base = campaignSpecSchema.parse({
    id: pool.name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+/, '') || 'pool',
    title: `pool ${pool.name}`,
    objectives: [{ name: OBJECTIVE, direction, unit: '', feature: OBJECTIVE }],
    parameters,
    budget: { trials: opts.trials },
    // The safety gate makes every sample up with water; nothing else is dispensed.
    stocks: [{ name: 'water', species: 'water', concentration: 1, volume: 1e12 }],
    safety: { maxTotalVolume: 1e9, potentialWindow_V_RHE: [-10, 10], maxTemperature: 1e9 },
    strategy: { initialTrials: opts.initialTrials },
  });
  const spec = applyArm(base, { name: 'pool-agent', strategy: opts.strategy });
  const toRecipe = (index: number): Recipe => {
    const raw = pool.inputs[index] as (number | string)[];
    const recipe: Recipe = {};
    pool.inputNames.forEach((col, a) => {
      const v = raw[a] as number | string;
      recipe[nameOf.get(col) as string] = v;
    });
    // Simplex fractions as the pool encodes them (renormalised to sum 1).
    for (const g of pool.simplexFeatures)
      for (const j of g) recipe[nameOf.get(pool.featureNames[j] as string) as string] = pool.X.data[index * pool.X.d + j] as number;
    return recipe;
  };
  return {
    spec,
    toRecipe,
    rawInputs: (recipe) =>
      pool.inputNames.map((col) => {
        const v = recipe[nameOf.get(col) as string];
        if (v === undefined) throw new Error(`recipe lacks "${nameOf.get(col)}" (pool input ${col})`);
        return v;
      }),
    observation: (index) => ({
      trialId: `row${index}`,
      recipe: toRecipe(index),
      feasible: true,
      objectives: { [OBJECTIVE]: pool.value[index] as number },
      qualityFlags: [],
    }),
  };
}
