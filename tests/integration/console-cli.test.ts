import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removePgliteDir, tempPgliteDir } from '../helpers/db.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/labloop.js');
const env = { ...process.env, LABLOOP_CONSOLE_TOKENS: '', LABLOOP_LOG_LEVEL: 'warn' };
const labloop = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, env });

describe('labloop serve and dry-run --console flags', () => {
  it('refuses a console without tokens (unless --insecure-local) and human approval without a console, with exit code 2', () => {
    const serve = labloop('serve', '--port', '0', '--db', 'memory://');
    expect(serve.status).toBe(2);
    expect(serve.stderr).toMatch(/the console needs tokens: set LABLOOP_CONSOLE_TOKENS/);
    const approval = labloop('dry-run', '--approval', 'human', '--trials', '1', '--transport', 'sim');
    expect(approval.status).toBe(2);
    expect(approval.stderr).toMatch(/human approval needs the console: add --console/);
    const tokenless = labloop('dry-run', '--console', '0', '--trials', '1', '--transport', 'sim', '--db', 'memory://');
    expect(tokenless.status).toBe(2);
    expect(tokenless.stderr).toMatch(/the console needs tokens/);
    expect(labloop('dry-run', '--approval', 'sometimes').status).toBe(2);
  });

  it('serve --insecure-local prints its URL, warns loudly, answers, and stops on SIGINT with exit code 0', async () => {
    const dir = tempPgliteDir();
    try {
      const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--insecure-local', '--db', dir], { cwd: root, env });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const deadline = Date.now() + 45_000;
      while (!/labloop console: (http:\/\/\S+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const url = /labloop console: (http:\/\/\S+)/.exec(out)?.[1];
      expect(url, `stdout: ${out}\nstderr: ${err}`).toBeDefined();
      expect(err).toMatch(/WARNING — --insecure-local/);
      expect(err).toMatch(/CONSOLE IS INSECURE/);
      const me = (await (await fetch(`${url}/api/me`)).json()) as { role: string; insecure: boolean };
      expect(me).toMatchObject({ role: 'admin', insecure: true });
      expect(await (await fetch(`${url}/api/campaigns`)).json()).toEqual({ ok: true, campaigns: [] });
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      removePgliteDir(dir);
    }
  }, 60_000);
});
