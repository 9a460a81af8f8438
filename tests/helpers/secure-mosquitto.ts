import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './mqtt-brokers.ts';

/** The Mosquitto binary of the machine (Debian puts it in /usr/sbin, which is not always on PATH). */
export const MOSQUITTO_BIN = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => fs.existsSync(p)) ?? 'mosquitto';

export interface SecureMosquitto {
  /** `mqtt://127.0.0.1:<port>`: password required, no TLS. */
  plainUrl: string;
  /** `mqtts://127.0.0.1:<port>`: password required, TLS with a certificate of `caFile`. */
  tlsUrl: string;
  /** PEM of the test CA that signed the broker's certificate (in `dir`). */
  caFile: string;
  dir: string;
  stop(): Promise<void>;
  log(): string;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

/** A CA and a server certificate for 127.0.0.1 / localhost, made with openssl in `dir` (RSA 2048, one day). */
export function makeTestCertificates(dir: string): { caFile: string; certFile: string; keyFile: string } {
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=labloop test CA'], dir);
  run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n');
  run('openssl', ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext'], dir);
  return { caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'server.pem'), keyFile: path.join(dir, 'server.key') };
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A Mosquitto of the test's own with two loopback listeners on free ports — plain and TLS — both refusing anonymous
 * clients and checking a password file made with mosquitto_passwd; certificates by openssl in a temp folder. Stopped
 * by its pid, never by name.
 */
export async function startSecureMosquitto(users: Record<string, string>): Promise<SecureMosquitto> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labloop-mosquitto-secure-'));
  const { caFile, certFile, keyFile } = makeTestCertificates(dir);
  const passwd = path.join(dir, 'passwd');
  fs.writeFileSync(passwd, '');
  for (const [user, password] of Object.entries(users)) run('mosquitto_passwd', ['-b', passwd, user, password], dir);
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const lines = [
    'per_listener_settings false',
    'allow_anonymous false',
    `password_file ${passwd}`,
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    `listener ${plainPort} 127.0.0.1`,
    `listener ${tlsPort} 127.0.0.1`,
    `cafile ${caFile}`,
    `certfile ${certFile}`,
    `keyfile ${keyFile}`,
  ];
  if (process.getuid?.() === 0) lines.push('user root');
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let logText = '';
  child.stderr?.on('data', (d: Buffer) => (logText += d.toString()));
  const end = Date.now() + 5000;
  while (!((await listening(plainPort)) && (await listening(tlsPort)))) {
    if (child.exitCode !== null || Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`private mosquitto did not start: ${logText}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    plainUrl: `mqtt://127.0.0.1:${plainPort}`,
    tlsUrl: `mqtts://127.0.0.1:${tlsPort}`,
    caFile,
    dir,
    log: () => logText,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
