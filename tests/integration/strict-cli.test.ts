import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const labloop = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/labloop.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('labloop refuses bad input files with exit code 2', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-strict-cli-'));
  const campaign = readFileSync(path.join(root, 'examples/oer-screen.yaml'), 'utf8');

  it('a typo inside safety names the path and the key meant, and runs nothing', () => {
    const file = path.join(dir, 'typo.yaml');
    writeFileSync(file, campaign.replace(/^safety:\n/m, 'safety:\n  maxStokVolume: { Ni: 100 }\n'));
    const out = path.join(dir, 'out-typo');
    const r = labloop('dry-run', file, '--out', out, '--db', path.join(dir, 'db'), '--quiet');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('safety.maxStokVolume: unknown key (did you mean maxStockVolume?)');
    expect(r.stdout).toBe('');
  });

  it('a non-UTF-8 campaign file', () => {
    const file = path.join(dir, 'latin1.yaml');
    writeFileSync(file, Buffer.from(campaign.replace('title:', 'title: caf\u00e9 #'), 'latin1'));
    const r = labloop('dry-run', file, '--out', path.join(dir, 'out-latin1'), '--db', path.join(dir, 'db'), '--quiet');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not UTF-8 text/);
  });
});
