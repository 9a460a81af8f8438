/**
 * B3 (BENCHMARKS.md): OPC UA round trips on loopback through the real electrochemical-station stack
 * (OpcuaClientTransport / PotentiostatOpcuaBackend → OpcuaStationTwin, LADS address space).
 *
 *   node --import tsx bench/opcua-roundtrip.ts [--n 1000] [--runs 200] [--screens 30] [--reps 3] [--no-secure]
 *
 * Kinds: `call(RenewLock)` — a bare method call on the unit's DI lock (the transport + method-dispatch cost);
 * `runTechnique(OCP)` — a whole command through the driver and the generic LADS client (lock, StartProgram, follow the
 * unit state by subscription, find the result, read its JSON, unlock) on a device clock without delays, so it is pure
 * protocol cost plus the station publishing the result (typed arrays, CSV file, JSON); `runTechnique(OER screen)` —
 * the same for the four-segment screen a campaign runs (≈ 2000 points, about 40 result variables).
 * Security: None, and SignAndEncrypt with Basic256Sha256 and Aes256_Sha256_RsaPss. The machine is shared and noisy: each configuration is
 * measured `--reps` times (fresh server and client each time) and the table shows, per quantile, the median over the
 * repetitions. Prints a markdown table and writes bench/results/opcua-roundtrip.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataType, type NodeId } from 'node-opcua';
import { LadsBrowser } from '../drivers/lads/lads-browser.ts';
import { routeOpcuaDiagnostics } from '../drivers/transport/opcua-diagnostics.ts';
import { silentLogger } from '../src/domain/index.ts';
import { PotentiostatOpcuaBackend } from '../drivers/electrochem/opcua-backend.ts';
import { OpcuaClientTransport, type OpcuaConnectionOptions } from '../drivers/transport/opcua-client.ts';
import { EchemStationCore } from '../simulators/echem/station-core.ts';
import { OpcuaStationTwin } from '../simulators/twins/opcua-station.ts';
import { SimulatedWorld } from '../simulators/world.ts';
import { ZeroDelayClock } from '../simulators/clock.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) || fallback : fallback;
};
const N = arg('--n', 1000);
const RUNS = arg('--runs', 200);
const SCREENS = arg('--screens', 30);
const REPS = arg('--reps', 3);
const SECURE = !args.includes('--no-secure');
const here = path.dirname(fileURLToPath(import.meta.url));
routeOpcuaDiagnostics(silentLogger); // stdout carries the table only
const pki = path.join(here, '..', '.labloop', 'pki', 'bench-opcua');

interface Row {
  security: string;
  kind: string;
  n: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
function summarise(security: string, kind: string, samples: number[]): Row {
  const s = [...samples].sort((a, b) => a - b);
  const r3 = (v: number): number => Math.round(v * 1000) / 1000;
  return {
    security,
    kind,
    n: s.length,
    p50_ms: r3(quantile(s, 0.5)),
    p90_ms: r3(quantile(s, 0.9)),
    p99_ms: r3(quantile(s, 0.99)),
    max_ms: r3(s.at(-1) ?? NaN),
    mean_ms: r3(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

type Security = 'None' | 'Basic256Sha256' | 'Aes256_Sha256_RsaPss';

async function once(security: Security): Promise<Row[]> {
  const world = new SimulatedWorld([{ name: 'Ni', species: 'Ni', concentration: 200, volume: 1e9 }]);
  world.move('stock:Ni', 'cell:cell1', 1000);
  const clock = new ZeroDelayClock();
  const core = new EchemStationCore({ deviceId: 'es1', cellId: 'cell1', world, clock, seed: 1 });
  const twin = new OpcuaStationTwin({ stations: [{ deviceId: 'es1', core }], clock, pkiFolder: path.join(pki, 'server'), acceptUnknownCertificates: true });
  await twin.start();
  const connection: OpcuaConnectionOptions = {
    endpointUrl: twin.endpointUrl,
    pkiFolder: path.join(pki, 'client'),
    acceptUnknownServerCertificate: true,
    securityMode: security === 'None' ? 'None' : 'SignAndEncrypt',
    securityPolicy: security,
  };
  const rows: Row[] = [];
  try {
    const t = new OpcuaClientTransport(connection);
    await t.connect();
    const browser = new LadsBrowser(t);
    const { unit } = await browser.locateUnit({ device: 'es1', unit: 'cell1' });
    const { lock, initLock, renewLock, exitLock } = await browser.unitNodes(unit.nodeId);
    await t.call(lock as NodeId, initLock as NodeId, [{ dataType: DataType.String, value: 'bench' }]);
    const calls: number[] = [];
    for (let i = 0; i < 50; i++) await t.call(lock as NodeId, renewLock as NodeId); // warm-up
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = await t.call(lock as NodeId, renewLock as NodeId);
      calls.push(performance.now() - t0);
      if (r.outputs[0] !== 0) throw new Error('RenewLock failed');
    }
    await t.call(lock as NodeId, exitLock as NodeId);
    await t.close();
    rows.push(summarise(security, 'call(RenewLock)', calls));

    const backend = new PotentiostatOpcuaBackend({ deviceId: 'es1', unit: 'cell1', connection, timeouts: { run_s: 30, poll_ms: 200 } });
    await backend.setup();
    const run = { technique: 'OCP' as const, cell: 'cell1', params: { duration: 10 }, sample: {} };
    const runs: number[] = [];
    for (let i = 0; i < 10; i++) await backend.runTechnique(run, { commandId: `warm-${i}`, signal: new AbortController().signal });
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await backend.runTechnique(run, { commandId: `bench-${i}`, signal: new AbortController().signal });
      runs.push(performance.now() - t0);
    }
    rows.push(summarise(security, 'runTechnique(OCP)', runs));
    const screen = { technique: 'OER_Screen_v1' as const, cell: 'cell1', params: {}, sample: {} };
    const screens: number[] = [];
    for (let i = 0; i < 3; i++) await backend.runTechnique(screen, { commandId: `warm-screen-${i}`, signal: new AbortController().signal });
    for (let i = 0; i < SCREENS; i++) {
      const t0 = performance.now();
      await backend.runTechnique(screen, { commandId: `screen-${i}`, signal: new AbortController().signal });
      screens.push(performance.now() - t0);
    }
    await backend.stop();
    rows.push(summarise(security, 'runTechnique(OER screen)', screens));
  } finally {
    await twin.stop();
  }
  return rows;
}

const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;

const all: Row[][] = [];
for (const security of SECURE ? (['None', 'Basic256Sha256', 'Aes256_Sha256_RsaPss'] as const) : (['None'] as const)) {
  const reps: Row[][] = [];
  for (let r = 0; r < REPS; r++) reps.push(await once(security));
  all.push(
    (reps[0] ?? []).map((row, k) => ({
      ...row,
      p50_ms: medianOf(reps.map((x) => x[k]?.p50_ms ?? NaN)),
      p90_ms: medianOf(reps.map((x) => x[k]?.p90_ms ?? NaN)),
      p99_ms: medianOf(reps.map((x) => x[k]?.p99_ms ?? NaN)),
      max_ms: medianOf(reps.map((x) => x[k]?.max_ms ?? NaN)),
      mean_ms: medianOf(reps.map((x) => x[k]?.mean_ms ?? NaN)),
    })),
  );
  all.push(...reps.map((rows) => rows.map((row) => ({ ...row, kind: `${row.kind} [rep]` }))));
}
const table = all[0] ? all.flat().filter((r) => !r.kind.endsWith('[rep]')) : [];
const lines = [
  '| security | kind | n | p50 ms | p90 ms | p99 ms | max ms | mean ms |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...table.map((r) => `| ${r.security} | ${r.kind} | ${r.n} | ${r.p50_ms} | ${r.p90_ms} | ${r.p99_ms} | ${r.max_ms} | ${r.mean_ms} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
const out = path.join(here, 'results', 'opcua-roundtrip.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(
  out,
  `${JSON.stringify(
    {
      benchmark: 'opcua-roundtrip',
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      loadavg: os.loadavg(),
      config: { n: N, runs: RUNS, screens: SCREENS, reps: REPS },
      summary: table,
      repetitions: all.flat().filter((r) => r.kind.endsWith('[rep]')),
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
