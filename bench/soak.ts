/**
 * Soak and engine overhead (issue 14, BENCHMARKS B2 and B6): one long dry run in this process, through the MQTT + OPC
 * UA twins (or the in-process simulators), with injected faults. Reports
 * - the engine's overhead per trial: the process's CPU time (process.cpuUsage, every thread) and wall time between
 *   two trial counts, minus the time spent inside the agent's calls (ingest, suggest, timed by a wrapper);
 * - RSS at the sampled trial counts (after a full garbage collection), its growth between the first and the last one,
 *   and the peak (maxRSS);
 * - that every failed trial carries a failure code (from results.csv).
 * The machine is shared: CPU time is the figure to compare; wall time is reported beside it.
 * Usage: node --import tsx bench/soak.ts [--trials 500] [--fault-rate 0.05] [--agent random] [--transport twin]
 *   [--seed 1] [--samples 100,500] [--out bench/results/soak.json]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Agent } from '../agents/agent.ts';
import { runDryRun } from '../src/app/dry-run.ts';
import { loadCampaignFile, loadConfig } from '../src/config/index.ts';
import { AGENT_KINDS, silentLogger, type CampaignSpec } from '../src/domain/index.ts';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '500' },
    'fault-rate': { type: 'string', default: '0.05' },
    agent: { type: 'string', default: 'random' },
    transport: { type: 'string', default: 'twin' },
    seed: { type: 'string', default: '1' },
    samples: { type: 'string' },
    out: { type: 'string' },
  },
});
const trials = Number(values.trials);
const faultRate = Number(values['fault-rate']);
const agentKind = values.agent as CampaignSpec['strategy']['agent'];
if (!AGENT_KINDS.includes(agentKind)) throw new Error(`--agent must be one of ${AGENT_KINDS.join(', ')}`);
const transport = values.transport === 'sim' ? 'sim' : 'twin';
const samples = (values.samples ?? [100, 500, 1000].filter((n) => n <= trials).join(',')).split(',').map(Number).filter((n) => n > 0 && n <= trials);
const warmup = Math.min(...samples, 10);

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const processStart = { wall: performance.now(), cpu: cpuMs() };

/**
 * Time inside the agent's calls (wall and CPU), plus the bench's own garbage collections before memory marks. CPU inside
 * an async call can include other work interleaved with it.
 */
const agentTime = { wall: 0, cpu: 0, calls: 0 };
const timed = (agent: Agent): Agent =>
  new Proxy(agent, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if ((key !== 'ingest' && key !== 'suggest') || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const w0 = performance.now();
        const c0 = cpuMs();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          agentTime.wall += performance.now() - w0;
          agentTime.cpu += cpuMs() - c0;
          agentTime.calls++;
        }
      };
    },
  });

interface Mark {
  trials: number;
  wall_ms: number;
  cpu_ms: number;
  agentWall_ms: number;
  agentCpu_ms: number;
  rss_MiB: number;
  heapUsed_MiB: number;
  external_MiB: number;
}
// A full collection before each memory mark, so heapUsed is the live heap (not whatever garbage the last trial left).
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
// Its time is the bench's own, not the engine's: it is counted with the agent's and subtracted with it.
const mark = (done: number): Mark => {
  const w0 = performance.now();
  const c0 = cpuMs();
  collectGarbage();
  agentTime.wall += performance.now() - w0;
  agentTime.cpu += cpuMs() - c0;
  const m = process.memoryUsage();
  return {
    trials: done,
    wall_ms: performance.now() - processStart.wall,
    cpu_ms: cpuMs() - processStart.cpu,
    agentWall_ms: agentTime.wall,
    agentCpu_ms: agentTime.cpu,
    rss_MiB: m.rss / 2 ** 20,
    heapUsed_MiB: m.heapUsed / 2 ** 20,
    external_MiB: (m.external + m.arrayBuffers) / 2 ** 20,
  };
};

const spec0 = await loadCampaignFile(path.resolve(import.meta.dirname, '../examples/oer-screen.yaml'));
const spec: CampaignSpec = { ...spec0, budget: { ...spec0.budget, trials }, strategy: { ...spec0.strategy, agent: agentKind } };
const dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-bench-soak-'));
const config = loadConfig({ LABLOOP_DB_CACHE_DIR: path.resolve(import.meta.dirname, '../.labloop/cache') }, { pgliteDir: path.join(dir, 'db') });
const marks: Mark[] = [];
let first: Mark | undefined;
const wanted = new Set([warmup, ...samples]);
const outDir = path.join(dir, 'out');
const seed = Number(values.seed);
const summary = await runDryRun({
  spec,
  config,
  logger: silentLogger,
  seed,
  outDir,
  clock: 'instant',
  transport,
  faultRate,
  instrumentAgent: timed,
  onProgress: (p) => {
    const done = p.completed + p.failed + p.blocked;
    if (first === undefined && done >= 1) first = mark(done);
    for (const n of wanted) {
      if (done >= n && !marks.some((m) => m.trials === n)) marks.push({ ...mark(done), trials: n });
    }
  },
});
const end = mark(trials);
const peak_MiB = process.resourceUsage().maxRSS / 1024;

// Every failure coded: each failed trial's row names its failure code.
const csv = (await readFile(path.join(outDir, 'results.csv'), 'utf8')).trim().split('\n');
const header = csv[0]?.split(',') ?? [];
const statusCol = header.indexOf('status');
const codeCol = header.findIndex((h) => h === 'failure_code' || h === 'failureCode');
const failedRows = csv.slice(1).map((l) => l.split(',')).filter((r) => r[statusCol] === 'failed');
const uncoded = failedRows.filter((r) => codeCol < 0 || !r[codeCol]).length;
await rm(dir, { recursive: true, force: true });

const from = marks.find((m) => m.trials === warmup) ?? first;
const to = marks.filter((m) => m.trials > (from?.trials ?? 0)).at(-1) ?? end;
const span = to.trials - (from?.trials ?? 0);
const perTrial = (a: number, b: number): number => (span > 0 ? (a - b) / span : NaN);
const engineCpu = from ? perTrial(to.cpu_ms - to.agentCpu_ms, from.cpu_ms - from.agentCpu_ms) : NaN;
const engineWall = from ? perTrial(to.wall_ms - to.agentWall_ms, from.wall_ms - from.agentWall_ms) : NaN;
const rssAt = (n: number): number | undefined => marks.find((m) => m.trials === n)?.rss_MiB;
const growthFrom = samples[0];
const growthTo = samples.at(-1);
const growth = growthFrom !== undefined && growthTo !== undefined && growthTo > growthFrom ? (rssAt(growthTo) ?? NaN) / (rssAt(growthFrom) ?? NaN) - 1 : undefined;
const p = summary.result.progress;

const result = {
  machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (shared)`,
  options: { trials, faultRate, agent: agentKind, transport, seed },
  outcome: { state: summary.result.state, completed: p.completed, failed: p.failed, blocked: p.blocked, uncodedFailures: uncoded },
  startup: first ? { firstTrialDone_wall_ms: first.wall_ms, firstTrialDone_cpu_ms: first.cpu_ms } : undefined,
  overheadPerTrial: { fromTrial: from?.trials, toTrial: to.trials, engineCpu_ms: engineCpu, engineWall_ms: engineWall, agentCpu_ms: from ? perTrial(to.agentCpu_ms, from.agentCpu_ms) : NaN },
  memory: { marks: marks.sort((a, b) => a.trials - b.trials), peakRss_MiB: peak_MiB, rssGrowth: growth },
};
const f = (x: number | undefined, d = 1): string => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
const lines = [
  `soak: ${trials} trials, agent ${agentKind}, ${transport}, fault rate ${faultRate}, seed ${seed} → ${summary.result.state}: ${p.completed} completed, ${p.failed} failed (${uncoded} without a failure code), ${p.blocked} blocked`,
  `engine overhead per trial (trials ${from?.trials}–${to.trials}, agent time excluded): ${f(engineCpu)} ms CPU, ${f(engineWall)} ms wall; agent (and the bench's GC before memory marks) ${f(result.overheadPerTrial.agentCpu_ms)} ms CPU per trial`,
  `first trial done after ${f(first?.wall_ms, 0)} ms wall, ${f(first?.cpu_ms, 0)} ms CPU (in-process: module loading of the bench itself excluded)`,
  `RSS MiB at trial ${marks.map((m) => `${m.trials}: ${f(m.rss_MiB, 0)} (heap ${f(m.heapUsed_MiB, 0)}, external ${f(m.external_MiB, 0)})`).join('; ')}; peak ${f(peak_MiB, 0)}; growth ${growth === undefined ? '—' : `${(growth * 100).toFixed(1)} %`} (trial ${growthFrom} → ${growthTo})`,
  result.machine,
];
process.stdout.write(`${lines.join('\n')}\n`);
if (values.out) await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
