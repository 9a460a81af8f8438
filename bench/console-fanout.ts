/**
 * B5: console fan-out. A dry run (in-process simulators, realtime clock sped up) with its console; a child process
 * connects N socket.io clients (default 100) that subscribe to the campaign and time every live document from its
 * publication (the document's `time`, set by the DocumentBus when it is published) to its arrival in the client.
 * `time` has millisecond resolution, so each latency is overstated by up to 1 ms (the numbers are conservative).
 *
 * Usage: node --import tsx bench/console-fanout.ts [--clients 100] [--trials 32] [--stations 4] [--speed 600]
 * Writes bench/results/console-fanout.json and prints a markdown table.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { io as ioClient } from 'socket.io-client';
import type { DocsMessage } from '../src/console/index.ts';

const TOKEN = 'bench-viewer-token-0123456789abcdef';
const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '100' },
    trials: { type: 'string', default: '32' },
    stations: { type: 'string', default: '4' },
    speed: { type: 'string', default: '600' },
    child: { type: 'boolean', default: false },
    url: { type: 'string' },
    campaign: { type: 'string' },
  },
});

const wallNow = (): number => performance.timeOrigin + performance.now();

interface ChildReport {
  latencies: number[];
  liveDocs: number;
  replayedDocs: number;
  connectMs: number;
  perClientDocs: number[];
}

/** The clients, in their own process (as browsers would be): connect, subscribe, time live documents. */
async function runClients(url: string, campaignId: string, n: number): Promise<void> {
  const latencies: number[] = [];
  const perClientDocs: number[] = new Array<number>(n).fill(0);
  let replayed = 0;
  const t0 = performance.now();
  const sockets = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const s = ioClient(url, { auth: { token: TOKEN }, transports: ['websocket'], forceNew: true });
      s.on('docs', (m: DocsMessage) => {
        const now = wallNow();
        if (m.replay) {
          replayed += m.docs.length;
          return;
        }
        perClientDocs[i] = (perClientDocs[i] ?? 0) + m.docs.length;
        for (const d of m.docs) latencies.push(now - Date.parse(d.time));
      });
      return new Promise<typeof s>((resolve, reject) => {
        s.once('connect', () => {
          s.emit('subscribe', { campaignId, afterSeq: 0 }, () => resolve(s));
        });
        s.once('connect_error', reject);
      });
    }),
  );
  const connectMs = performance.now() - t0;
  process.send?.({ ready: true, connectMs });
  process.on('message', (msg: { done?: boolean }) => {
    if (!msg.done) return;
    for (const s of sockets) s.close();
    const report: ChildReport = { latencies, liveDocs: latencies.length, replayedDocs: replayed, connectMs, perClientDocs };
    process.send?.({ report }, () => process.exit(0));
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

async function main(): Promise<void> {
  // Imported here so the client process (the same file) stays light.
  const { runDryRun } = await import('../src/app/dry-run.ts');
  const { loadCampaignFile, loadConfig } = await import('../src/config/index.ts');
  const { silentLogger } = await import('../src/domain/index.ts');
  const clients = Number(values.clients);
  const spec0 = await loadCampaignFile(path.resolve(import.meta.dirname, '../examples/oer-screen.yaml'));
  const spec = { ...spec0, budget: { trials: Number(values.trials) }, stations: { pairs: Number(values.stations) }, strategy: { ...spec0.strategy, agent: 'random' as const } };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-fanout-'));
  const config = loadConfig({}, { pgliteDir: 'memory://', logLevel: 'silent' });
  let child: ReturnType<typeof fork> | undefined;
  let report: ChildReport | undefined;
  let childReady!: () => void;
  const ready = new Promise<void>((r) => (childReady = r));
  const started = performance.now();
  // Event-loop delay of the server process (dry run + store + console): what a live document can wait behind.
  const eld = monitorEventLoopDelay({ resolution: 5 });
  const summary = await runDryRun({
    spec,
    config,
    logger: silentLogger,
    seed: 1,
    outDir: path.join(dir, 'out'),
    clock: values.speed,
    transport: 'sim',
    console: {
      port: 0,
      tokens: [{ actor: 'bench', role: 'viewer', token: TOKEN }],
      onReady: ({ url, campaignId }) => {
        child = fork(import.meta.filename, ['--child', '--url', url, '--campaign', campaignId, '--clients', String(clients)], { execArgv: ['--import', 'tsx'] });
        child.on('message', (m: { ready?: boolean; connectMs?: number; report?: ChildReport }) => {
          if (m.ready) {
            process.stderr.write(`${clients} clients connected and subscribed in ${m.connectMs?.toFixed(0)} ms\n`);
            childReady();
          }
          if (m.report) report = m.report;
        });
        // The campaign starts once every client is connected and subscribed.
        return ready.then(() => {
          eld.enable();
        });
      },
      linger: async () => {
        eld.disable();
        await new Promise((r) => setTimeout(r, 500));
        const got = new Promise<void>((resolve) => child?.on('exit', () => resolve()));
        child?.send({ done: true });
        await got;
      },
    },
  });
  const wall = (performance.now() - started) / 1000;
  await rm(dir, { recursive: true, force: true });
  if (!report) throw new Error('the client process sent no report');
  const sorted = [...report.latencies].sort((a, b) => a - b);
  const docsPerClient = report.perClientDocs.length ? Math.min(...report.perClientDocs) : 0;
  const result = {
    machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join('/')}`,
    clients,
    trials: spec.budget.trials,
    stations: spec.stations.pairs,
    clockSpeed: Number(values.speed),
    campaign: summary.result.state,
    wall_s: +wall.toFixed(1),
    liveDeliveries: report.liveDocs,
    replayedDeliveries: report.replayedDocs,
    minLiveDocsPerClient: docsPerClient,
    connectAll_ms: +report.connectMs.toFixed(0),
    latency_ms: {
      p50: +percentile(sorted, 50).toFixed(2),
      p90: +percentile(sorted, 90).toFixed(2),
      p99: +percentile(sorted, 99).toFixed(2),
      max: +(sorted.at(-1) ?? NaN).toFixed(2),
    },
    serverEventLoopDelay_ms: { p50: +(eld.percentile(50) / 1e6).toFixed(2), p99: +(eld.percentile(99) / 1e6).toFixed(2), max: +(eld.max / 1e6).toFixed(2) },
    note: 'latency = arrival in the client process − document time (ms resolution, so overstated by up to 1 ms)',
  };
  const table = [
    '| clients | documents delivered live | p50 ms | p90 ms | p99 ms | max ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${clients} | ${report.liveDocs} | ${result.latency_ms.p50} | ${result.latency_ms.p90} | ${result.latency_ms.p99} | ${result.latency_ms.max} |`,
  ];
  process.stdout.write(
    `${table.join('\n')}\n\n${result.machine}; ${result.trials} trials on ${result.stations} station pairs at ×${result.clockSpeed}, campaign ${result.campaign}, ${result.wall_s} s; ` +
      `server event-loop delay p50 ${result.serverEventLoopDelay_ms.p50} ms, p99 ${result.serverEventLoopDelay_ms.p99} ms, max ${result.serverEventLoopDelay_ms.max} ms\n`,
  );
  await writeFile(path.resolve(import.meta.dirname, 'results/console-fanout.json'), `${JSON.stringify(result, null, 2)}\n`);
}

if (values.child) await runClients(values.url ?? '', values.campaign ?? '', Number(values.clients));
else await main();
