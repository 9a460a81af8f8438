import type { CampaignSpec } from '../../domain/index.ts';
import type { ObjectiveWindow } from '../../../models/generative/trained-model.ts';

export class TargetSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetSyntaxError';
  }
}

const NUM = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const NAME = String.raw`[A-Za-z_][A-Za-z0-9_]*`;
const upper = new RegExp(String.raw`^(${NAME})\s*(<=?|>=?)\s*(${NUM})$`);
const window = new RegExp(String.raw`^(${NUM})\s*(<=?)\s*(${NAME})\s*(<=?)\s*(${NUM})$`);

/**
 * Parses design targets: `eta10 < 0.30`, `eta10 >= 0.5`, `0.28 < eta10 < 0.30`; several separated by commas or given
 * as several strings (one window per objective; a second target on the same objective narrows it).
 */
export function parseTargets(spec: Pick<CampaignSpec, 'objectives'>, texts: readonly string[]): ObjectiveWindow[] {
  const byObjective = new Map<string, ObjectiveWindow>();
  const parts = texts.flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t.length > 0);
  if (parts.length === 0) throw new TargetSyntaxError('give at least one target, e.g. "eta10 < 0.30"');
  for (const part of parts) {
    let name: string;
    let low: number | undefined;
    let high: number | undefined;
    const u = upper.exec(part);
    const w = window.exec(part);
    if (u) {
      name = u[1] as string;
      const v = Number(u[3]);
      if ((u[2] as string).startsWith('<')) high = v;
      else low = v;
    } else if (w) {
      name = w[3] as string;
      low = Number(w[1]);
      high = Number(w[5]);
      if (!(low < high)) throw new TargetSyntaxError(`"${part}": the lower bound must be below the upper one`);
    } else throw new TargetSyntaxError(`cannot read target "${part}" (write e.g. "eta10 < 0.30" or "0.28 < eta10 < 0.30")`);
    if (!spec.objectives.some((o) => o.name === name))
      throw new TargetSyntaxError(`"${part}": unknown objective "${name}" (the campaign has ${spec.objectives.map((o) => o.name).join(', ')})`);
    const prev = byObjective.get(name) ?? { objective: name };
    const next: ObjectiveWindow = { objective: name };
    const lo = low !== undefined && prev.low !== undefined ? Math.max(low, prev.low) : (low ?? prev.low);
    const hi = high !== undefined && prev.high !== undefined ? Math.min(high, prev.high) : (high ?? prev.high);
    if (lo !== undefined) next.low = lo;
    if (hi !== undefined) next.high = hi;
    if (lo !== undefined && hi !== undefined && !(lo < hi)) throw new TargetSyntaxError(`targets on ${name} leave an empty window`);
    byObjective.set(name, next);
  }
  return [...byObjective.values()];
}

/** Whether a value lies in the window (bounds inclusive). */
export function inWindow(w: ObjectiveWindow, v: number): boolean {
  return (w.low === undefined || v >= w.low) && (w.high === undefined || v <= w.high);
}

export function formatWindow(w: ObjectiveWindow): string {
  if (w.low !== undefined && w.high !== undefined) return `${w.low} < ${w.objective} < ${w.high}`;
  if (w.high !== undefined) return `${w.objective} < ${w.high}`;
  return `${w.objective} > ${w.low}`;
}
