/**
 * Merges pool benchmark results run over disjoint seed ranges (e.g. `--seeds 10` and `--seeds 10 --seed-base 10`, so
 * that two runs fit a shared machine side by side) and reports every arm against the first, paired on seeds, from
 * the per-campaign results in the files (Top% at the end, best rank found, experiments to Top% 0.5, CPU time).
 *   node --import tsx bench/pools-merge.ts a.json b.json [--out merged.md]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { censoredMedian, median } from './harness/metrics.ts';
import { pairedComparison, type ArmSummary } from './harness/aggregate.ts';
import type { PoolBenchResult } from './harness/pool-bench.ts';
import { campaignTable, pairedTable } from './harness/report.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
if (positionals.length === 0) throw new Error('give the result files to merge');

const results: PoolBenchResult[] = positionals.flatMap((file) => {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as PoolBenchResult | { problems: PoolBenchResult[] };
  return 'problems' in raw ? raw.problems : [raw];
});

const lines: string[] = [];
for (const name of [...new Set(results.map((r) => r.pool.name))]) {
  const runs = results.filter((r) => r.pool.name === name);
  const first = runs[0] as PoolBenchResult;
  const armOrder = [...new Set(runs.flatMap((r) => r.arms.map((a) => `${a.name}\u0000${a.q}`)))];
  const merged: ArmSummary[] = armOrder.map((key) => {
    const parts = runs.flatMap((r) => r.arms.filter((a) => `${a.name}\u0000${a.q}` === key));
    const base = parts[0] as ArmSummary;
    const perCampaign = parts.flatMap((a) => a.perCampaign);
    const seeds = perCampaign.map((c) => c.seed);
    if (new Set(seeds).size !== seeds.length) throw new Error(`${name} ${base.name}: a seed appears in more than one file`);
    const walls = parts.map((a) => a.timing.medianCampaignS);
    // The wall median of the merged set is not recoverable from per-file medians: the median of the files' medians.
    return { ...base, campaigns: perCampaign.length, perCampaign, timing: { ...base.timing, medianCampaignS: median(walls) } };
  });
  const ref = merged[0] as ArmSummary;
  const paired = merged.slice(1).flatMap((a) => {
    const c = a.q === ref.q ? pairedComparison(ref, a) : null;
    return c ? [c] : [];
  });
  const seeds = [...new Set(merged.flatMap((a) => a.perCampaign.map((c) => c.seed)))].sort((a, b) => a - b);
  const p = first.config.protocol;
  lines.push(`### ${name}: N = ${first.pool.N}, top set K = ${first.pool.K}, d = ${first.pool.d}; seeds ${seeds[0]}–${seeds[seeds.length - 1]} (${seeds.length}) from ${runs.length} file(s)`);
  lines.push('', `${p.init} random initial points (the same for every arm at a seed), q = ${ref.q}, budget ${p.budget ?? first.pool.N}, stop at Top% ${p.stopAtTop}. ${first.agentMode ?? first.mode}.`, '');
  lines.push(...campaignTable(merged));
  lines.push('', '| arm | exp→Top% 0.5 (median over campaigns; not reached: censored) | not reached 0.5 |', '| --- | ---: | ---: |');
  for (const a of merged) {
    const e = a.perCampaign.map((c) => c.expTo50);
    lines.push(`| ${a.name} | ${censoredMedian(e) ?? `> ${p.budget ?? first.pool.N}`} | ${e.filter((v) => v === null).length} |`);
  }
  lines.push('', ...pairedTable(paired));
  const cpu = runs.reduce((s, r) => s + (r.cpuSeconds ?? 0), 0);
  lines.push('', `Runs: ${runs.map((r) => `${r.wallSeconds} s wall / ${r.cpuSeconds} s CPU, load ${r.environment.loadAverage[0]}→${r.loadAverageAtEnd?.[0]}`).join('; ')} (CPU of this pool's runs: ${cpu.toFixed(0)} s, process time, all threads).`, '');
}
const md = lines.join('\n');
if (values.out) fs.writeFileSync(values.out, `${md}\n`);
process.stdout.write(`${md}\n`);
