/**
 * Pairs two arms of pool benchmark results on the seeds both ran (the pools report pairs every arm against the first
 * agent arm only): Δ Top% at the end and Δ best row's pool rank, arm − reference, with the report's paired bootstrap.
 *   node --import tsx bench/pools-pair.ts results.json --reference bo-cvae --arm bo-cvae-adaptive
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pairedComparison, type ArmSummary } from './harness/aggregate.ts';

const { values: args, positionals } = parseArgs({ options: { reference: { type: 'string' }, arm: { type: 'string' } }, allowPositionals: true });
if (positionals.length === 0 || !args.reference || !args.arm) throw new Error('usage: bench/pools-pair.ts <results.json> … --reference arm --arm arm');
const out: string[] = ['| pool | arm vs reference | pairs | Δ Top% at end (median, 95 % CI) | better / worse / same | Δ best rank (median, 95 % CI) | better / worse / same |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |'];
for (const file of positionals) {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { problems: { pool: { name: string }; arms: ArmSummary[] }[] };
  for (const p of doc.problems) {
    const find = (name: string): ArmSummary => {
      const a = p.arms.find((x) => x.name === name);
      if (!a) throw new Error(`${file}: no arm ${name} on ${p.pool.name}`);
      return a;
    };
    const c = pairedComparison(find(args.reference), find(args.arm));
    if (!c) continue;
    const d = (x: { median: number; ci: [number, number]; better: number; worse: number; ties: number }): string => `${x.median} (${x.ci[0]} to ${x.ci[1]}) | ${x.better} / ${x.worse} / ${x.ties}`;
    out.push(`| ${p.pool.name} | ${c.arm} vs ${c.reference} | ${c.pairs} | ${d(c.topAtEnd)} | ${d(c.bestRank)} |`);
  }
}
process.stdout.write(`${out.join('\n')}\n`);
