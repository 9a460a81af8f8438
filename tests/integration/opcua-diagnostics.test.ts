import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * node-opcua writes its own diagnostics with console.log (≈ 20 lines per run: nodeset quirks such as "first one will
 * be used as parent", a Node-version notice, certificate creation). A dry run's stdout carries only what labloop
 * prints; the library's lines are debug records of the log on stderr.
 */
describe('node-opcua diagnostics', () => {
  it('stay off stdout in a dry run with the OPC UA twin, and reach the log at debug level', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-diag-'));
    try {
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [path.join(root, 'bin/labloop.js'), 'dry-run', '--trials', '2', '--stations', '1', '--out', path.join(dir, 'out'), '--db', path.join(dir, 'db')],
          { cwd: root, timeout: 240_000, env: { ...process.env, LABLOOP_LOG_LEVEL: 'debug', LABLOOP_PKI_DIR: path.join(dir, 'pki') }, maxBuffer: 64 * 1024 * 1024 },
          (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        ),
      );
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^labloop dry run: /);
      expect(lines.filter((l) => !/^(labloop dry run|campaign |trials: |best |lab time |wrote )/.test(l))).toEqual([]);
      const opcua = r.stderr.split('\n').filter((l) => l.includes('"lib":"node-opcua"'));
      expect(opcua.length).toBeGreaterThan(0);
      expect(opcua.every((l) => l.includes('"level":20'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // A dry run's start-up takes over a minute on a machine shared with other jobs.
  }, 300_000);
});
