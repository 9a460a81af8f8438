import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { TokenAuth } from '../../src/console/auth.ts';

const root = path.resolve(import.meta.dirname, '../..');
const labloop = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [path.join(root, 'bin/labloop.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, env });

describe('CLI polish', () => {
  it('tokens create prints a LABLOOP_CONSOLE_TOKENS entry the console accepts', () => {
    const r = labloop(['tokens', 'create', '--role', 'operator', '--actor', 'alice']);
    expect(r.status).toBe(0);
    const entry = r.stdout.trim();
    expect(entry).toMatch(/^alice:operator:[A-Za-z0-9_-]{43}$/);
    const config = loadConfig({ LABLOOP_CONSOLE_TOKENS: entry });
    const auth = new TokenAuth({ tokens: config.console.tokens, insecureLocal: false });
    expect(auth.authenticate(entry.split(':')[2])).toMatchObject({ ok: true, principal: { actor: 'alice', role: 'operator' } });
    expect(labloop(['tokens', 'create', '--role', 'operator']).stdout).not.toBe(r.stdout);
    const bad = labloop(['tokens', 'create', '--role', 'boss']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--role must be viewer, operator, admin/);
  });

  it('export of an unknown campaign is an input error: exit 2', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-polish-'));
    const r = labloop(['export', 'no-such-campaign', '--db', path.join(dir, 'db'), '--out', path.join(dir, 'out')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no campaign "no-such-campaign"/);
  });

  it("README's serve example works as written: a token from tokens create opens the API", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-serve-'));
    const entry = labloop(['tokens', 'create', '--role', 'viewer', '--actor', 'me']).stdout.trim();
    const token = entry.split(':')[2] ?? '';
    const child = spawn(process.execPath, [path.join(root, 'bin/labloop.js'), 'serve', '--port', '0', '--db', path.join(dir, 'db')], { cwd: root, env: { ...process.env, LABLOOP_CONSOLE_TOKENS: entry } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /labloop console: (http:\/\/\S+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
        setTimeout(() => reject(new Error('serve did not start')), 90_000);
      });
      const me = await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ actor: 'me', role: 'viewer' });
      expect((await fetch(`${url}/api/me`)).status).toBe(401);
    } finally {
      child.kill('SIGINT');
    }
  }, 120_000);
});
