/**
 * Per-seed table of `bench:lab` result files (ADR 0053): regret after the budget, the first trial within 15 mV, failed
 * trials, and how the run explored the optimum's basin — the first spent trial whose mixture lies within composition
 * distance 0.2 of the landscape optimum's mixture, and how many did. Usage:
 *   node --import tsx bench/lab-basin.ts <result.json> [more.json …]   (markdown on stdout)
 */
import fs from 'node:fs';
import { landscapeTruth } from './lab/truth.ts';
import { spentTrials } from './lab/metrics.ts';
import type { LabRunResult } from './lab/run-task.ts';

/** A run as bench:lab stores it (every field this script reads is there). */
type Run = LabRunResult;

const METALS = ['Ni', 'Fe', 'Co', 'Ce', 'Mn'];
const BASIN = 0.2;

const runs: Run[] = process.argv.slice(2).flatMap((f) => (JSON.parse(fs.readFileSync(f, 'utf8')) as { runs: Run[] }).runs);
const arms = [...new Set(runs.map((r) => r.arm))];
const keys = [...new Set(runs.map((r) => `${r.landscapeSeed}/${r.seed}`))].sort((a, b) => {
  const [la, sa] = a.split('/').map(Number) as [number, number];
  const [lb, sb] = b.split('/').map(Number) as [number, number];
  return la - lb || sa - sb;
});
const cell = (r: Run | undefined): string => {
  if (!r) return '—';
  const centre = landscapeTruth(r.landscapeSeed).optimumRecipe;
  const spent = spentTrials(r.trials);
  const d = spent.map((t) => Math.sqrt(METALS.reduce((s, m) => s + (((t.recipe[m] as number | undefined) ?? 0) - ((centre[m] as number | undefined) ?? 0)) ** 2, 0)));
  const first = d.findIndex((x) => x < BASIN);
  const regret = r.bestTrue === null ? '—' : ((r.bestTrue - r.optimum) * 1000).toFixed(1);
  const hit = r.trialsTo15 === null ? '' : ` hit @${r.trialsTo15}`;
  return `${regret}${hit} (${r.failed}; basin ${first < 0 ? '—' : `@${first + 1}×${d.filter((x) => x < BASIN).length}`})`;
};
const lines = [`| landscape/seed | ${arms.join(' | ')} |`, `| --- | ${arms.map(() => '---').join(' | ')} |`];
for (const k of keys) lines.push(`| ${k} | ${arms.map((a) => cell(runs.find((r) => r.arm === a && `${r.landscapeSeed}/${r.seed}` === k))).join(' | ')} |`);
const hits = arms.map((a) => {
  const rs = runs.filter((r) => r.arm === a);
  return `${rs.filter((r) => r.trialsTo15 !== null).length}/${rs.length}`;
});
lines.push(`| within 15 mV | ${hits.join(' | ')} |`);
process.stdout.write(`${lines.join('\n')}\n\nCell: regret (best true η10 − optimum, mV)[ hit @first trial within 15 mV] (failed trials; basin @first trial within composition distance ${BASIN} of the optimum's mixture × trials there).\n`);
