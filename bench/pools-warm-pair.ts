/**
 * Pairs two arms of `bench/pools-warm.ts` results on the seeds both ran (its report pairs every arm against `bo` only):
 * evaluations to the first top-1 % and top-5 % row (budget + 1 when none), arm − reference, with the report's paired
 * bootstrap of the median (4,000 resamples, seed 11), better / worse / same, the ratio of medians reference ÷ arm, and
 * each arm's campaigns that never reached the level. Several files (e.g. two seed ranges of one pair of plates) pool
 * their seeds.
 *   node --import tsx bench/pools-warm-pair.ts results.json [more.json …] --reference prior-warm-explore --arm prior-warm-mean
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bootstrapCi, median } from './harness/metrics.ts';

interface Row {
  arm: string;
  seed: number;
  firstTop1: number;
  firstTop: number;
  topAtEnd: number;
}
const { values: args, positionals } = parseArgs({ options: { reference: { type: 'string' }, arm: { type: 'string' } }, allowPositionals: true });
if (positionals.length === 0 || !args.reference || !args.arm) throw new Error('usage: bench/pools-warm-pair.ts <results.json> … --reference arm --arm arm');
const docs = positionals.map((f) => JSON.parse(readFileSync(f, 'utf8')) as { target: string; prior: string; budget: number; results: Row[] });
const budget = docs[0]?.budget ?? 100;
const rows = docs.flatMap((d) => d.results);
const of = (arm: string): Map<number, Row> => new Map(rows.filter((r) => r.arm === arm).map((r) => [r.seed, r]));
const ref = of(args.reference);
const arm = of(args.arm);
const seeds = [...arm.keys()].filter((s) => ref.has(s)).sort((a, b) => a - b);
if (seeds.length === 0) throw new Error(`no seed ran both ${args.reference} and ${args.arm} in ${positionals.join(', ')}`);
const out = [
  `${[...new Set(docs.map((d) => `${d.target} ← ${d.prior}`))].join(', ')}: ${args.arm} vs ${args.reference}, ${seeds.length} paired seeds (${seeds[0]}–${seeds[seeds.length - 1]})`,
  '',
  '| level | reference median (none) | arm median (none) | Δ arm − reference (median, 95 % CI) | better / worse / same | ratio of medians reference ÷ arm | Δ Top% at the budget (median, 95 % CI) |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
const fmt = (v: number): string => (v > budget ? `> ${budget}` : String(v));
const r2 = (v: number): number => Number(v.toFixed(2));
for (const level of ['firstTop1', 'firstTop'] as const) {
  const a = seeds.map((s) => (arm.get(s) as Row)[level]);
  const b = seeds.map((s) => (ref.get(s) as Row)[level]);
  const d = a.map((v, i) => v - (b[i] as number));
  const ci = bootstrapCi(d, (x) => median(x), { reps: 4000, seed: 11 });
  const dt = seeds.map((s) => (arm.get(s) as Row).topAtEnd - (ref.get(s) as Row).topAtEnd);
  const ct = bootstrapCi(dt, (x) => median(x), { reps: 4000, seed: 11 });
  out.push(
    `| ${level === 'firstTop1' ? 'top 1 %' : 'top 5 %'} | ${fmt(median(b))} (${b.filter((v) => v > budget).length}) | ${fmt(median(a))} (${a.filter((v) => v > budget).length}) | ${r2(median(d))} [${r2(ci[0])}, ${r2(ci[1])}] | ${d.filter((v) => v < 0).length} / ${d.filter((v) => v > 0).length} / ${d.filter((v) => v === 0).length} | ${(median(b) / median(a)).toFixed(2)}× | ${median(dt).toFixed(2)} [${ct[0].toFixed(2)}, ${ct[1].toFixed(2)}] |`,
  );
}
process.stdout.write(`${out.join('\n')}\n`);
