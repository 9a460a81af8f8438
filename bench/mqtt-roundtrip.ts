/**
 * B3 (BENCHMARKS.md): MQTT command → reply round trips on loopback through the real liquid-handler stack
 * (LiquidHandlerMqttBackend → broker → MqttLiquidHandlerTwin → broker → backend).
 *
 *   node --import tsx bench/mqtt-roundtrip.ts [--n 1000] [--reps 3] [--no-system] [--paired]
 *
 * Brokers: the embedded aedes (MQTT 3.1.1), a private Mosquitto started here on a free port with
 * `set_tcp_nodelay true` (MQTT 5 and 3.1.1; falls back to the machine's Mosquitto on 1883 if it cannot start),
 * and, for contrast, the machine's Mosquitto with its default config (Nagle on the broker side).
 * Two kinds of round trip: `get_state` (a query: one reply) and `execute(home)` on a device clock without delays
 * (an operation: accepted + final reply, with status/state/event/result publications in between).
 * The machine is shared and noisy: each configuration is measured `--reps` times (fresh device and client each time)
 * and the table shows, per quantile, the median over the repetitions. Prints a markdown table and writes
 * bench/results/mqtt-roundtrip.json (with every repetition and the load average).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../src/domain/index.ts';
import { LiquidHandlerMqttBackend } from '../drivers/liquid-handler/mqtt-backend.ts';
import { startEmbeddedBroker } from '../simulators/embedded-broker.ts';
import { MqttLiquidHandlerTwin } from '../simulators/twins/mqtt-liquid-handler.ts';
import { SimulatedWorld } from '../simulators/world.ts';
import { ZeroDelayClock } from '../simulators/clock.ts';

const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--n') + 1] ?? 1000) || 1000;
const REPS = Number(args[args.indexOf('--reps') + 1] ?? 3) || 3;
const WITH_SYSTEM = !args.includes('--no-system');
/** Also measure MQTT 5 and 3.1.1 get_state interleaved on one broker (one request of each in turn), so both see the same load. */
const PAIRED = args.includes('--paired');
const SYSTEM_URL = 'mqtt://127.0.0.1:1883';

interface Row {
  broker: string;
  protocol: string;
  kind: 'get_state' | 'execute(home)';
  n: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

function summarise(broker: string, protocol: string, kind: Row['kind'], times: number[]): Row {
  const s = [...times].sort((a, b) => a - b);
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return { broker, protocol, kind, n: s.length, p50_ms: r3(quantile(s, 0.5)), p90_ms: r3(quantile(s, 0.9)), p99_ms: r3(quantile(s, 0.99)), max_ms: r3(s.at(-1) ?? NaN), mean_ms: r3(s.reduce((a, b) => a + b, 0) / s.length) };
}

async function measure(broker: string, url: string, protocolVersion: 4 | 5, n: number): Promise<Row[]> {
  const { backend, twin, known } = await device(url, protocolVersion, n);
  const signal = new AbortController().signal;
  let id = 1; // b<v>-1 is the known command device() ran
  const home = (): Promise<unknown> => backend.execute({ kind: 'home' }, { commandId: `b${protocolVersion}-${++id}`, signal });
  const rows: Row[] = [];
  try {
    for (let i = 0; i < Math.min(200, n); i++) await home(); // warm-up (JIT, socket buffers)
    const q: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await backend.lookup(known);
      q.push(performance.now() - t0);
    }
    rows.push(summarise(broker, protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1', 'get_state', q));
    const e: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await home();
      e.push(performance.now() - t0);
    }
    rows.push(summarise(broker, protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1', 'execute(home)', e));
  } finally {
    await backend.stop();
    await twin.stop();
  }
  return rows;
}

/** MQTT 5 and 3.1.1 get_state round trips interleaved (v4, v5, v5, v4, ...) on one broker: a paired comparison. */
async function measurePaired(broker: string, url: string, n: number): Promise<Row[]> {
  const d4 = await device(url, 4, n, 'lh-p4');
  const d5 = await device(url, 5, n, 'lh-p5');
  const t4: number[] = [];
  const t5: number[] = [];
  try {
    for (let i = 0; i < 200; i++) {
      await d4.backend.lookup(d4.known);
      await d5.backend.lookup(d5.known);
    }
    for (let i = 0; i < n; i++) {
      const order = i % 2 === 0 ? [[d4, t4], [d5, t5]] as const : [[d5, t5], [d4, t4]] as const;
      for (const [d, times] of order) {
        const t0 = performance.now();
        await d.backend.lookup(d.known);
        times.push(performance.now() - t0);
      }
    }
  } finally {
    for (const d of [d4, d5]) {
      await d.backend.stop();
      await d.twin.stop();
    }
  }
  return [summarise(`${broker}, interleaved`, 'MQTT 3.1.1', 'get_state', t4), summarise(`${broker}, interleaved`, 'MQTT 5', 'get_state', t5)];
}

/** A liquid-handler twin and its driver on `url`, with one finished command (`known`) to query. */
async function device(url: string, protocolVersion: 4 | 5, n: number, deviceId = 'lh-bench'): Promise<{ backend: LiquidHandlerMqttBackend; twin: MqttLiquidHandlerTwin; known: string }> {
  const lab = `bench-${Date.now().toString(36)}-${protocolVersion}`;
  const world = new SimulatedWorld([{ name: 'water', species: 'water', concentration: 1, volume: 1e6 }]);
  const twin = new MqttLiquidHandlerTwin({
    lab,
    core: { deviceId, world, clock: new ZeroDelayClock(), rng: new Rng(1), historySize: 4 * n + 1000 },
    broker: { url, protocolVersion, persistentSession: false },
    clearRetainedOnStop: true,
  });
  await twin.start();
  const backend = new LiquidHandlerMqttBackend({ lab, deviceId, connection: { url, clientId: `bench-agent-${protocolVersion}-${deviceId}`, protocolVersion }, timeouts: { reply_s: 5, lookup_s: 5 } });
  await backend.setup();
  const known = `b${protocolVersion}-1`;
  await backend.execute({ kind: 'home' }, { commandId: known, signal: new AbortController().signal });
  return { backend, twin, known };
}

/** Runs `measure` `reps` times; each row becomes the per-quantile median over the repetitions. */
async function measureReps(broker: string, url: string, protocolVersion: 4 | 5, n: number, reps: number, all: Row[]): Promise<Row[]> {
  const runs: Row[][] = [];
  for (let r = 0; r < reps; r++) runs.push(await measure(broker, url, protocolVersion, n));
  all.push(...runs.flat());
  return medianRows(runs, n);
}

/** Per row, the median of each quantile over the repetitions. */
function medianRows(runs: Row[][], n: number): Row[] {
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  return (runs[0] ?? []).map((first, i) => {
    const same = runs.map((run) => run[i] as Row);
    return { ...first, n: n * runs.length, p50_ms: med(same.map((x) => x.p50_ms)), p90_ms: med(same.map((x) => x.p90_ms)), p99_ms: med(same.map((x) => x.p99_ms)), max_ms: Math.max(...same.map((x) => x.max_ms)), mean_ms: med(same.map((x) => x.mean_ms)) };
  });
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function startPrivateMosquitto(): Promise<{ url: string; proc: ChildProcess; dir: string } | { error: string }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labloop-mosquitto-'));
  fs.chmodSync(dir, 0o755);
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'set_tcp_nodelay true', 'persistence false', 'log_dest stderr', 'log_type error', ''].join('\n'));
  fs.chmodSync(conf, 0o644);
  let stderr = '';
  let proc: ChildProcess;
  try {
    proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    return { error: (err as Error).message };
  }
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.once('error', (err) => (stderr += err.message));
  for (let i = 0; i < 50; i++) {
    if (await answers(port)) return { url: `mqtt://127.0.0.1:${port}`, proc, dir };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
  return { error: `mosquitto did not come up on port ${port}: ${stderr.trim() || 'no output'}` };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const repetitions: Row[] = [];
  const notes: string[] = [];
  const loadBefore = os.loadavg();
  const aedes = await startEmbeddedBroker();
  try {
    rows.push(...(await measureReps('aedes (embedded, noDelay)', aedes.url, 4, N, REPS, repetitions)));
  } finally {
    await aedes.close();
  }
  const mosq = await startPrivateMosquitto();
  if ('error' in mosq) {
    notes.push(`private Mosquitto could not start (${mosq.error}); measured the machine's Mosquitto at ${SYSTEM_URL} instead (default config: no set_tcp_nodelay on the broker)`);
    rows.push(...(await measureReps('system Mosquitto 1883 (fallback)', SYSTEM_URL, 5, N, REPS, repetitions)));
    rows.push(...(await measureReps('system Mosquitto 1883 (fallback)', SYSTEM_URL, 4, N, REPS, repetitions)));
  } else {
    try {
      rows.push(...(await measureReps('Mosquitto (private, set_tcp_nodelay true)', mosq.url, 5, N, REPS, repetitions)));
      rows.push(...(await measureReps('Mosquitto (private, set_tcp_nodelay true)', mosq.url, 4, N, REPS, repetitions)));
      if (PAIRED) {
        const runs: Row[][] = [];
        for (let r = 0; r < REPS; r++) runs.push(await measurePaired('Mosquitto (private)', mosq.url, N));
        repetitions.push(...runs.flat());
        rows.push(...medianRows(runs, N));
      }
    } finally {
      mosq.proc.kill('SIGTERM');
      fs.rmSync(mosq.dir, { recursive: true, force: true });
    }
    if (WITH_SYSTEM) {
      const n = Math.min(N, 100);
      notes.push(`the machine's Mosquitto (${SYSTEM_URL}, default config, Nagle on the broker side) is shown for contrast with ${n} round trips`);
      rows.push(...(await measureReps('system Mosquitto 1883 (default config)', SYSTEM_URL, 5, n, 1, repetitions)));
    }
  }

  const load = [loadBefore, os.loadavg()].map((l) => l.map((x) => x.toFixed(2)).join('/'));
  notes.push(`${REPS} repetitions per configuration (median of each quantile shown); load average before/after: ${load[0]} → ${load[1]} on ${os.cpus().length} CPUs`);
  const header = '| broker | protocol | round trip | n | p50 ms | p90 ms | p99 ms | max ms |\n| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |';
  const table = rows.map((r) => `| ${r.broker} | ${r.protocol} | ${r.kind} | ${r.n} | ${r.p50_ms.toFixed(3)} | ${r.p90_ms.toFixed(3)} | ${r.p99_ms.toFixed(3)} | ${r.max_ms.toFixed(3)} |`).join('\n');
  process.stdout.write(`\n${header}\n${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
  const out = path.join(import.meta.dirname, 'results', 'mqtt-roundtrip.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ benchmark: 'mqtt-roundtrip', date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, n: N, reps: REPS, loadavg: { before: loadBefore, after: os.loadavg() }, rows, repetitions, notes }, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`mqtt-roundtrip failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
