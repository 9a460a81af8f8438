import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

describe('labloop output streams', () => {
  it('a dry run prints only its own output on stdout; --quiet leaves only errors on stderr even at LABLOOP_LOG_LEVEL=info', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-output-'));
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'bin/labloop.js'), 'dry-run', '--trials', '2', '--stations', '1', '--quiet', '--out', path.join(dir, 'out'), '--db', path.join(dir, 'db')],
      { cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, LABLOOP_LOG_LEVEL: 'info' } },
    );
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.trim().split('\n');
    expect(out[0]).toMatch(/^labloop dry run: /);
    expect(out.at(-1)).toMatch(/^wrote .*results\.csv/);
    // No log record, no node-opcua diagnostics, no progress bar on stdout.
    for (const line of out) {
      expect(line).not.toMatch(/^\s*[{[]/);
      expect(line).not.toMatch(/"level"|first one will be used|node-opcua|\[-+\]|trials ·/);
    }
    expect(out.length).toBeLessThan(12);
    // --quiet: nothing below error reaches stderr (the JSON lines would say "level":30/40).
    expect(r.stderr).not.toMatch(/"level":(10|20|30|40)/);
  }, 300_000);
});
