import type { z } from 'zod';
import type { JobName, PlannerDeps, ValidationLayer } from './planner.ts';

export interface Rejection {
  layer: ValidationLayer;
  issues: string[];
}

/**
 * The verdict of our own validation on a job's output. `ok: false` with `final` is an answer that needs no repair
 * (a draft refused for safety: the model transcribed an unsafe goal faithfully).
 */
export type Check<R> = { ok: true; value: R; dropped: Rejection[] } | { ok: false; layer: ValidationLayer; issues: string[]; final?: R };

/**
 * One planner job: the zod schema of the model's output, the instructions, the context it reads, the checks our code
 * runs after the schema (cross-field rules, the safety gate), and the rule planner's deterministic answer.
 */
export interface PlannerJob<Req, Out, Res> {
  name: JobName;
  schema: z.ZodType<Out>;
  instructions: string;
  context(req: Req): unknown;
  check(out: Out, req: Req, deps: PlannerDeps): Check<Res>;
  rules(req: Req, deps: PlannerDeps): Out;
  /** What the rule planner answers when even its own output does not pass (only draft: a refusal naming the rule). */
  refuse?(rejection: Rejection, req: Req): Res;
}

export const ok = <R>(value: R, dropped: Rejection[] = []): Check<R> => ({ ok: true, value, dropped });
export const fail = <R>(layer: ValidationLayer, issues: string[], final?: R): Check<R> =>
  final === undefined ? { ok: false, layer, issues } : { ok: false, layer, issues, final };
