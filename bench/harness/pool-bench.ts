import os from 'node:os';
import { agentModeNote, resolveArm } from './arms.ts';
import { pairedComparison, pairedRatio, randomReference, summariseArm, type ArmSummary, type PairedComparison, type RandomReference } from './aggregate.ts';
import { runEnvironment, type RunEnvironment } from './environment.ts';
import type { PoolCampaignTrace } from './pool-campaign.ts';
import type { PoolProblem } from './problem-spec.ts';
import type { Progress } from './progress.ts';
import { cachedPool, type PoolTask } from './tasks.ts';
import { runTasks } from './worker-pool.ts';

/**
 * Runs every arm × batch size × seed campaign of one pool problem (in worker threads), then summarises.
 * Pool mode throughout: the acquisition is maximised over the remaining unevaluated rows; nothing is snapped.
 */
export const POOL_MODE_NOTE = 'pool mode: each proposal maximises the acquisition over the remaining unevaluated pool rows (every row scored; no continuous optimisation, no snapping)';

export interface PoolBenchResult {
  benchmark: 'pool';
  mode: string;
  environment: RunEnvironment;
  config: PoolProblem & { workers: number };
  seeds: number[];
  pool: { name: string; file: string; N: number; rowsRead: number; K: number; d: number; featureNames: string[]; direction: string; objectives: { name: string; direction: string }[]; topThreshold: number };
  random: RandomReference;
  arms: ArmSummary[];
  /** Per arm with q > 1: experiments to Top% 0.8 relative to the same arm at q = 1 (paired by seed). */
  batchCost: { arm: string; q: number; ratio80: ReturnType<typeof pairedRatio>; ratio50: ReturnType<typeof pairedRatio> }[];
  /** Every other arm against the first arm of the list at the same q, paired on seeds (same initial rows). */
  paired: PairedComparison[];
  /** Agent arms present: how their proposals become pool rows. */
  agentMode?: string;
  wallSeconds: number;
  /** CPU seconds of the whole benchmark process (all threads) and the load average at the end. */
  cpuSeconds: number;
  loadAverageAtEnd: number[];
  traces?: PoolCampaignTrace[];
}

export async function runPoolBenchmark(problem: PoolProblem, opts: { workers: number; progress: Progress; keepTraces?: boolean }): Promise<PoolBenchResult> {
  const environment = runEnvironment();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { pool: spec, protocol } = problem;
  const pool = cachedPool(spec);
  const arms = protocol.arms.map(resolveArm);
  const seeds = Array.from({ length: protocol.seeds }, (_, s) => protocol.seedBase + s);
  opts.progress.log(
    `${pool.name}: N = ${pool.N} pool points (${pool.rowsRead} rows), K = ${pool.K} top points, d = ${pool.X.d}; arms ${arms.map((a) => a.name).join(', ')}; ` +
      `q ∈ {${protocol.q.join(', ')}}; ${seeds.length} seeds; ${protocol.init} initial points; ${POOL_MODE_NOTE}${arms.some((a) => a.kind === 'agent') ? ` (GP and random arms); ${agentModeNote(protocol.agentSelect)}` : ''}`,
  );
  const tasks: PoolTask[] = [];
  for (const seed of seeds)
    for (const q of protocol.q)
      for (const arm of arms)
        tasks.push({ kind: 'pool', pool: spec, arm: arm.name, seed, q, init: protocol.init, budget: protocol.budget, stopAtTop: protocol.stopAtTop, agentSelect: protocol.agentSelect });
  const results = await runTasks(tasks, {
    workers: opts.workers,
    onResult: (r, done, total) => {
      if (r.kind !== 'pool') return;
      const t = r.trace;
      const hits = t.order.reduce((s, i) => s + (pool.isTop[i] ?? 0), 0);
      opts.progress.tick(done, total, `${t.arm} q=${t.q} seed ${t.seed}: ${hits}/${pool.K} top found in ${t.order.length} evaluations (${(t.wallMs / 1000).toFixed(1)} s)`);
    },
  });
  const traces = results.flatMap((r) => (r.kind === 'pool' ? [r.trace] : []));
  const summaries: ArmSummary[] = [];
  for (const q of protocol.q)
    for (const arm of arms) {
      const mine = traces.filter((t) => t.arm === arm.name && t.q === q);
      summaries.push(summariseArm(pool, mine, { description: arm.description, init: protocol.init, liang: protocol.liang }));
    }
  const batchCost: PoolBenchResult['batchCost'] = [];
  for (const s of summaries) {
    if (s.q === 1) continue;
    const base = summaries.find((b) => b.name === s.name && b.q === 1);
    if (base) batchCost.push({ arm: s.name, q: s.q, ratio80: pairedRatio(base, s, 80), ratio50: pairedRatio(base, s, 50) });
  }
  const paired = summaries.flatMap((s) => {
    const ref = summaries.find((b) => b.name === arms[0]?.name && b.q === s.q);
    const c = ref && ref !== s ? pairedComparison(ref, s) : null;
    return c ? [c] : [];
  });
  const cpu = process.cpuUsage(cpu0);
  return {
    benchmark: 'pool',
    mode: POOL_MODE_NOTE,
    environment,
    config: { ...problem, workers: opts.workers },
    seeds,
    pool: {
      name: pool.name,
      file: spec.file,
      N: pool.N,
      rowsRead: pool.rowsRead,
      K: pool.K,
      d: pool.X.d,
      featureNames: pool.featureNames,
      direction: pool.direction,
      objectives: pool.objectives.map((o) => ({ name: o.name, direction: o.direction })),
      topThreshold: pool.value[pool.top[pool.K - 1] as number] as number,
    },
    random: randomReference(pool),
    arms: summaries,
    batchCost,
    paired,
    ...(arms.some((a) => a.kind === 'agent') ? { agentMode: agentModeNote(protocol.agentSelect) } : {}),
    wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    loadAverageAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
    traces: opts.keepTraces ? traces : undefined,
  };
}
