import fs from 'node:fs';
import path from 'node:path';
import { renderSvgPlot, type Series } from '../../src/app/report/svg-plot.ts';
import type { AnalyticTask, AnalyticTrace } from './analytic-campaign.ts';
import { analyticFunction, ANALYTIC_FUNCTIONS } from './analytic-functions.ts';
import { runEnvironment, type RunEnvironment } from './environment.ts';
import { axScore, bootstrapCi, median } from './metrics.ts';
import type { Progress } from './progress.ts';
import { PALETTE } from './report.ts';
import { runTasks } from './worker-pool.ts';

/**
 * T1: analytic functions through the real agents. Score (Ax style) of a campaign after i evaluations:
 * 100·(best true value so far − baseline)/(optimum − baseline), where the baseline is the mean over seeds of the best
 * true value of the shared initial Sobol design (the first `init` points, identical for every arm at a seed).
 */
export interface AnalyticConfig {
  functions?: string[];
  q: number[];
  noise: number[];
  seeds: number;
  seedBase: number;
  budget: number;
  init: number;
  arms?: string[];
}

export interface AnalyticArmSummary {
  fn: string;
  noise: number;
  q: number;
  arm: string;
  campaigns: number;
  /** Score at the budget: median and mean over campaigns. */
  scoreMedian: number;
  scoreMean: number;
  /** Median best true value at the budget. */
  bestMedian: number;
  /** Median score after i = 1 … budget evaluations. */
  scoreCurve: number[];
  medianSuggestMs: number;
  /** Paired with the Sobol arm at the same q and noise: median per-seed score difference (95 % CI), share of seeds better. */
  vsSobol?: { medianDiff: number; ci: [number, number]; better: number };
}

export interface AnalyticResult {
  benchmark: 'analytic';
  environment: RunEnvironment;
  config: AnalyticConfig & { workers: number };
  seeds: number[];
  functions: { name: string; d: number; optimum: number; baseline: number }[];
  arms: AnalyticArmSummary[];
  wallSeconds: number;
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

export async function runAnalyticBenchmark(cfg: AnalyticConfig, opts: { workers: number; progress: Progress }): Promise<AnalyticResult> {
  const environment = runEnvironment();
  const t0 = performance.now();
  const fns = (cfg.functions ?? Object.keys(ANALYTIC_FUNCTIONS)).map(analyticFunction);
  const arms = (cfg.arms ?? ['bo', 'sobol']).map((a) => {
    if (a !== 'bo' && a !== 'sobol' && a !== 'random') throw new Error(`analytic arms are bo, sobol and random, not "${a}"`);
    return a;
  });
  const seeds = Array.from({ length: cfg.seeds }, (_, s) => cfg.seedBase + s);
  const tasks: AnalyticTask[] = [];
  for (const seed of seeds)
    for (const fn of fns)
      for (const noise of cfg.noise)
        for (const q of cfg.q) for (const arm of arms) tasks.push({ kind: 'analytic', fn: fn.name, arm, seed, q, budget: cfg.budget, init: cfg.init, noise });
  opts.progress.log(`${fns.map((f) => f.name).join(', ')}; arms ${arms.join(', ')}; q ∈ {${cfg.q.join(', ')}}; noise ∈ {${cfg.noise.join(', ')}}; ${seeds.length} seeds; budget ${cfg.budget}`);
  const results = await runTasks(tasks, {
    workers: opts.workers,
    onResult: (r, done, total) => {
      if (r.kind === 'analytic') opts.progress.tick(done, total, `${r.trace.fn} ${r.trace.arm} q=${r.trace.q} noise ${r.trace.noise} seed ${r.trace.seed} (${(r.trace.wallMs / 1000).toFixed(1)} s)`);
    },
  });
  const traces = results.flatMap((r) => (r.kind === 'analytic' ? [r.trace] : []));
  const functions = fns.map((fn) => {
    const designs = traces.filter((t) => t.fn === fn.name);
    const bySeed = new Map<number, number>();
    for (const t of designs) bySeed.set(t.seed, t.bestTrue[Math.min(cfg.init, t.bestTrue.length) - 1] as number);
    const baseline = [...bySeed.values()].reduce((a, b) => a + b, 0) / Math.max(1, bySeed.size);
    return { name: fn.name, d: fn.bounds.length, optimum: fn.optimum, baseline };
  });
  const summaries: AnalyticArmSummary[] = [];
  for (const f of functions)
    for (const noise of cfg.noise)
      for (const q of cfg.q)
        for (const arm of arms) {
          const mine = traces.filter((t) => t.fn === f.name && t.noise === noise && t.q === q && t.arm === arm);
          summaries.push(summarise(mine, f, cfg.budget, q, noise, arm));
        }
  for (const s of summaries) {
    if (s.arm === 'sobol') continue;
    const sob = traces.filter((t) => t.fn === s.fn && t.noise === s.noise && t.q === s.q && t.arm === 'sobol');
    const mine = traces.filter((t) => t.fn === s.fn && t.noise === s.noise && t.q === s.q && t.arm === s.arm);
    const f = functions.find((x) => x.name === s.fn);
    if (!f || sob.length === 0) continue;
    const score = (t: AnalyticTrace): number => axScore(t.bestTrue[t.bestTrue.length - 1] as number, f.baseline, f.optimum);
    const sobBySeed = new Map(sob.map((t) => [t.seed, score(t)]));
    const diffs = mine.flatMap((t) => (sobBySeed.has(t.seed) ? [score(t) - (sobBySeed.get(t.seed) as number)] : []));
    if (diffs.length === 0) continue;
    s.vsSobol = { medianDiff: r2(median(diffs)), ci: bootstrapCi(diffs, median, { seed: 17 }).map(r2) as [number, number], better: r2(diffs.filter((d) => d > 0).length / diffs.length) };
  }
  return { benchmark: 'analytic', environment, config: { ...cfg, workers: opts.workers }, seeds, functions, arms: summaries, wallSeconds: Math.round((performance.now() - t0) / 100) / 10 };
}

function summarise(traces: AnalyticTrace[], f: { name: string; optimum: number; baseline: number }, budget: number, q: number, noise: number, arm: string): AnalyticArmSummary {
  const scoreAt = (t: AnalyticTrace, i: number): number => axScore(t.bestTrue[Math.min(i, t.bestTrue.length - 1)] as number, f.baseline, f.optimum);
  const finals = traces.map((t) => scoreAt(t, budget - 1));
  const curve = Array.from({ length: budget }, (_, i) => r2(median(traces.map((t) => scoreAt(t, i)))));
  return {
    fn: f.name,
    noise,
    q,
    arm,
    campaigns: traces.length,
    scoreMedian: r2(median(finals)),
    scoreMean: r2(finals.reduce((a, b) => a + b, 0) / Math.max(1, finals.length)),
    bestMedian: median(traces.map((t) => t.bestTrue[t.bestTrue.length - 1] as number)),
    scoreCurve: curve,
    medianSuggestMs: Math.round(median(traces.flatMap((t) => t.suggestMs)) || 0),
  };
}

export function analyticMarkdown(r: AnalyticResult): string {
  const lines = [
    `### Analytic functions: ${r.seeds.length} seeds, budget ${r.config.budget} evaluations (${r.config.init} Sobol initial points shared by the arms)`,
    '',
    'Score = 100·(best − baseline)/(optimum − baseline) on the noiseless function, baseline = mean best of the initial design; median (mean) over campaigns at the budget. ' +
      'Noise: Gaussian, sd = level·(median f over the domain − optimum). "vs Sobol": paired median score difference (95 % CI) and the share of seeds where the arm beats Sobol.',
    '',
    '| function | d | noise | q | arm | score median (mean) | vs Sobol | better than Sobol | median best | ms/suggest |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const a of r.arms) {
    const f = r.functions.find((x) => x.name === a.fn);
    const vs = a.vsSobol ? `${a.vsSobol.medianDiff >= 0 ? '+' : ''}${a.vsSobol.medianDiff} (${a.vsSobol.ci.join('…')})` : '—';
    lines.push(
      `| ${a.fn} | ${f?.d ?? ''} | ${a.noise} | ${a.q} | ${a.arm} | ${a.scoreMedian.toFixed(1)} (${a.scoreMean.toFixed(1)}) | ${vs} | ${a.vsSobol ? `${Math.round(a.vsSobol.better * 100)} %` : '—'} | ${a.bestMedian.toPrecision(4)} | ${a.medianSuggestMs} |`,
    );
  }
  return lines.join('\n');
}

export function writeAnalyticReport(r: AnalyticResult, jsonPath: string): string[] {
  fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
  const base = jsonPath.replace(/\.json$/, '');
  const files = [jsonPath, `${base}.md`];
  fs.writeFileSync(jsonPath, `${JSON.stringify(r, null, 1)}\n`);
  fs.writeFileSync(`${base}.md`, `${analyticMarkdown(r)}\n`);
  for (const f of r.functions) {
    const series: Series[] = r.arms
      .filter((a) => a.fn === f.name)
      .map((a, k) => ({
        label: `${a.arm} q=${a.q} noise ${a.noise}`,
        color: PALETTE[k % PALETTE.length] as string,
        style: 'line' as const,
        points: a.scoreCurve.map((y, i) => ({ x: i + 1, y })),
      }));
    fs.writeFileSync(`${base}-${f.name}.svg`, renderSvgPlot(series, { title: `${f.name}: Ax-style score (median over campaigns)`, xLabel: 'evaluations', yLabel: 'score (100 = optimum)' }));
    files.push(`${base}-${f.name}.svg`);
  }
  return files;
}
