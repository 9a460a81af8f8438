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
