import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueLabId } from '../helpers/mqtt-brokers.ts';
import { startSecureMosquitto, type SecureMosquitto } from '../helpers/secure-mosquitto.ts';

/**
 * MQTT credentials and TLS against a real broker (issue 15, item 8): a Mosquitto of the test's own that refuses
 * anonymous clients, with a password file made by mosquitto_passwd and a TLS listener whose certificate a test CA
 * (openssl, at test time) signed. A dry run drives a `labloop sim liquid-handler` process through labloop's own
 * connection, made from the stations file's broker URL, username, password and `tls.caFile`; a wrong password or an
 * untrusted certificate fails fast with the broker and the reason, exit code 2 (a configuration the user fixes).
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const LABLOOP_PASSWORD = 'Lab-L00p-mqtt-S3cret-7431';
const DEVICE_PASSWORD = 'Dev1ce-mqtt-S3cret-2718';
const WRONG_PASSWORD = 'Wr0ng-mqtt-Passw0rd-5150';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `labloop <args>` with no LABLOOP_MQTT_* of the caller's environment; resolves with its exit code and output. */
function labloop(args: string[], env: Record<string, string>, timeout_ms = 240_000): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LABLOOP_MQTT_')));
  const t0 = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/labloop.js'), ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout_ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('MQTT username/password and TLS against a private Mosquitto', () => {
  let broker: SecureMosquitto;
  let device: ChildProcess | undefined;
  /** What `labloop sim liquid-handler` printed on stdout (its `serving` line only: logs go to stderr). */
  let deviceStdout = '';
  let dir: string;
  const lab = uniqueLabId('tls');

  beforeAll(async () => {
    broker = await startSecureMosquitto({ labloop: LABLOOP_PASSWORD, device: DEVICE_PASSWORD });
    dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-mqtt-tls-'));
    // The stations file names its CA relative to its own folder.
    copyFileSync(broker.caFile, path.join(dir, 'broker-ca.pem'));
    // The simulated liquid handler logs in on the plain listener with its own account.
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/labloop.js'), 'sim', 'liquid-handler', '--broker', broker.plainUrl, '--id', 'lh-1', '--lab', lab], {
      cwd: ROOT,
      env: { ...process.env, LABLOOP_MQTT_USERNAME: 'device', LABLOOP_MQTT_PASSWORD: DEVICE_PASSWORD, LABLOOP_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    device = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the simulated liquid handler did not serve: ${output}`)), 120_000);
      const onData = (b: Buffer): void => {
        output += b.toString();
        if (/serving/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', (b: Buffer) => (deviceStdout += b.toString()));
      child.stdout.on('data', onData);
      child.stderr.on('data', (b: Buffer) => (output += b.toString()));
      child.once('exit', (code) => reject(new Error(`the simulated liquid handler exited (${code}): ${output}\n${broker.log()}`)));
    });
  }, 180_000);

  afterAll(async () => {
    if (device && device.exitCode === null) {
      const exited = new Promise((r) => device?.once('exit', r));
      device.kill('SIGTERM');
      await exited;
    }
    await broker?.stop();
  });

  const stationsFile = (name: string, brokerLine: string | undefined): string => {
    const file = path.join(dir, name);
    writeFileSync(file, [`lab: ${lab}`, ...(brokerLine ? [brokerLine] : []), 'pairs:', '  - id: pair1', '    liquidHandler: { id: lh-1 }', ''].join('\n'));
    return file;
  };

  it('runs a short campaign through the TLS listener with the stations file\'s credentials and CA; the password is in no log, output or store', async () => {
    const file = stationsFile('stations.yaml', `broker: { url: "${broker.tlsUrl}", username: labloop, password: "${LABLOOP_PASSWORD}", tls: { caFile: broker-ca.pem } }`);
    const out = path.join(dir, 'ok-out');
    const db = path.join(dir, 'ok-db');
    const r = await labloop(['dry-run', '--stations-file', file, '--trials', '2', '--out', out, '--db', db], {
      LABLOOP_LOG_LEVEL: 'debug',
      LABLOOP_LOG_FORMAT: 'json',
      LABLOOP_PKI_DIR: path.join(dir, 'pki'),
    });
    expect(r.code, `${r.stderr.slice(-3000)}\n${broker.log()}`).toBe(0);
    const rows = readFileSync(path.join(out, 'results.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    // Completed trials: the liquid handler prepared real samples over the authenticated, encrypted connection.
    expect(rows.every((row) => row.split(',')[2] === 'completed'), rows.join('\n')).toBe(true);
    // The run logged its broker connection at debug level, so the search below is not vacuous.
    expect(r.stderr.split('\n').length).toBeGreaterThan(10);
    expect(r.stderr).toContain('external station pair connected');
    const places: [string, string][] = [
      ['stdout', r.stdout],
      ['stderr', r.stderr],
      ...filesUnder(out).map((f): [string, string] => [f, readFileSync(f, 'latin1')]),
      ...filesUnder(db).map((f): [string, string] => [f, readFileSync(f, 'latin1')]),
    ];
    expect(places.length).toBeGreaterThan(5);
    for (const [where, text] of places) expect(text.includes(LABLOOP_PASSWORD), `the MQTT password is in ${where}`).toBe(false);
    // stdout carries only what the commands print: no node-opcua diagnostics (its load-time crypto warning included).
    expect(r.stdout).not.toMatch(/NODE-OPCUA|verify_pcks1/);
    expect(deviceStdout.trim().split('\n')).toEqual([expect.stringMatching(/^labloop sim: liquid handler lh-1 serving on mqtt:\/\/127\.0\.0\.1:\d+ /)]);
  }, 300_000);

  it('a wrong password (stations file or LABLOOP_MQTT_*) or an untrusted broker certificate fails at once with the broker, the reason and exit code 2', async () => {
    const badFile = stationsFile('wrong-password.yaml', `broker: { url: "${broker.tlsUrl}", username: labloop, password: "${WRONG_PASSWORD}", tls: { caFile: broker-ca.pem } }`);
    const noCaFile = stationsFile('no-ca.yaml', `broker: { url: "${broker.tlsUrl}", username: labloop, password: "${LABLOOP_PASSWORD}" }`);
    const envFile = stationsFile('from-env.yaml', undefined);
    const common = (name: string): string[] => ['--trials', '1', '--quiet', '--out', path.join(dir, `${name}-out`), '--db', path.join(dir, `${name}-db`)];
    const pki = { LABLOOP_PKI_DIR: path.join(dir, 'pki') };
    // Three processes at once: on a loaded machine their start-up (database, modules) takes minutes, hence the limit.
    const [wrongInFile, wrongInEnv, untrusted] = await Promise.all([
      labloop(['dry-run', '--stations-file', badFile, ...common('bad')], pki, 540_000),
      labloop(['dry-run', '--stations-file', envFile, ...common('env')], {
        ...pki,
        LABLOOP_MQTT_URL: broker.tlsUrl,
        LABLOOP_MQTT_USERNAME: 'labloop',
        LABLOOP_MQTT_PASSWORD: WRONG_PASSWORD,
        LABLOOP_MQTT_CA_FILE: broker.caFile,
      }, 540_000),
      labloop(['dry-run', '--stations-file', noCaFile, ...common('noca')], pki, 540_000),
    ]);
    for (const r of [wrongInFile, wrongInEnv]) {
      expect(r.code, r.stderr.slice(-2000)).toBe(2);
      expect(r.stderr).toContain(`broker ${broker.tlsUrl} refused`);
      expect(r.stderr).toMatch(/not authorized/i);
      expect(r.stderr).toContain('check the MQTT username and password');
      expect(r.stderr.includes(WRONG_PASSWORD) || r.stdout.includes(WRONG_PASSWORD), 'the wrong password is echoed').toBe(false);
    }
    expect(untrusted.code, untrusted.stderr.slice(-2000)).toBe(2);
    expect(untrusted.stderr).toContain(`TLS to broker ${broker.tlsUrl} failed`);
    expect(untrusted.stderr).toMatch(/self-signed certificate in certificate chain/);
    expect(untrusted.stderr).toContain('tls.caFile');
    expect(untrusted.stderr.includes(LABLOOP_PASSWORD)).toBe(false);
    // None waited for the 10 s CONNACK timeout and retried on: each failed at the first refusal and exited
    // (a process kept alive by a reconnect timer would have been killed at the time limit with code null).
    for (const r of [wrongInFile, wrongInEnv, untrusted]) expect(r.stderr).not.toMatch(/no CONNACK/);
  }, 600_000);
});
