import fs from 'node:fs';
import path from 'node:path';
import type { Observation } from '../../src/domain/index.ts';
import { Rng } from '../../src/domain/random.ts';
import { createBoAgent } from '../../agents/bo-agent.ts';
import { fromRows } from '../../models/linalg/index.ts';
import { GaussianProcess } from '../../models/surrogates/gp.ts';
import { analyticSpec, noiseSd } from './analytic-campaign.ts';
import { analyticFunction } from './analytic-functions.ts';
import { runEnvironment, type RunEnvironment } from './environment.ts';
import { median, quantile } from './metrics.ts';
import type { Progress } from './progress.ts';

/**
 * B1: proposal latency of the BO agent with its defaults, d = 6 (Hartmann-6 with 5 % noise), q proposals per call,
 * after n observations. Per repetition a fresh agent ingests n seeded random observations and is timed on
 * `suggest(q)` twice: cold (first model: hyper-parameters fitted from prior samples) and warm (after q more
 * observations, warm-started fit, as in a running campaign). The GP fit alone (cold, agent defaults) is timed
 * separately, so acquisition optimisation ≈ suggest − fit. Everything runs in this thread, one proposal at a time.
 */
export interface LatencyConfig {
  sizes: number[];
  reps: number;
  q: number;
}

export interface LatencyRow {
  n: number;
  reps: number;
  coldMs: { median: number; p90: number };
  warmMs: { median: number; p90: number };
  fitMs: { median: number; p90: number };
  /** CPU time (user + system of this process, process.cpuUsage) of the same calls: the figure to read on a shared machine. */
  cpuColdMs: { median: number; p90: number };
  cpuWarmMs: { median: number; p90: number };
}

export interface LatencyResult {
  benchmark: 'proposal-latency';
  environment: RunEnvironment;
  config: LatencyConfig & { d: number; fn: string };
  rows: LatencyRow[];
  targets: { n200ColdMs: number; n1000ColdMs: number; met200: boolean | null; met1000: boolean | null };
  wallSeconds: number;
}

const stats = (v: number[]): { median: number; p90: number } => ({ median: Math.round(median(v)), p90: Math.round(quantile(v, 0.9)) });

/** CPU milliseconds (user + system) since `since`. */
const cpuMsSince = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

export async function runLatencyBenchmark(cfg: LatencyConfig, progress: Progress): Promise<LatencyResult> {
  const environment = runEnvironment();
  const t0 = performance.now();
  const fn = analyticFunction('hartmann6');
  const d = fn.bounds.length;
  const sd = noiseSd(fn, 0.05);
  const rows: LatencyRow[] = [];
  let done = 0;
  const total = cfg.sizes.length * cfg.reps;
  for (const n of cfg.sizes) {
    const cold: number[] = [];
    const warm: number[] = [];
    const fit: number[] = [];
    const cpuCold: number[] = [];
    const cpuWarm: number[] = [];
    for (let rep = 0; rep < cfg.reps; rep++) {
      const rng = new Rng(1000 * n + rep);
      const spec = analyticSpec(fn, n + 2 * cfg.q + 5, 5);
      let counter = 0;
      const agent = createBoAgent({ spec, seed: rep, newId: () => `id-${++counter}` });
      await agent.suggest(5, []); // the initial design is issued up front; every timed call below is a model proposal
      const observe = (k: number): Observation[] =>
        Array.from({ length: k }, () => {
          const x = Array.from({ length: d }, () => rng.next());
          const recipe = Object.fromEntries(x.map((v, j) => [`x${j + 1}`, v]));
          return { trialId: `t${++counter}`, recipe, feasible: true, objectives: { f: fn.f(x) + sd * rng.normal() }, qualityFlags: [] };
        });
      const first = observe(n);
      await agent.ingest(first);
      let t = performance.now();
      let c = process.cpuUsage();
      await agent.suggest(cfg.q, []);
      cold.push(performance.now() - t);
      cpuCold.push(cpuMsSince(c));
      await agent.ingest(observe(cfg.q));
      t = performance.now();
      c = process.cpuUsage();
      await agent.suggest(cfg.q, []);
      warm.push(performance.now() - t);
      cpuWarm.push(cpuMsSince(c));
      const X = fromRows(first.map((o) => Array.from({ length: d }, (_, j) => o.recipe[`x${j + 1}`] as number)));
      t = performance.now();
      GaussianProcess.fit(X, first.map((o) => -(o.objectives.f as number)), { seed: rep });
      fit.push(performance.now() - t);
      done++;
      progress.tick(done, total, `n = ${n} rep ${rep + 1}: cold ${Math.round(cold[cold.length - 1] as number)} ms (CPU ${Math.round(cpuCold[cpuCold.length - 1] as number)}), warm ${Math.round(warm[warm.length - 1] as number)} ms (CPU ${Math.round(cpuWarm[cpuWarm.length - 1] as number)})`);
    }
    rows.push({ n, reps: cfg.reps, coldMs: stats(cold), warmMs: stats(warm), fitMs: stats(fit), cpuColdMs: stats(cpuCold), cpuWarmMs: stats(cpuWarm) });
  }
  const at = (n: number): number => rows.find((r) => r.n === n)?.coldMs.median ?? NaN;
  return {
    benchmark: 'proposal-latency',
    environment,
    config: { ...cfg, d, fn: fn.name },
    rows,
    targets: {
      n200ColdMs: at(200),
      n1000ColdMs: at(1000),
      met200: Number.isFinite(at(200)) ? at(200) < 500 : null,
      met1000: Number.isFinite(at(1000)) ? at(1000) < 5000 : null,
    },
    wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

export function latencyMarkdown(r: LatencyResult): string {
  const lines = [
    `### Proposal latency (B1): BO agent defaults, d = ${r.config.d} (${r.config.fn}, 5 % noise), q = ${r.config.q}, ${r.config.reps} repetitions per n, one thread`,
    '',
    `Machine: ${r.environment.cpus} cores (${r.environment.cpuModel}), load average at start ${r.environment.loadAverage.join(' / ')}. ` +
      'cold = first proposal of a fresh agent (hyper-parameters fitted from prior samples); warm = next proposal (warm-started fit); fit = GP fit alone (cold).',
    '',
    '| n | suggest cold median (p90) ms | suggest warm median (p90) ms | CPU cold median (p90) ms | CPU warm median (p90) ms | GP fit alone median ms | acquisition ≈ cold − fit ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of r.rows)
    lines.push(`| ${row.n} | ${row.coldMs.median} (${row.coldMs.p90}) | ${row.warmMs.median} (${row.warmMs.p90}) | ${row.cpuColdMs.median} (${row.cpuColdMs.p90}) | ${row.cpuWarmMs.median} (${row.cpuWarmMs.p90}) | ${row.fitMs.median} | ${Math.max(0, row.coldMs.median - row.fitMs.median)} |`);
  lines.push('');
  lines.push(`Targets: n = 200 under 500 ms: ${r.targets.met200 === null ? 'not measured' : r.targets.met200 ? 'met' : 'missed'} (${r.targets.n200ColdMs} ms); ` +
    `n = 1000 under 5000 ms: ${r.targets.met1000 === null ? 'not measured' : r.targets.met1000 ? 'met' : 'missed'} (${r.targets.n1000ColdMs} ms).`);
  return lines.join('\n');
}

export function writeLatencyReport(r: LatencyResult, jsonPath: string): string[] {
  fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
  const base = jsonPath.replace(/\.json$/, '');
  fs.writeFileSync(jsonPath, `${JSON.stringify(r, null, 1)}\n`);
  fs.writeFileSync(`${base}.md`, `${latencyMarkdown(r)}\n`);
  return [jsonPath, `${base}.md`];
}
