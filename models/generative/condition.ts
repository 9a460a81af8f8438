import type { CampaignSpec, Observation } from '../../src/domain/index.ts';

/**
 * The condition a generator is trained and sampled on (ADR 0081): one column per objective, the observed value scaled
 * to [0, 1] with 1 the best observed and 0 the worst (direction applied), then a `feasible` column (1 for a trial that
 * ran and met every objective threshold, 0 otherwise; an infeasible row's objective columns are 0). Sampling may ask
 * beyond the observed range (a column above 1 means "better than the best so far").
 */
export interface ConditionScale {
  objectives: { name: string; direction: 'minimize' | 'maximize'; best: number; worst: number }[];
}

export const conditionDim = (spec: Pick<CampaignSpec, 'objectives'>): number => spec.objectives.length + 1;

/** Scale from the feasible observations' objective values (a flat range gets a unit width). */
export function fitConditionScale(spec: Pick<CampaignSpec, 'objectives'>, observations: readonly Observation[]): ConditionScale {
  return {
    objectives: spec.objectives.map((o) => {
      const values = observations.filter((x) => x.feasible).map((x) => x.objectives[o.name]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      let best = o.direction === 'minimize' ? Math.min(...values) : Math.max(...values);
      let worst = o.direction === 'minimize' ? Math.max(...values) : Math.min(...values);
      if (values.length === 0) {
        best = 1;
        worst = 0;
      }
      if (best === worst) worst = o.direction === 'minimize' ? best + 1 : best - 1;
      return { name: o.name, direction: o.direction, best, worst };
    }),
  };
}

/** An objective value → its condition coordinate (1 = best observed, 0 = worst). */
export function toCondition(scale: ConditionScale, objective: number, value: number): number {
  const o = scale.objectives[objective];
  if (!o) throw new Error(`no objective ${objective}`);
  return (value - o.worst) / (o.best - o.worst);
}

/** A condition coordinate → the objective value it stands for. */
export function fromCondition(scale: ConditionScale, objective: number, c: number): number {
  const o = scale.objectives[objective];
  if (!o) throw new Error(`no objective ${objective}`);
  return o.worst + c * (o.best - o.worst);
}

/** Whether an observation ran and met every objective threshold. */
export function meetsThresholds(spec: Pick<CampaignSpec, 'objectives'>, obs: Observation): boolean {
  if (!obs.feasible) return false;
  return spec.objectives.every((o) => {
    const v = obs.objectives[o.name];
    if (typeof v !== 'number') return false;
    if (o.threshold === undefined) return true;
    return o.direction === 'minimize' ? v <= o.threshold : v >= o.threshold;
  });
}

/** n×C condition rows (float32) of the observations. */
export function conditionRows(spec: Pick<CampaignSpec, 'objectives'>, scale: ConditionScale, observations: readonly Observation[]): Float32Array {
  const C = conditionDim(spec);
  const out = new Float32Array(observations.length * C);
  observations.forEach((obs, i) => {
    const ok = meetsThresholds(spec, obs);
    spec.objectives.forEach((o, j) => {
      const v = obs.objectives[o.name];
      out[i * C + j] = obs.feasible && typeof v === 'number' ? toCondition(scale, j, v) : 0;
    });
    out[i * C + C - 1] = ok ? 1 : 0;
  });
  return out;
}
