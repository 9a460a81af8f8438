import type { ReportFacts } from '../../agents/planner/planner.ts';
import type { CampaignSpec } from '../domain/index.ts';
import type { CampaignExport } from '../store/export.ts';

/** The facts the report job phrases, computed from the stored campaign only (trial rows, statuses, best values). */
export function reportFacts(exported: CampaignExport, spec: CampaignSpec): ReportFacts {
  const objective = spec.objectives[0];
  if (!objective) throw new Error(`campaign ${spec.id} has no objective`);
  const count = (s: string): number => exported.trials.filter((t) => t.status === s).length;
  const failuresByCode: Record<string, number> = {};
  const proposers: Record<string, number> = {};
  for (const t of exported.trials) {
    proposers[t.proposer] = (proposers[t.proposer] ?? 0) + 1;
    if (t.failureCode && t.status !== 'completed') failuresByCode[t.failureCode] = (failuresByCode[t.failureCode] ?? 0) + 1;
  }
  const best = exported.best[objective.name];
  return {
    campaignId: exported.campaign.id,
    title: spec.title,
    objective: { name: objective.name, unit: objective.unit, direction: objective.direction },
    trials: { total: exported.trials.length, completed: count('completed'), failed: count('failed'), blocked: count('blocked'), abandoned: count('abandoned') },
    ...(best ? { best: { value: best.value, trialIndex: best.index, recipe: best.recipe } } : {}),
    failuresByCode,
    proposers,
  };
}
