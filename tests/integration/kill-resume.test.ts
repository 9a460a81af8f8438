import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCampaignsCommand } from '../../src/cli/export-command.ts';
import { createTempDatabase, type TempDatabase } from '../helpers/db.ts';
import { CAMPAIGN_FILE, journalCount, journalDirOf, killAndResume, labloop, type KillResumeOptions, type KillResumeResult } from '../helpers/kill-resume.ts';

/**
 * Issue 14's proof, at a few points: a dry run is kill -9'd (its simulated instruments die with it, as in a power
 * cut), resumed until its budget is spent (trials whose step had an unknown fate are retried by `--recover retry`),
 * and audited: budget completed, 0 lost measurements, every commandId executed at most once by the devices.
 * `npm run bench:resume` runs 20 kill points on both databases.
 */

const dirs: string[] = [];
const databases: TempDatabase[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const db of databases) await db.drop();
});

/** Runs `fn` with stdout and stderr captured. */
async function captured(fn: () => Promise<void>): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((chunk: string) => ((out.stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((out.stderr += chunk), true)) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  return out;
}

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'labloop-kill-'));
  dirs.push(d);
  return d;
}

function expectIntact(r: KillResumeResult, id: string, budget: number): void {
  expect(r.audit.ok, JSON.stringify(r.audit.checks)).toBe(true);
  for (const c of r.audit.checks) expect(c.violations, c.name).toEqual([]);
  const listed = r.campaigns.find((c) => c.id === id);
  expect(listed?.status).toBe('completed');
  expect(listed?.trials).toEqual({ done: budget, budget });
}

describe('kill -9 and resume', () => {
  it('PGlite: killed before the first measurement and mid-campaign, resumed to the full budget with a clean audit', { timeout: 900_000 }, async () => {
    for (const [i, killAfter] of [0, 6].entries()) {
      const opts: KillResumeOptions = { dir: tempDir(), campaignId: `kill-pglite-${i}`, seed: 11 + i, trials: 12, killAfterMeasurements: killAfter };
      const r = await killAndResume(opts);
      expect(r.killedAfterMeasurements).toBeGreaterThanOrEqual(killAfter);
      expect(r.resumes).toBeGreaterThanOrEqual(1);
      expectIntact(r, opts.campaignId, 12);
      // The devices' logs: every command once, and more commands than before the kill (the campaign went on).
      expect(journalCount(r.journalDir, 'ps-', 'done')).toBeGreaterThan(r.killedAfterMeasurements);
    }
  });

  it('PostgreSQL: killed mid-campaign, resumed to the full budget with a clean audit', { timeout: 600_000 }, async () => {
    const db = await createTempDatabase();
    databases.push(db);
    const opts: KillResumeOptions = { dir: tempDir(), campaignId: 'kill-pg', seed: 21, trials: 12, killAfterMeasurements: 4, databaseUrl: db.url };
    const r = await killAndResume(opts);
    expectIntact(r, opts.campaignId, 12);
    // The resume process's own CPU time up to its first new command is read (Linux /proc).
    if (r.resumeToFirstDispatch_s !== undefined && process.platform === 'linux') expect(r.resumeToFirstDispatchCpu_s).toBeGreaterThan(0);
  });

  it('through the real twins (MQTT liquid handlers, OPC UA stations): killed mid-campaign, resumed to the full budget, every commandId once', { timeout: 1_200_000 }, async () => {
    const opts: KillResumeOptions = { dir: tempDir(), campaignId: 'kill-twin', seed: 31, trials: 8, killAfterMeasurements: 3, transport: 'twin', timeoutMs: 900_000 };
    const r = await killAndResume(opts);
    expect(r.killedAfterMeasurements).toBeGreaterThanOrEqual(3);
    expectIntact(r, opts.campaignId, 8);
    expect(journalCount(r.journalDir, 'ps-', 'done')).toBeGreaterThan(r.killedAfterMeasurements);
  });

  it('lists a live PGlite run; SIGTERM pauses it (trials in flight finish, outputs written), exits 130, and the campaign resumes to completion', { timeout: 600_000 }, async () => {
    const dir = tempDir();
    const opts: KillResumeOptions = { dir, campaignId: 'signal-pglite', seed: 5, trials: 12, killAfterMeasurements: 0 };
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [path.resolve('bin/labloop.js'), 'dry-run', CAMPAIGN_FILE, '--transport', 'sim', '--agent', 'random', '--quiet', '--trials', '12', '--seed', '5', '--id', opts.campaignId, '--db', path.join(dir, 'db'), '--out', path.join(dir, 'out')], {
      cwd: dir,
      env: { ...process.env, LABLOOP_LOG_LEVEL: 'warn', DATABASE_URL: '', LABLOOP_DB_CACHE_DIR: path.resolve('.labloop/cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    let code: number | null | undefined;
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r((code = c))));
    const journal = journalDirOf(opts);
    while (journalCount(journal, 'ps-', 'done') < 3) {
      if (code !== undefined) throw new Error(`the dry run ended early (${code}): ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // While the run holds the PGlite folder, `labloop campaigns` shows the listing the run keeps beside it.
    // (in this process: a second `labloop` process takes long enough to start that the run could be over by then)
    const during = await captured(() => runCampaignsCommand({ db: path.join(dir, 'db'), json: true }));
    expect(during.stderr).toMatch(/in use by process \d+; showing its live listing/);
    expect(JSON.parse(during.stdout)).toEqual([expect.objectContaining({ id: 'signal-pglite', status: 'running', trials: expect.objectContaining({ budget: 12 }) })]);
    child.kill('SIGTERM');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/SIGTERM: pausing/);
    expect(stderr).toMatch(/continue with `labloop resume signal-pglite`/);
    expect(existsSync(path.join(dir, 'out', 'results.csv'))).toBe(true);
    // Nothing was left half-done: every command the devices started, they finished.
    expect(journalCount(journal, 'lh-', 'accepted')).toBe(journalCount(journal, 'lh-', 'done'));
    expect(journalCount(journal, 'ps-', 'accepted')).toBe(journalCount(journal, 'ps-', 'done'));
    const listed = JSON.parse((await labloop(['campaigns', '--db', path.join(dir, 'db'), '--json'], opts)).stdout) as { id: string; status: string; trials: { done: number } }[];
    expect(listed[0]).toMatchObject({ id: 'signal-pglite', status: 'paused' });
    expect(listed[0]?.trials.done).toBeLessThan(12);
    const resumed = await labloop(['resume', 'signal-pglite', '--db', path.join(dir, 'db'), '--out', path.join(dir, 'out2'), '--quiet'], opts);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/campaign signal-pglite: completed/);
    const audit = await labloop(['audit', 'signal-pglite', '--db', path.join(dir, 'db')], opts);
    expect(audit.code, audit.stdout).toBe(0);
    expect(audit.stdout).toMatch(/clean/);
  });
});
