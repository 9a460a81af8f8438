/**
 * B5: console fan-out. N socket.io clients (default 100, in a child process, as browsers would be elsewhere) subscribe
 * to a campaign and time every live document from its publication (the document's `time`, set by the DocumentBus)
 * to its arrival. Both ends read the system clock in whole milliseconds, so each latency is within ±1 ms.
 *
 * Sources:
 * - `dry-run` (default): a real dry run (in-process simulators, PGlite in memory, realtime clock ×speed) with its
 *   console — the issue's measurement. The server process also runs the lab, the store and the agent, so its
 *   event-loop stalls show up in the tail; the server's publication → broadcast delay is reported separately.
 * - `synthetic`: the console alone, fed by a DocumentBus publishing one scripted trial (10 documents, one with a
 *   curve preview) every `--period` ms: what the fan-out itself costs.
 *
 * The p99 of one run is set by its one or two worst bursts (a batch of ≈ 17 documents goes to 100 clients, so 1 % of
 * the deliveries is a fraction of one batch), so it varies from run to run; `--runs N` repeats the measurement and
 * reports each run, the median of the runs' percentiles and the percentiles of all deliveries pooled.
 *
 * Usage: node --import tsx bench/console-fanout.ts [--source dry-run|synthetic] [--clients 100] [--trials 32]
 *        [--stations 4] [--speed 600] [--period 20] [--procs 4] [--runs 1]
 * Writes bench/results/console-fanout[-synthetic].json and prints a markdown table.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { io as ioClient } from 'socket.io-client';
import type { ConsoleStats, DocsMessage } from '../src/console/index.ts';
import { median } from './harness/metrics.ts';

const TOKEN = 'bench-viewer-token-0123456789abcdef';
const TOKENS = [{ actor: 'bench', role: 'viewer' as const, token: TOKEN }];
const { values } = parseArgs({
  options: {
    source: { type: 'string', default: 'dry-run' },
    clients: { type: 'string', default: '100' },
    trials: { type: 'string', default: '32' },
    stations: { type: 'string', default: '4' },
    speed: { type: 'string', default: '600' },
    period: { type: 'string', default: '20' },
    procs: { type: 'string', default: '4' },
    runs: { type: 'string', default: '1' },
    /** Where the console beside the dry run runs: its own worker thread (default, ADR 0031) or the run's thread. */
    'console-thread': { type: 'string', default: 'worker' },
    child: { type: 'boolean', default: false },
    url: { type: 'string' },
    campaign: { type: 'string' },
  },
});

type Delay = { p50: number; p99: number; max: number };

interface ChildReport {
  latencies: number[];
  /** Per document (seq), the latency of its first arrival among the clients (the server's share of the delay). */
  firstArrivals: [number, number][];
  clientLoopDelay: Delay;
  replayedDocs: number;
  connectMs: number;
}

/** The clients: connect, subscribe, time live documents with Date.now() (performance.now() drifts from it here). */
async function runClients(url: string, campaignId: string, n: number): Promise<void> {
  const latencies: number[] = [];
  const first = new Map<number, number>();
  let replayed = 0;
  const t0 = performance.now();
  const sockets = await Promise.all(
    Array.from({ length: n }, () => {
      const s = ioClient(url, { auth: { token: TOKEN }, transports: ['websocket'], forceNew: true });
      s.on('docs', (m: DocsMessage) => {
        const now = Date.now();
        if (m.replay) replayed += m.docs.length;
        else
          for (const d of m.docs) {
            const l = now - Date.parse(d.time);
            latencies.push(l);
            if (!first.has(d.seq)) first.set(d.seq, l);
          }
      });
      return new Promise<typeof s>((resolve, reject) => {
        s.once('connect', () => s.emit('subscribe', { campaignId, afterSeq: 0 }, () => resolve(s)));
        s.once('connect_error', reject);
      });
    }),
  );
  const connectMs = performance.now() - t0;
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  process.send?.({ ready: true, connectMs });
  process.on('message', (msg: { done?: boolean }) => {
    if (!msg.done) return;
    eld.disable();
    for (const s of sockets) s.close();
    const report: ChildReport = { latencies, firstArrivals: [...first], clientLoopDelay: delayOf(eld), replayedDocs: replayed, connectMs };
    process.send?.({ report }, () => process.exit(0));
  });
}

function delayOf(h: { percentile(p: number): number; max: number }): Delay {
  return { p50: +(h.percentile(50) / 1e6).toFixed(1), p99: +(h.percentile(99) / 1e6).toFixed(1), max: +(h.max / 1e6).toFixed(1) };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Starts the client processes once the console listens; `finish()` collects and merges their reports. */
function clientProcess(url: string, campaignId: string, clients: number) {
  const procs = Math.max(1, Math.min(clients, Number(values.procs)));
  const children = Array.from({ length: procs }, (_, k) => {
    const n = Math.floor(clients / procs) + (k < clients % procs ? 1 : 0);
    let report: ChildReport | undefined;
    const child = fork(import.meta.filename, ['--child', '--url', url, '--campaign', campaignId, '--clients', String(n)], { execArgv: ['--import', 'tsx'] });
    const ready = new Promise<number>((resolve) => {
      child.on('message', (m: { ready?: boolean; connectMs?: number; report?: ChildReport }) => {
        if (m.ready) resolve(m.connectMs ?? 0);
        if (m.report) report = m.report;
      });
    });
    return { child, ready, report: () => report };
  });
  const t0 = performance.now();
  const ready = Promise.all(children.map((c) => c.ready)).then(() => {
    process.stderr.write(`${clients} clients in ${procs} processes connected and subscribed in ${(performance.now() - t0).toFixed(0)} ms\n`);
  });
  return {
    ready,
    async finish(): Promise<ChildReport> {
      await new Promise((r) => setTimeout(r, 500));
      await Promise.all(
        children.map((c) => {
          const exited = new Promise<void>((resolve) => c.child.on('exit', () => resolve()));
          c.child.send({ done: true });
          return exited;
        }),
      );
      const reports = children.map((c) => c.report());
      if (reports.some((r) => !r)) throw new Error('a client process sent no report');
      const all = reports as ChildReport[];
      const firsts = new Map<number, number>();
      for (const r of all) for (const [seq, l] of r.firstArrivals) firsts.set(seq, Math.min(firsts.get(seq) ?? Infinity, l));
      return {
        latencies: all.flatMap((r) => r.latencies),
        firstArrivals: [...firsts],
        clientLoopDelay: { p50: Math.max(...all.map((r) => r.clientLoopDelay.p50)), p99: Math.max(...all.map((r) => r.clientLoopDelay.p99)), max: Math.max(...all.map((r) => r.clientLoopDelay.max)) },
        replayedDocs: all.reduce((a, r) => a + r.replayedDocs, 0),
        connectMs: Math.max(...all.map((r) => r.connectMs)),
      };
    },
  };
}

const stats = async (url: string): Promise<ConsoleStats> => (await (await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as ConsoleStats;

interface Run {
  report: ChildReport;
  console: ConsoleStats;
  serverLoopDelay: Delay;
  wall_s: number;
  describe: string;
}

async function dryRunSource(clients: number): Promise<Run> {
  const { runDryRun } = await import('../src/app/dry-run.ts');
  const { loadCampaignFile, loadConfig } = await import('../src/config/index.ts');
  const { silentLogger } = await import('../src/domain/index.ts');
  const spec0 = await loadCampaignFile(path.resolve(import.meta.dirname, '../examples/oer-screen.yaml'));
  const spec = { ...spec0, budget: { trials: Number(values.trials) }, stations: { pairs: Number(values.stations) }, strategy: { ...spec0.strategy, agent: 'random' as const } };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-fanout-'));
  const eld = monitorEventLoopDelay({ resolution: 5 });
  let proc: ReturnType<typeof clientProcess> | undefined;
  let out: Omit<Run, 'wall_s' | 'describe'> | undefined;
  const t0 = performance.now();
  const summary = await runDryRun({
    spec,
    config: loadConfig({}, { pgliteDir: 'memory://', logLevel: 'silent' }),
    logger: silentLogger,
    seed: 1,
    outDir: path.join(dir, 'out'),
    clock: values.speed,
    transport: 'sim',
    console: {
      port: 0,
      thread: values['console-thread'] === 'main' ? 'main' : 'worker',
      tokens: TOKENS,
      // The campaign starts once every client is connected and subscribed.
      onReady: async ({ url, campaignId }) => {
        proc = clientProcess(url, campaignId, clients);
        await proc.ready;
        eld.enable();
      },
      linger: async ({ url }) => {
        eld.disable();
        const console = await stats(url);
        if (!proc) throw new Error('no client process');
        out = { report: await proc.finish(), console, serverLoopDelay: delayOf(eld) };
      },
    },
  });
  await rm(dir, { recursive: true, force: true });
  if (!out) throw new Error('the dry run ended without its console');
  return { ...out, wall_s: (performance.now() - t0) / 1000, describe: `dry run: ${spec.budget.trials} trials on ${spec.stations.pairs} station pairs at ×${values.speed}, console on the ${values['console-thread'] === 'main' ? "run's" : 'its own worker'} thread (campaign ${summary.result.state})` };
}

async function syntheticSource(clients: number): Promise<Run> {
  const { startConsoleServer, busFeed } = await import('../src/console/index.ts');
  const { DocumentBus } = await import('../src/protocol/index.ts');
  const { silentLogger } = await import('../src/domain/index.ts');
  const { MemoryReader } = await import('../tests/unit/console/server-harness.ts');
  const { ScriptedCampaign } = await import('../tests/unit/console/console-fixtures.ts');
  const bus = new DocumentBus();
  const reader = new MemoryReader(bus);
  const server = await startConsoleServer({ reader, feed: busFeed(bus), tokens: TOKENS, logger: silentLogger, port: 0, staticDir: '/nonexistent' });
  const campaign = new ScriptedCampaign(bus, 'synthetic');
  campaign.start();
  await bus.flush();
  const proc = clientProcess(server.url, 'synthetic', clients);
  await proc.ready;
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  const t0 = performance.now();
  const trials = Number(values.trials) * 10;
  const period = Number(values.period);
  for (let i = 0; i < trials; i++) {
    campaign.trial({ fail: i % 7 === 3 });
    await new Promise((r) => setTimeout(r, period));
  }
  eld.disable();
  const console = await stats(server.url);
  const report = await proc.finish();
  await server.close();
  return { report, console, serverLoopDelay: delayOf(eld), wall_s: (performance.now() - t0) / 1000, describe: `synthetic: ${trials} scripted trials, one every ${period} ms (≈ ${Math.round(10_000 / period)} documents/s)` };
}

type Percentiles = { p50: number; p90: number; p99: number; max: number };

function percentilesOf(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

/** One run's summary (its latencies are kept outside, for pooling). */
function summarise(run: Run) {
  const firsts = percentilesOf(run.report.firstArrivals.map(([, l]) => l));
  return {
    run: run.describe,
    liveDeliveries: run.report.latencies.length,
    replayedDeliveries: run.report.replayedDocs,
    connectAll_ms: Math.round(run.report.connectMs),
    wall_s: +run.wall_s.toFixed(1),
    latency_ms: percentilesOf(run.report.latencies),
    /** Per document, its first arrival in any client: server + network share, without the 100-clients-in-one-process queue. */
    firstArrival_ms: { p50: firsts.p50, p99: firsts.p99, max: firsts.max },
    publishToBroadcast_ms: run.console.broadcastLag_ms,
    /** Server time to hand one batch to every socket of the room. */
    roomEmit_ms: run.console.emit_ms,
    serverEventLoopDelay_ms: run.serverLoopDelay,
    consoleThreadEventLoopDelay_ms: run.console.eventLoopDelay_ms,
    /** Worst client process. */
    clientEventLoopDelay_ms: run.report.clientLoopDelay,
  };
}

async function main(): Promise<void> {
  const clients = Number(values.clients);
  const source = values.source === 'synthetic' ? 'synthetic' : 'dry-run';
  const runs = Math.max(1, Number(values.runs));
  const summaries: ReturnType<typeof summarise>[] = [];
  const pooled: number[] = [];
  for (let r = 0; r < runs; r++) {
    const run = source === 'synthetic' ? await syntheticSource(clients) : await dryRunSource(clients);
    const s = summarise(run);
    summaries.push(s);
    for (const l of run.report.latencies) pooled.push(l);
    process.stderr.write(`run ${r + 1}/${runs}: p50 ${s.latency_ms.p50} ms, p99 ${s.latency_ms.p99} ms\n`);
  }
  const first = summaries[0] as ReturnType<typeof summarise>;
  const medianOfRuns = { p50: median(summaries.map((s) => s.latency_ms.p50)), p90: median(summaries.map((s) => s.latency_ms.p90)), p99: median(summaries.map((s) => s.latency_ms.p99)), max: median(summaries.map((s) => s.latency_ms.max)) };
  const all = percentilesOf(pooled);
  const result = {
    machine: `${os.cpus().length} cores, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join('/')}`,
    source,
    run: first.run,
    clients,
    clientProcesses: Math.max(1, Math.min(clients, Number(values.procs))),
    runs,
    /** Median over the runs of each run's percentile. */
    latency_ms: medianOfRuns,
    /** Percentiles of every delivery of every run. */
    pooledLatency_ms: all,
    perRun: summaries,
    note: 'latency = Date.now() at arrival in the client process − document time (both the system clock, ±1 ms)',
  };
  const table = [
    '| run | clients | live deliveries | p50 ms | p90 ms | p99 ms | max ms | first arrival p50 / p99 ms | publication → broadcast p50 / p99 ms | room emit p50 / p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summaries.map(
      (s, k) =>
        `| ${k + 1} | ${clients} | ${s.liveDeliveries} | ${s.latency_ms.p50} | ${s.latency_ms.p90} | ${s.latency_ms.p99} | ${s.latency_ms.max} | ${s.firstArrival_ms.p50} / ${s.firstArrival_ms.p99} | ${s.publishToBroadcast_ms.p50} / ${s.publishToBroadcast_ms.p99} | ${s.roomEmit_ms.p50.toFixed(1)} / ${s.roomEmit_ms.p99.toFixed(1)} |`,
    ),
    ...(runs > 1
      ? [
          `| median of ${runs} runs | | | ${medianOfRuns.p50} | ${medianOfRuns.p90} | ${medianOfRuns.p99} | ${medianOfRuns.max} | | | |`,
          `| all deliveries pooled | | ${pooled.length} | ${all.p50} | ${all.p90} | ${all.p99} | ${all.max} | | | |`,
        ]
      : []),
  ];
  process.stdout.write(
    `${table.join('\n')}\n\n${source}: ${result.run}; ${result.machine}\n` +
      summaries
        .map((s, k) => `run ${k + 1}: ${s.wall_s} s; event-loop delay p50/p99/max: run thread ${Object.values(s.serverEventLoopDelay_ms).join('/')} ms, console thread ${Object.values(s.consoleThreadEventLoopDelay_ms).join('/')} ms, clients ${Object.values(s.clientEventLoopDelay_ms).join('/')} ms`)
        .join('\n') +
      '\n',
  );
  const file = source === 'synthetic' ? 'console-fanout-synthetic.json' : 'console-fanout.json';
  await writeFile(path.resolve(import.meta.dirname, 'results', file), `${JSON.stringify(result, null, 2)}\n`);
}

if (values.child) await runClients(values.url ?? '', values.campaign ?? '', Number(values.clients));
else await main();
