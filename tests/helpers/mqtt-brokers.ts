import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MqttClient } from 'mqtt';
import { afterAll, beforeAll } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../simulators/embedded-broker.ts';

/** The machine's own Mosquitto (never restarted or bound by tests; we only connect to it). */
export const SYSTEM_MOSQUITTO_URL = 'mqtt://127.0.0.1:1883';

export const IN_CI = process.env['CI'] === 'true';

/** A lab id no other test run uses (topic segment `[a-z0-9-]`). */
export function uniqueLabId(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** True when an MQTT broker answers a CONNECT at `url` within `timeout_ms`. */
export async function brokerAnswers(url: string, timeout_ms = 1500): Promise<boolean> {
  const u = new URL(url);
  const client = new MqttClient(() => net.connect({ host: u.hostname, port: Number(u.port || 1883), noDelay: true }), {
    clientId: `probe-${randomBytes(4).toString('hex')}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: timeout_ms,
    manualConnect: true,
  });
  client.on('error', () => undefined);
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeout_ms);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
      client.once('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
      client.connect();
    });
  } finally {
    client.end(true);
  }
}

/**
 * Whether the Mosquitto suites run. In CI (CI=true) they always run, so a missing broker fails them; elsewhere a
 * missing broker skips them with a loud message.
 */
export async function mosquittoGate(): Promise<{ run: boolean; available: boolean }> {
  const available = await brokerAnswers(SYSTEM_MOSQUITTO_URL);
  if (!available && !IN_CI) {
    process.stderr.write(`\n*** Mosquitto is not reachable at ${SYSTEM_MOSQUITTO_URL}: SKIPPING the Mosquitto suites (they FAIL in CI) ***\n\n`);
  }
  return { run: available || IN_CI, available };
}

export function requireBroker(available: boolean): void {
  if (!available) throw new Error(`Mosquitto is required in CI but does not answer at ${SYSTEM_MOSQUITTO_URL}`);
}

/** A raw MQTT test client (no labloop code in the way) with TCP_NODELAY. */
export async function rawClient(url: string, clientId: string, protocolVersion: 4 | 5 = 4): Promise<MqttClient> {
  const u = new URL(url);
  const client = new MqttClient(() => net.connect({ host: u.hostname, port: Number(u.port || 1883), noDelay: true }), {
    clientId,
    protocolVersion,
    reconnectPeriod: 0,
    manualConnect: true,
  });
  client.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`raw client ${clientId}: no CONNACK`)), 3000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  return client;
}

/** Collects messages on a topic filter until `predicate` holds or the timeout passes. */
export function nextMessage(client: MqttClient, predicate: (topic: string, payload: Buffer) => boolean, timeout_ms = 3000): Promise<{ topic: string; payload: Buffer }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener('message', onMessage);
      reject(new Error(`no matching message within ${timeout_ms} ms`));
    }, timeout_ms);
    const onMessage = (topic: string, payload: Buffer): void => {
      if (!predicate(topic, payload)) return;
      clearTimeout(timer);
      client.removeListener('message', onMessage);
      resolve({ topic, payload });
    };
    client.on('message', onMessage);
  });
}

/** A free TCP port on loopback (bound and released; a small race with other processes remains). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** True when a `mosquitto` binary is on PATH (the private-broker tests need one). */
export function mosquittoBinaryAvailable(): boolean {
  return spawnSync('mosquitto', ['-h']).error === undefined;
}

export interface PrivateMosquitto {
  url: string;
  port: number;
  /** Folder of the config and the persistence file. */
  dir: string;
  /** Graceful stop (SIGTERM: a persistent broker writes its sessions and queued messages to disk), then start again on the same port. */
  restart(downtime_ms?: number): Promise<void>;
  stop(): Promise<void>;
  /** Broker log lines so far (for a failing test's message). */
  log(): string;
}

/**
 * A Mosquitto process of the test's own on a free loopback port (MQTT 5 and 3.1.1), with a temp config; with
 * `persistence` the sessions and queued QoS 1 messages survive a restart. Stopped by its pid, never by name.
 */
export async function startPrivateMosquitto(options: { persistence?: boolean } = {}): Promise<PrivateMosquitto> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labloop-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `persistence ${options.persistence ? 'true' : 'false'}`, `persistence_location ${dir}/`, 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice'];
  if (process.getuid?.() === 0) lines.push('user root');
  fs.writeFileSync(conf, `${lines.join('\n')}\n`);
  const url = `mqtt://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let logText = '';
  const start = async (): Promise<void> => {
    const proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr?.on('data', (d: Buffer) => (logText += d.toString()));
    const end = Date.now() + 5000;
    while (!(await brokerAnswers(url, 300))) {
      if (proc.exitCode !== null || Date.now() > end) throw new Error(`private mosquitto on ${port} did not start: ${logText}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url,
    port,
    dir,
    async restart(downtime_ms = 0) {
      await stop();
      if (downtime_ms > 0) await new Promise((r) => setTimeout(r, downtime_ms));
      await start();
    },
    async stop() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    log: () => logText,
  };
}

/** Polls `check` every 10 ms until it holds; throws naming `what` after `timeout_ms`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeout_ms = 5000): Promise<void> {
  const end = Date.now() + timeout_ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts an embedded aedes broker before the suite's tests and closes it after them; returns its getter. */
export function useEmbeddedBroker(): () => EmbeddedBroker {
  let broker: EmbeddedBroker | undefined;
  beforeAll(async () => {
    broker = await startEmbeddedBroker();
  });
  afterAll(async () => {
    await broker?.close();
  });
  return () => {
    if (!broker) throw new Error('the embedded broker is started in beforeAll');
    return broker;
  };
}
