/**
 * Fuzzing every input surface a user or a device writes (issue 15): `--cases` inputs per surface, drawn with `--seed`
 * from tests/helpers/input-fuzz.ts (campaign files, stations files, MQTT command payloads to the liquid-handler twin,
 * console socket events), each classified accepted / rejected (typed) / untyped / out-of-envelope, plus hangs (no
 * outcome within the case timeout) and crashes (an exception escaping the case). The OPC UA surface has its own
 * script (bench/fuzz-opcua.ts).
 *
 *   node --import tsx bench/fuzz-inputs.ts [--cases 10000] [--seed 20261207] [--surface mqtt-payloads]
 *
 * Prints one table row per surface and writes bench/results/fuzz-inputs.json (fuzz-inputs-<surface>.json with
 * --surface): counts, top refusals, first failures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INPUT_SURFACES, type FuzzSurface } from '../tests/helpers/input-fuzz.ts';
import { anyFailure, runFuzzCases, type Verdict } from './fuzz-cases.ts';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const CASES = Number(arg('--cases')) || 10_000;
const SEED = Number(arg('--seed')) || 20261207;
const ONLY = arg('--surface');

interface SurfaceResult {
  surface: string;
  description: string;
  counts: Record<Verdict, number>;
  wall_s: number;
  refusals: Record<string, number>;
  examples: { verdict: Verdict; detail: string; input: string }[];
}

/** An input for the report; Buffers (already turned into `{ type: 'Buffer', data }` by their toJSON) as text. */
const show = (input: unknown): string =>
  JSON.stringify(input, (_k, v: unknown) => {
    const b = v as { type?: unknown; data?: unknown } | null;
    return b !== null && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data) ? Buffer.from(b.data as number[]).toString('utf8').slice(0, 200) : v;
  }).slice(0, 400);

async function fuzzSurface<I>(surface: FuzzSurface<I>): Promise<SurfaceResult> {
  const r = await runFuzzCases(surface, { cases: CASES, seed: SEED, progressEvery: 2000, progressLabel: `fuzz ${surface.name}`, show });
  return { surface: surface.name, description: surface.description, counts: r.counts, wall_s: Math.round(r.wall_s), refusals: Object.fromEntries(r.refusals.slice(0, 15)), examples: r.examples };
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const results: SurfaceResult[] = [];
  for (const surface of INPUT_SURFACES) if (!ONLY || surface.name === ONLY) results.push(await fuzzSurface(surface as FuzzSurface<unknown>));
  const header = '| surface | cases | accepted | rejected (typed) | untyped | out-of-envelope | hangs | crashes | wall |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const rows = results.map((r) => `| ${r.surface} | ${CASES} | ${r.counts.accepted} | ${r.counts.rejected} | ${r.counts.untyped} | ${r.counts['out-of-envelope']} | ${r.counts.hang} | ${r.counts.crash} | ${r.wall_s} s |`);
  process.stdout.write(`\n${header}\n${rows.join('\n')}\n\nseed ${SEED}\n`);
  const out = path.join(import.meta.dirname, 'results', ONLY ? `fuzz-inputs-${ONLY}.json` : 'fuzz-inputs.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ benchmark: 'fuzz-inputs', date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: { before: loadBefore, after: os.loadavg() }, cases: CASES, seed: SEED, results }, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
  if (results.some((r) => anyFailure(r.counts))) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`fuzz-inputs failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
