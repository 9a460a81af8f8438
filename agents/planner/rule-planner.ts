import { adviseJob } from './advise-job.ts';
import { draftJob } from './draft-job.ts';
import type { PlannerJob } from './job.ts';
import { emptyPlannerStats, type Planner, type PlannerDeps, type PlannerResult, type PlannerStats } from './planner.ts';
import { reportJob } from './report-job.ts';
import { triageJob } from './triage-job.ts';

/** Runs a job's deterministic rules through the same checks as a model's answer. */
export function answerByRules<Req, Out, Res>(job: PlannerJob<Req, Out, Res>, req: Req, deps: PlannerDeps): Res {
  const out = job.schema.parse(job.rules(req, deps));
  const check = job.check(out, req, deps);
  if (check.ok) return check.value;
  if (check.final !== undefined) return check.final;
  if (job.refuse) return job.refuse({ layer: check.layer, issues: check.issues }, req);
  throw new Error(`the rule planner's ${job.name} answer failed its own ${check.layer} check: ${check.issues.join('; ')}`);
}

/**
 * The deterministic planner: patterns read a goal, advice moves around the best recipe, triage follows the failure
 * catalogue, the report is a template. Used when no model endpoint is configured, and as every fallback.
 */
export class RulePlanner implements Planner {
  readonly kind = 'rules' as const;
  private readonly counters: PlannerStats;

  /** `spent`: what the campaign's earlier runs did (a resumed campaign's stored records, folded); counting goes on from it. */
  constructor(
    private readonly deps: PlannerDeps,
    spent?: PlannerStats,
  ) {
    this.counters = spent ? structuredClone(spent) : emptyPlannerStats();
  }

  draft = (req: Parameters<Planner['draft']>[0]): ReturnType<Planner['draft']> => this.run(draftJob, req);
  advise = (req: Parameters<Planner['advise']>[0]): ReturnType<Planner['advise']> => this.run(adviseJob, req);
  triage = (req: Parameters<Planner['triage']>[0]): ReturnType<Planner['triage']> => this.run(triageJob, req);
  report = (req: Parameters<Planner['report']>[0]): ReturnType<Planner['report']> => this.run(reportJob, req);

  stats(): PlannerStats {
    return structuredClone(this.counters);
  }

  private async run<Req, Out, Res>(job: PlannerJob<Req, Out, Res>, req: Req): Promise<PlannerResult<Res>> {
    const value = answerByRules(job, req, this.deps);
    this.counters.jobs[job.name]++;
    this.counters.answeredBy.rules++;
    const transcriptId = this.deps.record?.({ callId: `${job.name}-${this.counters.jobs[job.name]}`, job: job.name, source: 'rules', promptHash: '', turns: [], result: value });
    return { value, source: 'rules', ...(transcriptId ? { transcriptId } : {}) };
  }
}
