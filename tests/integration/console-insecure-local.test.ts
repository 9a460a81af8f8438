import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConsoleServer } from '../../src/console/index.ts';
import { DocumentBus } from '../../src/protocol/index.ts';
import { MemoryReader, startTestServer } from '../unit/console/server-harness.ts';

/**
 * `--insecure-local` (a console without tokens) stays on this machine (issue 15, item 8): the console server refuses to
 * listen anywhere but a loopback address, and `labloop serve` refuses the combination as bad usage (exit 2) before
 * opening anything.
 */
const root = path.resolve(import.meta.dirname, '../..');

describe('--insecure-local is loopback-only', () => {
  const servers: ConsoleServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('the console server refuses a tokenless console on an address that is not loopback, and serves one on loopback', async () => {
    const bus = new DocumentBus();
    for (const host of ['0.0.0.0', '::', '192.0.2.10', 'lab-pc.example'])
      await expect(startTestServer({ reader: new MemoryReader(bus, 0), bus, insecureLocal: true, host }), host).rejects.toThrow(`--insecure-local serves only on a loopback address, not ${host}`);
    for (const host of ['127.0.0.1', 'localhost']) {
      const server = await startTestServer({ reader: new MemoryReader(bus, 0), bus, insecureLocal: true, host });
      servers.push(server);
      const me = (await (await fetch(`http://127.0.0.1:${server.port}/api/me`)).json()) as { role: string; insecure: boolean };
      expect(me).toMatchObject({ role: 'admin', insecure: true });
    }
    // With tokens (no --insecure-local) any interface is allowed; a tokenless request is refused there.
    const open = await startTestServer({ reader: new MemoryReader(bus, 0), bus, host: '0.0.0.0' });
    servers.push(open);
    expect((await fetch(`http://127.0.0.1:${open.port}/api/me`)).status).toBe(401);
  });

  it('labloop serve --insecure-local on 0.0.0.0 is a usage error (exit 2) naming the rule', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/labloop.js'), 'serve', '--host', '0.0.0.0', '--port', '0', '--insecure-local', '--db', 'memory://'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, LABLOOP_CONSOLE_TOKENS: '', LABLOOP_LOG_LEVEL: 'warn' },
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--insecure-local serves only on a loopback address .*not 0\.0\.0\.0/);
    expect(r.stdout).not.toMatch(/labloop console: http/);
  });
});
