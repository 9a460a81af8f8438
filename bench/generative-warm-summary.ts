/**
 * Summary of bench:generative warm results over disjoint seed ranges (issue 13): per arm, runs within 30 / 15 mV of
 * the optimum, the median trials to get there (a run that never did counts as budget + 1, so a median above the
 * budget is censored), the median best true η10 at the checkpoints; paired on seeds against the baseline arm: the median
 * difference in trials with a 95 % bootstrap interval (seeds resampled), better / worse / same, and the ratio of the
 * medians (baseline ÷ arm, "≥" when the baseline's median is censored) with its bootstrap interval, and the median difference
 * in best true η10 at the last checkpoint (mV).
 *   node --import tsx bench/generative-warm-summary.ts bench/results/generative-warm-long96-s1-5.json … [--baseline 'bo (cold)'] [--json summary.json]
 * Runs must share one budget (`spent` of a completed run); seeds that appear in several files keep the first.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { bootstrapCi, median } from './harness/metrics.ts';

const runSchema = z.object({
  arm: z.string(),
  seed: z.number().int(),
  spent: z.number().int().positive(),
  trialsTo30: z.number().int().nullable(),
  trialsTo15: z.number().int().nullable(),
  bestTrueAt: z.record(z.string(), z.number().nullable()),
});
type Run = z.infer<typeof runSchema>;
const fileSchema = z.object({ warm: z.array(runSchema) }).passthrough();

const { values: args, positionals } = parseArgs({ options: { baseline: { type: 'string', default: 'bo (cold)' }, json: { type: 'string' } }, allowPositionals: true });
if (positionals.length === 0) throw new Error('usage: bench/generative-warm-summary.ts <generative-warm-*.json> … [--baseline arm]');
const runs: Run[] = [];
for (const file of positionals)
  for (const r of fileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).warm) if (!runs.some((x) => x.arm === r.arm && x.seed === r.seed)) runs.push(r);
const budget = Math.max(...runs.map((r) => r.spent));
const checkpoints = [...new Set(runs.flatMap((r) => Object.keys(r.bestTrueAt)))].map(Number).sort((a, b) => a - b);
const arms = [...new Set(runs.map((r) => r.arm))];
const baseline = args.baseline ?? 'bo (cold)';
if (!arms.includes(baseline)) throw new Error(`--baseline ${baseline}: arms are ${arms.join(', ')}`);
arms.sort((a, b) => (a === baseline ? -1 : b === baseline ? 1 : 0));

/** Trials to a level, a run that never got there as budget + 1. */
const trials = (v: number | null): number => v ?? budget + 1;
const fmtMedian = (m: number): string => (m > budget ? `> ${budget}` : String(m));
const signed = (v: number): string => `${v > 0 ? '+' : ''}${v}`;
const out: string[] = [];
out.push(
  `Warm start: ${runs.length} runs, budget ${budget} trials; trials to a level count a run that never got there as ${budget + 1} (censored). Paired against ${baseline} on the seeds both ran; intervals: 95 % bootstrap over seeds (4,000 resamples).`,
  '',
  `| arm | runs | within 30 mV | median trials to 30 mV | within 15 mV | median trials to 15 mV | median best true after ${checkpoints.join(' / ')}, V |`,
  '| --- | --- | --- | --- | --- | --- | --- |',
);
for (const arm of arms) {
  const rs = runs.filter((r) => r.arm === arm);
  const best = checkpoints.map((c) => {
    const v = rs.map((r) => r.bestTrueAt[String(c)]).filter((x): x is number => typeof x === 'number');
    return v.length > 0 ? median(v).toFixed(4) : '–';
  });
  out.push(
    `| ${arm} | ${rs.length} | ${rs.filter((r) => r.trialsTo30 !== null).length}/${rs.length} | ${fmtMedian(median(rs.map((r) => trials(r.trialsTo30))))} | ${rs.filter((r) => r.trialsTo15 !== null).length}/${rs.length} | ${fmtMedian(median(rs.map((r) => trials(r.trialsTo15))))} | ${best.join(' / ')} |`,
  );
}
out.push('', `| arm | level | pairs | paired Δ trials vs ${baseline} (median, 95 % CI) | better / worse / same | ratio of medians ${baseline} ÷ arm (95 % CI) |`, '| --- | --- | --- | --- | --- | --- |');
const json: Record<string, unknown>[] = [];
for (const arm of arms.filter((a) => a !== baseline))
  for (const level of ['trialsTo30', 'trialsTo15'] as const) {
    const pairs = runs
      .filter((r) => r.arm === arm)
      .flatMap((r) => {
        const b = runs.find((x) => x.arm === baseline && x.seed === r.seed);
        return b ? [{ a: trials(r[level]), b: trials(b[level]) }] : [];
      });
    if (pairs.length === 0) continue;
    const diffs = pairs.map((p) => p.a - p.b);
    const ci = bootstrapCi(diffs, (s) => median(s), { reps: 4000, seed: 11 });
    const ratio = (s: { a: number; b: number }[]): number => median(s.map((p) => p.b)) / median(s.map((p) => p.a));
    const rci = bootstrapCi(pairs, ratio, { reps: 4000, seed: 12 });
    // A censored baseline median makes the ratio a lower bound, a censored arm median an upper bound.
    const baseCensored = median(pairs.map((p) => p.b)) > budget;
    const armCensored = median(pairs.map((p) => p.a)) > budget;
    const bound = baseCensored && armCensored ? 'both censored: ' : baseCensored ? '≥ ' : armCensored ? '≤ ' : '';
    const better = diffs.filter((d) => d < 0).length;
    const worse = diffs.filter((d) => d > 0).length;
    out.push(
      `| ${arm} | ${level === 'trialsTo30' ? '30 mV' : '15 mV'} | ${pairs.length} | ${signed(median(diffs))} [${signed(ci[0])}, ${signed(ci[1])}] | ${better} / ${worse} / ${pairs.length - better - worse} | ${bound}${ratio(pairs).toFixed(2)}× [${rci[0].toFixed(2)}, ${rci[1].toFixed(2)}] |`,
    );
    json.push({ arm, level, pairs: pairs.length, medianDiff: median(diffs), ci, better, worse, ratio: ratio(pairs), ratioCi: rci, baseCensored, armCensored });
  }
const last = String(checkpoints[checkpoints.length - 1]);
out.push('', `| arm | pairs | paired Δ best true after ${last} trials vs ${baseline}, mV (median, 95 % CI) | better / worse / same |`, '| --- | --- | --- | --- |');
for (const arm of arms.filter((a) => a !== baseline)) {
  const diffs = runs
    .filter((r) => r.arm === arm)
    .flatMap((r) => {
      const b = runs.find((x) => x.arm === baseline && x.seed === r.seed);
      const va = r.bestTrueAt[last];
      const vb = b?.bestTrueAt[last];
      return typeof va === 'number' && typeof vb === 'number' ? [1000 * (va - vb)] : [];
    });
  if (diffs.length === 0) continue;
  const ci = bootstrapCi(diffs, (s) => median(s), { reps: 4000, seed: 13 });
  const better = diffs.filter((d) => d < -1e-9).length;
  const worse = diffs.filter((d) => d > 1e-9).length;
  const f = (v: number): string => `${v > 0 ? '+' : ''}${v.toFixed(1)}`;
  out.push(`| ${arm} | ${diffs.length} | ${f(median(diffs))} [${f(ci[0])}, ${f(ci[1])}] | ${better} / ${worse} / ${diffs.length - better - worse} |`);
  json.push({ arm, level: `bestTrueAt${last}_mV`, pairs: diffs.length, medianDiff: median(diffs), ci, better, worse });
}
out.push('', 'A censored median (> budget) makes the ratio a bound: "≥" when the baseline\'s median is censored, "≤" when the arm\'s is.');
if (args.json) writeFileSync(args.json, `${JSON.stringify({ budget, baseline, runs: runs.length, paired: json }, null, 2)}\n`);
process.stdout.write(`${out.join('\n')}\n`);
