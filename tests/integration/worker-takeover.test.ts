import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LEASE_TTL_MS } from '../../src/app/command-queue-lease.ts';
import { createTempDatabase, type TempDatabase } from '../helpers/db.ts';
import { CAMPAIGN_FILE, journalCount, journalDirOf, labloop, startAndKill, type KillResumeOptions } from '../helpers/kill-resume.ts';

/**
 * Several processes, one PostgreSQL (issue 14): a runner is kill -9'd; a `labloop worker` in another process takes its
 * campaign over once the lease expires (within 2 × the lease TTL) and runs it on; the audit stays clean.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('labloop worker', () => {
  it('takes over a campaign whose runner died within 2 × the lease TTL and continues it', { timeout: 600_000 }, async () => {
    const db: TempDatabase = await createTempDatabase();
    cleanups.push(() => db.drop());
    const dir = mkdtempSync(path.join(tmpdir(), 'labloop-worker-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const opts: KillResumeOptions = { dir, campaignId: 'takeover', seed: 31, trials: 10, killAfterMeasurements: 3, databaseUrl: db.url };
    expect(CAMPAIGN_FILE).toMatch(/oer-screen\.yaml$/);
    // The worker runs before the runner dies (as a standby process would): nothing to take while the lease is live.
    const worker = spawn(process.execPath, [path.resolve('bin/labloop.js'), 'worker', '--once', '--poll', '500', '--out', path.join(dir, 'worker-out')], {
      cwd: dir,
      env: { ...process.env, LABLOOP_LOG_LEVEL: 'warn', DATABASE_URL: db.url, LABLOOP_DB_CACHE_DIR: path.resolve('.labloop/cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let tookOverAt: number | undefined;
    worker.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (tookOverAt === undefined && /took over takeover/.test(stdout)) tookOverAt = performance.now();
    });
    worker.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    await startAndKill(opts);
    const killedAt = performance.now();
    const code = await new Promise<number | null>((r) => worker.on('exit', (c) => r(c)));
    expect(code, stderr).toBe(0);
    expect(tookOverAt).toBeDefined();
    const takeover_s = ((tookOverAt ?? 0) - killedAt) / 1000;
    // The lease of the killed runner expires after the TTL; the worker polls every 0.5 s.
    expect(takeover_s).toBeLessThan((2 * LEASE_TTL_MS) / 1000);
    expect(stdout).toMatch(/labloop worker: takeover (completed|paused)/);
    // The worker ran the campaign on: the devices measured more than before the kill.
    expect(journalCount(journalDirOf(opts), 'ps-', 'done')).toBeGreaterThan(3);
    if (/takeover paused/.test(stdout)) {
      const resumed = await labloop(['resume', 'takeover', '--recover', 'retry', '--out', path.join(dir, 'out'), '--quiet'], opts);
      expect(resumed.code, resumed.stderr).toBe(0);
    }
    const audit = await labloop(['audit', 'takeover'], opts);
    expect(audit.code, audit.stdout).toBe(0);
    process.stderr.write(`take-over after kill -9: ${takeover_s.toFixed(1)} s (lease TTL ${LEASE_TTL_MS / 1000} s)\n`);
  });
});
