/**
 * The planner's counters (ADRs 0072, 0077) in one shape shared by the planners that count them (campaign.json's
 * `planner`) and the console page that folds them from the plannerCall documents. No imports: the web bundle takes
 * this file as it is.
 */
export type JobName = 'draft' | 'advise' | 'triage' | 'report';
export type PlannerSource = 'llm' | 'rules' | 'replay';
/** Why a model call's answer was replaced by the rule planner's. */
export type FallbackReason = 'provider' | 'timeout' | 'budget' | 'invalid';
/** Validation layers, in the order they run: JSON parse, zod schema, cross-field rules, the safety gate. */
export type ValidationLayer = 'json' | 'schema' | 'rules' | 'safety';

export interface PlannerStats {
  calls: number;
  tokens: number;
  latency_ms: { total: number; max: number };
  rejections: Record<ValidationLayer, number>;
  repairs: number;
  fallbacks: Record<FallbackReason, number>;
  jobs: Record<JobName, number>;
  /** Jobs answered by each source. */
  answeredBy: Record<PlannerSource, number>;
}

/** Every counter at zero, every key present. */
export function emptyPlannerStats(): PlannerStats {
  return {
    calls: 0,
    tokens: 0,
    latency_ms: { total: 0, max: 0 },
    rejections: { json: 0, schema: 0, rules: 0, safety: 0 },
    repairs: 0,
    fallbacks: { provider: 0, timeout: 0, budget: 0, invalid: 0 },
    jobs: { draft: 0, advise: 0, triage: 0, report: 0 },
    answeredBy: { llm: 0, rules: 0, replay: 0 },
  };
}

/** What the counters read of one job's record (a plannerCall document's payload). */
export interface CountedCall {
  job: JobName;
  source: PlannerSource;
  fallback?: FallbackReason | undefined;
  turns: readonly { reply?: string | undefined; tokens: number; latency_ms: number; rejected?: { layer: ValidationLayer; layers?: readonly ValidationLayer[] | undefined } | undefined }[];
}

/**
 * Adds one recorded job to `stats` (and returns it): a call per turn that got a reply, its tokens and latency, a
 * rejection per rejected turn under its layer — or, for a turn whose answer lost several items, one per item under
 * each item's layer (`layers`, as the planner counted them) — the turns after the first as repairs. A resumed campaign folds
 * its stored records into its planner's counters this way (its budget counts what the earlier runs spent); the console
 * folds the documents it receives.
 */
export function countPlannerCall(stats: PlannerStats, call: CountedCall): PlannerStats {
  stats.jobs[call.job]++;
  stats.answeredBy[call.source]++;
  if (call.fallback) stats.fallbacks[call.fallback]++;
  stats.repairs += Math.max(0, call.turns.length - 1);
  for (const t of call.turns) {
    if (t.reply !== undefined) stats.calls++;
    stats.tokens += t.tokens;
    stats.latency_ms.total += t.latency_ms;
    stats.latency_ms.max = Math.max(stats.latency_ms.max, t.latency_ms);
    if (t.rejected) for (const layer of t.rejected.layers ?? [t.rejected.layer]) stats.rejections[layer]++;
  }
  return stats;
}
