import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { nonNegativeInt, positiveInt } from './option-parsers.ts';
import type { BenchFlags } from '../../bench/harness/bench-flags.ts';

/**
 * `labloop bench [suite]`: optimisation benchmarks (BENCHMARKS.md §A, issue 4 part 6).
 *   pool      one CSV pool (--pool … flags) or JSON spec (--spec file.json | preset name)   [default with --pool/--spec]
 *   liang     the Liang et al. (2021) protocol on the four liang_* pools
 *   pools     the lab-relevant pools (OER plates, photo, colors) at q = 1 (or --q)
 *   analytic  Branin, Hartmann-3/6, Ackley-4, noiseless and noisy, BO agent vs Sobol (Ax-style score)
 *   latency   proposal latency of the BO agent (fit + acquisition optimisation), d = 6, q = 4
 * The harness lives in bench/harness and is imported lazily, so `labloop --help` stays fast.
 */
const intList = (name: string) => (v: string): number[] => {
  const out = v.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n <= 0)) throw new InvalidArgumentError(`${name} must be positive integers separated by commas`);
  return out;
};
const numberList = (name: string) => (v: string): number[] => {
  const out = v.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isFinite(n) || n < 0)) throw new InvalidArgumentError(`${name} must be non-negative numbers separated by commas`);
  return out;
};
const fraction = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be in (0, 1]`);
  return n;
};
/** Splits at commas outside parentheses, so arm overrides such as `default(acq=ucb,beta=4)` stay whole. */
const list = (v: string): string[] => {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of v) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter(Boolean);
};
const collectGroups = (v: string, prev: string[][] = []): string[][] => [...prev, list(v)];

export type { BenchFlags } from '../../bench/harness/bench-flags.ts';

/** Adds `bench` to the labloop program (inheriting its exit and help settings). */
export function registerBenchCommand(program: Command): Command {
  return program
    .command('bench')
    .description('Optimisation benchmarks: pool campaigns (any CSV, Liang et al. protocol, lab pools), analytic functions, proposal latency.')
    .argument('[suite]', 'pool | liang | pools | analytic | latency (default: pool when --pool or --spec is given)')
    .option('--pool <csv>', 'CSV file of a finite pool (one row per measurement)')
    .option('--spec <json>', 'pool spec: a JSON file or a preset name from bench/specs (e.g. oer-3496)')
    .option('--inputs <a,b,..>', 'input columns', list)
    .option('--objective <col>', 'objective column')
    .option('--minimize', 'lower objective is better')
    .option('--maximize', 'higher objective is better')
    .option('--simplex <a,b,..>', 'input columns that are mixture fractions (repeat for several groups)', collectGroups)
    .option('--categorical <cols>', 'input columns holding labels (one-hot encoded)', list)
    .addOption(new Option('--replicates <mode>', 'rows with the same inputs: mean of distinct values (Liang), mean, or none').choices(['mean-distinct', 'mean', 'none']))
    .option('--top <fraction>', 'top-set fraction (default 0.05)', fraction('--top'))
    .option('--init <n>', 'random initial points per campaign (pool default 5; Liang 2; analytic 5)', positiveInt('--init'))
    .option('--q <n,..>', 'batch sizes, e.g. 1,4,8', intList('--q'))
    .option('--seeds <n>', 'campaigns per arm and batch size (default 50; analytic 30)', positiveInt('--seeds'))
    .option('--seed-base <n>', 'first seed', nonNegativeInt('--seed-base'))
    .option('--budget <n>', 'evaluations per campaign, initial points included', positiveInt('--budget'))
    .option('--stop-at <fraction>', 'stop a campaign once Top% reaches this (default 1; lab pools 0.8)', fraction('--stop-at'))
    .addOption(new Option('--agent-select <mode>', "agent arms: give the agent the pool as its recipe library (default), or snap each continuous proposal to the nearest unevaluated row (before ADR 0122)").choices(['snap', 'library']))
    .option('--arms <a,b,..>', 'arms, e.g. default,random,lcb2-matern,textbook-ei or overrides like "default(kernel=matern52)"', list)
    .option('--liang', 'also aggregate as Liang et al. (median of 10 × five-fold averages) and take EF max from it')
    .option('--problems <a,b,..>', 'subset of a suite: preset names (liang, pools) or functions (analytic)', list)
    .option('--noise <levels>', 'analytic: relative noise levels, e.g. 0,0.05', numberList('--noise'))
    .option('--sizes <n,..>', 'latency: numbers of observations', intList('--sizes'))
    .option('--reps <n>', 'latency: repetitions per size', positiveInt('--reps'))
    .option('--workers <n>', 'worker threads (0 = run in this thread; default min(2, cores))', nonNegativeInt('--workers'))
    .option('--out <dir>', 'folder for the reports (default bench-results in the working directory, never inside the installed package)')
    .option('--json <file>', 'result file (markdown and SVG curves are written next to it; overrides --out)')
    .option('--datasets <dir>', 'folder of the shared datasets (default ../shared/datasets next to the repository)')
    .option('--traces', 'keep every campaign’s evaluation order in the JSON')
    .option('--quiet', 'no progress on stderr')
    .action(async (suite: string | undefined, flags: BenchFlags) => {
      await runBench(suite, flags);
    });
}

export async function runBench(suiteArg: string | undefined, flags: BenchFlags): Promise<void> {
  const { UsageError } = await import('./usage-error.ts');
  const suite = suiteArg ?? (flags.pool || flags.spec ? 'pool' : undefined);
  if (!suite) throw new UsageError('say which benchmark: labloop bench pool|liang|pools|analytic|latency (or give --pool/--spec)');
  const { defaultWorkerCount } = await import('../../bench/harness/worker-pool.ts');
  const { createProgress } = await import('../../bench/harness/progress.ts');
  const workers = flags.workers ?? defaultWorkerCount();
  const progress = createProgress(suite, { quiet: flags.quiet });
  const resultsDir = path.resolve(flags.out ?? 'bench-results');
  const out = (name: string): string => path.resolve(flags.json ?? path.join(resultsDir, `${name}.json`));
  try {
    switch (suite) {
      case 'pool':
      case 'liang':
      case 'pools': {
        const { buildPoolProblems } = await import('../../bench/harness/cli-problems.ts');
        const { runPoolBenchmark } = await import('../../bench/harness/pool-bench.ts');
        const { poolMarkdown, writePoolReport } = await import('../../bench/harness/report.ts');
        const problems = buildPoolProblems(suite, flags);
        const results = [];
        for (const p of problems) {
          const r = await runPoolBenchmark(p, { workers, progress, keepTraces: flags.traces });
          process.stdout.write(`${poolMarkdown(r)}\n\n`);
          results.push(r);
        }
        const name = suite === 'pool' ? (problems[0]?.pool.name ?? 'pool') : suite;
        const files = writePoolReport(results, out(name), suite === 'pool' ? undefined : suite);
        process.stdout.write(`wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
        return;
      }
      case 'analytic': {
        const { runAnalyticBenchmark, analyticMarkdown, writeAnalyticReport } = await import('../../bench/harness/analytic-bench.ts');
        const r = await runAnalyticBenchmark(
          { functions: flags.problems, q: flags.q ?? [1, 4], noise: flags.noise ?? [0, 0.05], seeds: flags.seeds ?? 30, seedBase: flags.seedBase ?? 0, budget: flags.budget ?? 40, init: flags.init ?? 5, arms: flags.arms },
          { workers, progress },
        );
        process.stdout.write(`${analyticMarkdown(r)}\n`);
        const files = writeAnalyticReport(r, out('analytic'));
        process.stdout.write(`wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
        return;
      }
      case 'latency': {
        const { runLatencyBenchmark, latencyMarkdown, writeLatencyReport } = await import('../../bench/harness/latency.ts');
        const r = await runLatencyBenchmark({ sizes: flags.sizes ?? [50, 200, 500, 1000], reps: flags.reps ?? 5, q: flags.q?.[0] ?? 4 }, progress);
        process.stdout.write(`${latencyMarkdown(r)}\n`);
        const files = writeLatencyReport(r, out('proposal-latency'));
        process.stdout.write(`wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
        return;
      }
      default:
        throw new UsageError(`unknown benchmark "${suite}": use pool, liang, pools, analytic or latency`);
    }
  } catch (e) {
    const msg = (e as Error).message;
    if (/^(invalid pool spec|no preset spec|column "|unknown arm|bad arm|arm override|cannot read spec|give )/.test(msg) || (e as Error).name === 'BenchUsageError')
      throw new UsageError(msg);
    throw e;
  }
}
