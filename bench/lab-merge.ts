/**
 * Merges `bench:lab` result files run over disjoint seed ranges (e.g. `--seeds 1-5` and `--seeds 6-10`, so that a
 * long confirmation on a shared machine leaves results as it goes) into one result: the runs of every file, the
 * per-arm summaries and the paired comparisons recomputed over all seeds (baseline: the first arm of the first file),
 * written like `bench:lab` writes its own (`<out>/<name>.json`, `.md`, `-regret.svg`).
 *   node --import tsx bench/lab-merge.ts a.json b.json --out bench/results --name merged
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeLabReport } from './lab/lab-bench.ts';
import type { LabBenchResult } from './lab/report.ts';
import { compareArms, summariseArm, type PairedComparison } from './lab/summary.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, name: { type: 'string' } } });
if (positionals.length === 0 || !values.out || !values.name) throw new Error('usage: lab-merge.ts <result.json> … --out <dir> --name <name>');

const parts = positionals.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as LabBenchResult);
const first = parts[0] as LabBenchResult;
for (const p of parts) {
  if (p.config.trials !== first.config.trials || p.config.campaign !== first.config.campaign || p.config.stations !== first.config.stations) {
    throw new Error('the files differ in campaign, trials or stations');
  }
}
const runs = parts.flatMap((p) => p.runs);
const keys = runs.map((r) => `${r.arm}/${r.landscapeSeed}/${r.seed}`);
if (new Set(keys).size !== keys.length) throw new Error('a run (arm, landscape, seed) appears in more than one file');

const arms = [...new Map(parts.flatMap((p) => p.config.arms).map((a) => [a.name, a])).values()];
const landscapes = [...new Map(parts.flatMap((p) => p.landscapes).map((l) => [l.seed, l])).values()];
const checkpoints = first.config.checkpoints;
const summaries = arms.flatMap((a) => landscapes.map((l) => summariseArm(a.name, l.seed, runs.filter((r) => r.arm === a.name && r.landscapeSeed === l.seed), checkpoints)));
const baseline = arms[0]?.name;
const comparisons: PairedComparison[] = [];
for (const a of arms) {
  if (a.name === baseline || baseline === undefined) continue;
  for (const l of landscapes) {
    const of = (name: string) => runs.filter((r) => r.arm === name && r.landscapeSeed === l.seed);
    comparisons.push({ arm: a.name, baseline, landscapeSeed: l.seed, ...compareArms(of(a.name), of(baseline), checkpoints) });
  }
}
const merged: LabBenchResult = {
  ...first,
  config: {
    ...first.config,
    arms,
    seeds: [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b),
    landscapeSeeds: landscapes.map((l) => l.seed),
    command: parts.map((p) => p.config.command).join(' ; '),
  },
  environment: { ...first.environment, mergedFrom: positionals.map((f) => path.basename(f)) },
  landscapes,
  summaries,
  comparisons,
  errors: parts.flatMap((p) => p.errors),
  wallSeconds: parts.reduce((s, p) => s + p.wallSeconds, 0),
  runs,
};
const files = writeLabReport(merged, values.out, values.name);
process.stdout.write(`wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
