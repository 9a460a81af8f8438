/**
 * Fuzzing the station twin's OPC UA methods (issue 15): `--cases` calls drawn with `--seed` from the surface in
 * tests/helpers/opcua-fuzz.ts (StartProgram, lock methods, Stop/Abort/Clear with arbitrary arguments and programs at
 * the envelope's edges), each classified accepted / rejected (typed status) / untyped / out-of-envelope, plus hangs
 * (no outcome within the case timeout) and crashes (an exception escaping the case).
 *
 *   node --import tsx bench/fuzz-opcua.ts [--cases 10000] [--seed 20261206]
 *
 * Prints a table and writes bench/results/fuzz-opcua.json (counts, refusal reasons, the first failing inputs).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { opcuaCallsSurface, type OpcuaCall } from '../tests/helpers/opcua-fuzz.ts';
import { anyFailure, runFuzzCases, type Verdict } from './fuzz-cases.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) || fallback : fallback;
};
const CASES = arg('--cases', 10_000);
const SEED = arg('--seed', 20261206);

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const { counts, refusals, examples, wall_s } = await runFuzzCases<OpcuaCall>(opcuaCallsSurface, {
    cases: CASES,
    seed: SEED,
    progressEvery: 1000,
    progressLabel: 'fuzz-opcua',
    show: (call) => JSON.stringify(call).slice(0, 400),
  });
  const rows = (Object.entries(counts) as [Verdict, number][]).map(([k, n]) => `| ${k} | ${n} |`);
  const top = refusals.slice(0, 8).map(([r, n]) => `${r} ${n}`).join(', ');
  process.stdout.write(`\n| verdict | cases |\n| --- | ---: |\n${rows.join('\n')}\n\n${CASES} cases, seed ${SEED}, ${wall_s.toFixed(0)} s; refusals: ${top}\n`);
  const out = path.join(import.meta.dirname, 'results', 'fuzz-opcua.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    `${JSON.stringify({ benchmark: 'fuzz-opcua', date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: { before: loadBefore, after: os.loadavg() }, cases: CASES, seed: SEED, wall_s: Math.round(wall_s), counts, refusals: Object.fromEntries(refusals), examples }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
  if (anyFailure(counts)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`fuzz-opcua failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
