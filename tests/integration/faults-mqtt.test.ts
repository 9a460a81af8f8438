import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MqttClient } from 'mqtt';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDryRun } from '../../src/app/dry-run.ts';
import { loadStationsFile, type StationsFile } from '../../src/app/external-stations.ts';
import { loadConfig } from '../../src/config/index.ts';
import { Rng, silentLogger } from '../../src/domain/index.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import type { Store } from '../../src/store/store.ts';
import { InstantClock } from '../../simulators/clock.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../simulators/embedded-broker.ts';
import { RuleFaultInjector, type FaultRule } from '../../simulators/faults.ts';
import { LiquidHandlerCore } from '../../simulators/liquid/liquid-handler-core.ts';
import { oerPrecipitation } from '../../simulators/liquid/precipitation.ts';
import { MqttLiquidHandlerTwin } from '../../simulators/twins/mqtt-liquid-handler.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { openTempStore } from '../helpers/db.ts';
import { RecordingInjector, resultRows, safeSpec, type ResultRow } from '../helpers/fault-campaign.ts';

/**
 * Transport faults over the MQTT twin, through the whole loop: the dry run connects (`stations`) to liquid-handler
 * twins on an embedded broker — in this process, so the test can force faults and watch the twins — and measures in
 * in-process stations fed by the cell link. Then the same against `labloop sim liquid-handler` and
 * `labloop sim echem-station` running as child processes.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const spec = safeSpec(2);
/** Short reply timeouts, so a lost reply is noticed within a second or two. */
const config = loadConfig({}, { timeouts: { commandReply_s: 1.5, stepOverrunFactor: 0.001 } });

let broker: EmbeddedBroker;
let store: Store;
let dir: string;
let runs = 0;

beforeAll(async () => {
  [broker, store] = await Promise.all([startEmbeddedBroker(), openTempStore()]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-faults-mqtt-'));
});

afterAll(async () => {
  await store?.close();
  await broker?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Records every `$state` a lab's liquid handlers publish. */
async function watchStates(lab: string): Promise<{ states: Map<string, string[]>; close: () => Promise<void> }> {
  const u = new URL(broker.url);
  const client = new MqttClient(() => net.connect({ host: u.hostname, port: Number(u.port), noDelay: true }), { clientId: `probe-${randomBytes(3).toString('hex')}`, protocolVersion: 4, manualConnect: true });
  const states = new Map<string, string[]>();
  client.on('message', (topic, payload) => {
    const device = topic.split('/')[4] ?? '?';
    states.set(device, [...(states.get(device) ?? []), payload.toString()]);
  });
  await new Promise<void>((resolve) => {
    client.once('connect', () => resolve());
    client.connect();
  });
  await client.subscribeAsync(`sdl/v1/${lab}/liquid-handler/+/$state`, { qos: 1 });
  return { states, close: () => client.endAsync() };
}

interface TwinRun {
  rows: ResultRow[];
  docs: LabDocument[];
  twins: MqttLiquidHandlerTwin[];
  injectors: RecordingInjector[];
  states: Map<string, string[]>;
}

/** A dry run against two liquid-handler twins in this process; `rules` are forced on lh-pair1. */
async function twinRun(rules: FaultRule[]): Promise<TwinRun> {
  const lab = `f-${randomBytes(4).toString('hex')}`;
  const watcher = await watchStates(lab);
  const injectors = [rules, []].map((r, i) => new RecordingInjector(new RuleFaultInjector(new Rng(i + 1), r)));
  const twins = injectors.map(
    (faults, i) =>
      new MqttLiquidHandlerTwin({
        lab,
        core: new LiquidHandlerCore({ deviceId: `lh-pair${i + 1}`, world: new SimulatedWorld(spec.stocks), clock: new InstantClock(), rng: new Rng(10 + i), faults, precipitation: oerPrecipitation }),
        broker: { url: broker.url, clientId: `twin-${lab}-${i}`, reconnect: { initialDelay_s: 0.2, maxDelay_s: 1, factor: 2 } },
        publishCells: true,
      }),
  );
  await Promise.all(twins.map((t) => t.start()));
  const stations: StationsFile = {
    schema: 'labloop.stations.v1',
    lab,
    broker: { url: broker.url },
    pairs: [1, 2].map((i) => ({ id: `pair${i}`, liquidHandler: { id: `lh-pair${i}` } })),
  };
  try {
    const outDir = path.join(dir, `run-${++runs}`);
    const summary = await runDryRun({ spec, config, logger: silentLogger, seed: 3, outDir, clock: 'instant', transport: 'twin', stations, store, campaignId: `${spec.id}-${path.basename(outDir)}` });
    expect(summary.result.state).toBe('completed');
    return { rows: await resultRows(outDir), docs: await store.documents.after(summary.campaignId, 0, 100_000), twins, injectors, states: watcher.states };
  } finally {
    await Promise.all(twins.map((t) => t.stop()));
    await watcher.close();
  }
}

const faultDocs = (r: TwinRun) => r.docs.filter((d): d is Extract<LabDocument, { type: 'fault' }> => d.type === 'fault');
/** Times each command was executed by a twin's device (one `run`-phase check per execution). */
const executionsOf = (inj: RecordingInjector) => {
  const n = new Map<string, number>();
  for (const s of inj.sites) if (s.phase === 'run' && s.commandId) n.set(s.commandId, (n.get(s.commandId) ?? 0) + 1);
  return n;
};

describe('transport faults over the MQTT twin, through the whole loop', () => {
  it('lost reply: the agent times out, asks for the run state, gets the stored result; the step runs once', async () => {
    const r = await twinRun([{ code: 'LOST_REPLY', nth: [2] }]);
    expect(r.rows.map((x) => x.status)).toEqual(['completed', 'completed']);
    expect(r.twins[0]?.stats.lostReplies).toBe(1);
    expect(faultDocs(r)).toHaveLength(0);
    const lost = r.injectors[0]?.inner.injected[0]?.site.commandId ?? '';
    expect(r.twins[0]?.core.commandState(lost).runStatus).toBe('succeeded');
    expect([...executionsOf(r.injectors[0]!).values()].every((n) => n === 1)).toBe(true);
  });

  it('duplicate delivery: the device runs the command once and resends the stored reply', async () => {
    const r = await twinRun([{ code: 'DUPLICATE_DELIVERY', nth: [1, 2, 3] }]);
    expect(r.rows.map((x) => x.status)).toEqual(['completed', 'completed']);
    expect(r.injectors[0]?.inner.count('DUPLICATE_DELIVERY')).toBe(3);
    const twin = r.twins[0]!;
    expect(twin.stats.received).toBe(twin.core.executions + 3);
    expect([...executionsOf(r.injectors[0]!).values()].every((n) => n === 1)).toBe(true);
    expect(faultDocs(r)).toHaveLength(0);
  });

  it('expired command: refused by the device, retried by the engine with a new commandId', async () => {
    const r = await twinRun([{ code: 'COMMAND_EXPIRED', nth: [2] }]);
    expect(r.rows.map((x) => x.status)).toEqual(['completed', 'completed']);
    expect(faultDocs(r).map((d) => [d.payload.device, d.payload.failure.code, d.payload.attempt])).toEqual([['lh-pair1', 'COMMAND_EXPIRED', 0]]);
    const commands = r.injectors[0]!.sites.filter((s) => s.phase === 'command' && s.operation === 'run_protocol').map((s) => s.commandId);
    expect(commands.length).toBeGreaterThanOrEqual(2);
    expect(commands[1]).not.toBe(commands[0]); // the refused one, then its retry
  });

  it('device lost mid-run and back: the broker publishes `lost`, the twin reconnects, the trial completes', async () => {
    const r = await twinRun([{ code: 'DEVICE_LOST', nth: [2] }]);
    expect(r.rows.map((x) => x.status)).toEqual(['completed', 'completed']);
    const states = r.states.get('lh-pair1') ?? [];
    const lost = states.indexOf('lost');
    expect(lost, states.join(' ')).toBeGreaterThan(0);
    expect(states.slice(lost + 1)).toContain('ready');
    expect(r.states.get('lh-pair2') ?? []).not.toContain('lost');
  });
});

/** Spawns `labloop <args>` and resolves once it printed `serving` (with its stdout so far). */
function spawnCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/labloop.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "serving" from labloop ${args.join(' ')}: ${output}`)), 90_000);
    const onData = (b: Buffer): void => {
      output += b.toString();
      if (/serving/.test(output)) {
        clearTimeout(timer);
        resolve({ child, output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    child.once('exit', (code) => reject(new Error(`labloop ${args.join(' ')} exited (${code}): ${output}`)));
  });
}

describe('standalone simulated instruments: a dry run spanning processes', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  });

  it('drives `labloop sim liquid-handler` and `labloop sim echem-station` child processes from a stations file', async () => {
    const lab = `x-${randomBytes(4).toString('hex')}`;
    const env = { LABLOOP_LOG_LEVEL: 'warn', LABLOOP_PKI_DIR: path.join(ROOT, 'tests/.artifacts/opcua-pki/faults-mqtt') };
    const [lh1, lh2, es] = await Promise.all([
      spawnCli(['sim', 'liquid-handler', '--broker', broker.url, '--id', 'lh-a', '--lab', lab, '--seed', '3'], env),
      spawnCli(['sim', 'liquid-handler', '--broker', broker.url, '--id', 'lh-b', '--lab', lab, '--seed', '4'], env),
      spawnCli(['sim', 'echem-station', '--port', '0', '--cells', 'pair1', '--broker', broker.url, '--lab', lab], env),
    ]);
    children.push(lh1.child, lh2.child, es.child);
    const endpoint = /opc\.tcp:\/\/[^\s)]+/.exec(es.output)?.[0];
    expect(endpoint).toBeDefined();
    const file = path.join(dir, 'stations.yaml');
    await writeFile(
      file,
      [
        `lab: ${lab}`,
        `broker: { url: "${broker.url}" }`,
        'pairs:',
        '  - id: pair1',
        '    liquidHandler: { id: lh-a }',
        `    echem: { endpoint: "${endpoint}", unit: pair1 }`,
        '  - id: pair2 # measured in this process, from the cell link',
        '    liquidHandler: { id: lh-b }',
      ].join('\n'),
    );
    const stations = await loadStationsFile(file);
    const outDir = path.join(dir, 'external');
    const summary = await runDryRun({ spec: { ...spec, budget: { trials: 4 } }, config: loadConfig({}, { pkiDir: env.LABLOOP_PKI_DIR }), logger: silentLogger, seed: 9, outDir, clock: 'instant', transport: 'twin', stations, store });
    expect(summary.result.state).toBe('completed');
    const result = await resultRows(outDir);
    expect(result).toHaveLength(4);
    // Both stations measured real samples (an empty cell would fail NO_SAMPLE_IN_CELL).
    expect(result.every((x) => x.status === 'completed')).toBe(true);
    expect(new Set(result.map((x) => x.station))).toEqual(new Set(['pair1', 'pair2']));
  }, 180_000);

  it('refuses bad arguments with the usage exit code', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/labloop.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
    const bad = run(['sim', 'liquid-handler', '--broker', 'mqtt://127.0.0.1:1', '--id', 'Not_An_Id']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--id must be 1-64 characters/);
    expect(run(['sim', 'echem-station', '--port', '0', '--cells', 'a b']).status).toBe(2);
    expect(run(['dry-run', '--stations-file', path.join(dir, 'missing.yaml')]).stderr).toMatch(/missing\.yaml: invalid stations file/);
  });

  it('refuses a stations file with the path of every bad field', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'pairs:\n  - id: Pair 1\n    liquidHandler: {}\n    echem: { endpoint: "http://x", unit: c }\n');
    await expect(loadStationsFile(file)).rejects.toMatchObject({
      name: 'StationsFileError',
      issues: expect.arrayContaining([
        expect.objectContaining({ path: 'pairs.0.id' }),
        expect.objectContaining({ path: 'pairs.0.liquidHandler.id' }),
        expect.objectContaining({ path: 'pairs.0.echem.endpoint' }),
      ]),
    });
  });
});
