import type { CampaignRunSummary } from '../app/campaign-run.ts';
import type { CampaignSpec } from '../domain/index.ts';

/** The lines a finished (or stopped) run prints on stdout. */
export function runReport(summary: CampaignRunSummary, spec: CampaignSpec): string {
  const objective = spec.objectives[0];
  const p = summary.result.progress;
  const lines = [
    `campaign ${summary.campaignId}: ${summary.result.state}${summary.result.reason ? ` (${summary.result.reason})` : ''}`,
    `trials: ${p.completed} completed, ${p.failed} failed, ${p.blocked} blocked by the safety gate (budget ${p.budget})`,
    summary.best && objective ? `best ${objective.name}: ${summary.best.value.toFixed(4)} ${objective.unit} — ${formatRecipe(summary.best.recipe)}` : 'best: no completed trial',
    `lab time ${summary.virtualHours.toFixed(1)} h simulated in ${summary.wallSeconds.toFixed(1)} s`,
    `wrote ${summary.files.join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function formatRecipe(recipe: Record<string, number | string>): string {
  return Object.entries(recipe)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(3)) : v}`)
    .join(' ');
}
