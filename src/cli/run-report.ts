import type { BestEstimate } from '../../agents/best-estimate.ts';
import type { CampaignRunSummary } from '../app/campaign-run.ts';
import type { CampaignSpec } from '../domain/index.ts';
import { CampaignPausedError } from './usage-error.ts';

/** The lines a finished (or stopped) run prints on stdout. */
export function runReport(summary: CampaignRunSummary, spec: CampaignSpec): string {
  const objective = spec.objectives[0];
  const p = summary.result.progress;
  const lines = [
    `campaign ${summary.campaignId}: ${summary.result.state}${summary.result.reason ? ` (${summary.result.reason})` : ''}`,
    `trials: ${p.completed} completed, ${p.failed} failed, ${p.blocked} blocked by the safety gate (budget ${p.budget})`,
    summary.best && objective ? `best observed ${objective.name}: ${summary.best.value.toFixed(4)} ${objective.unit} (one reading) — ${formatRecipe(summary.best.recipe)}` : 'best: no completed trial',
    ...(summary.bestEstimate?.best && objective ? [confirmedLine(summary.bestEstimate, objective.unit)] : []),
    `lab time ${summary.virtualHours.toFixed(1)} h simulated in ${summary.wallSeconds.toFixed(1)} s`,
    `wrote ${summary.files.join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Prints the run's lines on stdout, then ends the command by the campaign's state: paused → CampaignPausedError (exit
 * 130, resumable), anything but completed → an error naming the reason and where to read more.
 */
export function finishRun(summary: CampaignRunSummary, spec: CampaignSpec, outDir: string): void {
  process.stdout.write(runReport(summary, spec));
  const { state, reason } = summary.result;
  if (state === 'paused') throw new CampaignPausedError(summary.campaignId, reason);
  if (state !== 'completed') throw new Error(`campaign ${state}: ${reason ?? `no reason recorded; see the log lines above and ${outDir}/campaign.json`}`);
}

export function formatRecipe(recipe: Record<string, number | string>): string {
  return Object.entries(recipe)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(3)) : v}`)
    .join(' ');
}

/**
 * The best-confirmed line (ADR 0060): the measured recipe with the best estimated value — mean of its readings ± the
 * 95 % CI half-width, n readings, and the model's estimate (how it was ranked).
 */
export function confirmedLine(e: BestEstimate, unit: string): string {
  const b = e.best;
  if (!b) return `best confirmed ${e.objective}: none`;
  const model = b.model ? `, model ${b.model.mean.toFixed(4)} ± ${b.model.sd.toFixed(4)}` : '';
  const by = e.basis === 'model' ? 'ranked by the model' : 'ranked by the readings';
  // One reading confirms nothing: the line says so and names the option that replicates the leaders.
  if (!b.ci95) return `best estimate ${e.objective}: ${b.mean.toFixed(4)} ${unit}, n = ${b.n} (not confirmed: budget.confirmation replicates the leaders)${model}; ${by} — ${formatRecipe(b.recipe)}`;
  const ci = ` ± ${((b.ci95[1] - b.ci95[0]) / 2).toFixed(4)} (95 % CI)`;
  return `best confirmed ${e.objective}: ${b.mean.toFixed(4)}${ci} ${unit}, n = ${b.n}${model}; ${by} — ${formatRecipe(b.recipe)}`;
}
