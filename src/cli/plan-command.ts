import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { DraftOutcome } from '../../agents/planner/planner.ts';
import { createLogger } from '../app/logger.ts';
import { createPlanner } from '../app/planner.ts';
import { loadCampaignFile, loadConfig, parseCampaign } from '../config/index.ts';
import type { CampaignSpec } from '../domain/index.ts';

interface PlanFlags {
  campaign: string;
  stations?: string;
  out: string;
}

/** A goal the planner refused (unsafe or impossible), naming the rule; exit code 2. */
export class PlanRefusedError extends Error {
  constructor(
    readonly rule: string,
    reason: string,
  ) {
    super(`refused (rule ${rule}): ${reason}`);
    this.name = 'PlanRefusedError';
  }
}

/** Top-level campaign fields, and nested ones the planner may set, as `labloop plan` reports them. */
const REPORTED = ['id', 'title', 'goal', 'objectives', 'parameters', 'constraints', 'budget.trials', 'stations.pairs', 'stocks', 'protocol', 'safety', 'strategy.agent', 'strategy.initialTrials', 'strategy.approval'];

function show(spec: CampaignSpec, field: string): string {
  const path = field.split('.');
  let v: unknown = spec;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  if (field === 'constraints') return spec.constraints.map((c) => c.description ?? JSON.stringify(c.coefficients)).join('; ') || 'none';
  if (field.startsWith('parameters')) {
    const name = path[1];
    const p = spec.parameters.find((q) => q.name === name);
    if (p?.type === 'simplex') return p.components.join(', ');
    if (p && (p.type === 'continuous' || p.type === 'integer')) return `[${p.low}, ${p.high}] ${p.unit}`;
  }
  if (field === 'objectives') return spec.objectives.map((o) => `${o.direction} ${o.name}`).join(', ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The lines `labloop plan` prints: who chose what. */
export function describeDraft(draft: Extract<DraftOutcome, { kind: 'campaign' }>, source: string, fallback: string | undefined): string {
  const lines = [`planner: ${source}${fallback ? ` (the model's answer was not used: ${fallback})` : ''}`, 'chosen by the planner:'];
  for (const f of draft.chosen) lines.push(`  ${f} = ${show(draft.spec, f)}`);
  if (draft.chosen.length === 0) lines.push('  (nothing: the goal asked for nothing the base campaign does not already do)');
  const chosenTop = new Set(draft.chosen.map((c) => (c.startsWith('parameters') ? 'parameters' : c)));
  lines.push(`from the base campaign and defaults: ${REPORTED.filter((f) => !chosenTop.has(f)).join(', ')}`);
  if (draft.rationale) lines.push(`rationale: ${draft.rationale}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `labloop plan "<goal>"`: the planner's draft job turns a goal into a campaign file that passes the same loader as a
 * hand-written one. It never starts a run; an unsafe or impossible goal is refused with the rule it breaks.
 */
export async function runPlanCommand(goal: string, raw: Record<string, unknown>): Promise<void> {
  const flags = raw as unknown as PlanFlags;
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  let base = await loadCampaignFile(flags.campaign);
  if (flags.stations) {
    const { loadStationsFile } = await import('../app/external-stations.ts');
    base = { ...base, stations: { pairs: (await loadStationsFile(flags.stations)).pairs.length } };
  }
  const planner = createPlanner({ config, logger });
  const result = await planner.draft({ goal, base });
  const draft = result.value;
  if (draft.kind === 'refused') throw new PlanRefusedError(draft.rule, draft.reason);
  const text = `# Drafted by labloop plan (${result.source} planner) from the goal:\n#   ${goal.replace(/\s+/g, ' ')}\n# Review it before running: labloop dry-run ${flags.out}\n${stringify(draft.spec)}`;
  // The file must load exactly as a hand-written one would.
  parseCampaign(text, flags.out);
  await writeFile(flags.out, text);
  process.stdout.write(`wrote ${flags.out}\n${describeDraft(draft, result.source, result.fallback)}`);
}
