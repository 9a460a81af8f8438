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
import fc from 'fast-check';
import { opcuaCallsSurface, type CaseOutcome, type OpcuaCall } from '../tests/helpers/opcua-fuzz.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) || fallback : fallback;
};
const CASES = arg('--cases', 10_000);
const SEED = arg('--seed', 20261206);

type Verdict = CaseOutcome['kind'] | 'hang' | 'crash';

async function main(): Promise<void> {
  const counts: Record<Verdict, number> = { accepted: 0, rejected: 0, untyped: 0, 'out-of-envelope': 0, hang: 0, crash: 0 };
  const reasons = new Map<string, number>();
  const examples: { verdict: Verdict; detail: string; input: string }[] = [];
  const loadBefore = os.loadavg();
  const t0 = performance.now();
  const target = await opcuaCallsSurface.open();
  const escaped: unknown[] = [];
  const onEscape = (e: unknown): void => void escaped.push(e);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  try {
    const inputs: OpcuaCall[] = fc.sample(opcuaCallsSurface.arbitrary, { seed: SEED, numRuns: CASES });
    for (const [i, call] of inputs.entries()) {
      let verdict: Verdict;
      let detail = '';
      let timer: NodeJS.Timeout | undefined;
      const before = escaped.length;
      try {
        const outcome = await Promise.race([
          target.run(call),
          new Promise<{ kind: 'hang' }>((resolve) => (timer = setTimeout(() => resolve({ kind: 'hang' }), opcuaCallsSurface.caseTimeout_ms))),
        ]);
        verdict = escaped.length > before ? 'crash' : outcome.kind;
        detail = 'reason' in outcome ? outcome.reason : 'detail' in outcome ? outcome.detail : '';
      } catch (e) {
        verdict = 'crash';
        detail = String(e);
      } finally {
        clearTimeout(timer);
      }
      counts[verdict]++;
      if (verdict === 'rejected') reasons.set(detail, (reasons.get(detail) ?? 0) + 1);
      if (verdict !== 'accepted' && verdict !== 'rejected' && examples.length < 10) examples.push({ verdict, detail: detail.slice(0, 300), input: JSON.stringify(call).slice(0, 400) });
      if ((i + 1) % 1000 === 0) process.stderr.write(`fuzz-opcua: ${i + 1}/${CASES}\n`);
    }
  } finally {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    await target.close();
  }
  const wall_s = (performance.now() - t0) / 1000;
  const rows = (Object.entries(counts) as [Verdict, number][]).map(([k, n]) => `| ${k} | ${n} |`);
  const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([r, n]) => `${r} ${n}`).join(', ');
  process.stdout.write(`\n| verdict | cases |\n| --- | ---: |\n${rows.join('\n')}\n\n${CASES} cases, seed ${SEED}, ${wall_s.toFixed(0)} s; refusals: ${top}\n`);
  const out = path.join(import.meta.dirname, 'results', 'fuzz-opcua.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    `${JSON.stringify({ benchmark: 'fuzz-opcua', date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: { before: loadBefore, after: os.loadavg() }, cases: CASES, seed: SEED, wall_s: Math.round(wall_s), counts, refusals: Object.fromEntries(reasons), examples }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
  if (counts.untyped + counts['out-of-envelope'] + counts.hang + counts.crash > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`fuzz-opcua failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
