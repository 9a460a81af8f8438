import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabDocument } from '../../src/protocol/index.ts';
import { openStore } from '../../src/store/index.ts';
import { TEST_PGLITE_CACHE } from './db.ts';

/** Kill -9 a dry run at a point, resume it until it completes, and audit it: the proof of issue 14. */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'labloop.js');
export const CAMPAIGN_FILE = path.join(ROOT, 'examples', 'oer-screen.yaml');

export interface KillResumeOptions {
  /** Folder for the PGlite database (`<dir>/db`), the device logs beside it and the outputs. */
  dir: string;
  campaignId: string;
  seed: number;
  trials: number;
  /** Kill once the stations' run logs hold this many finished measurements (0: as soon as the first command starts). */
  killAfterMeasurements: number;
  /** PostgreSQL instead of PGlite. */
  databaseUrl?: string | undefined;
  stations?: number | undefined;
  /** `sim`: in-process simulators; `twin` (default of the bench): the real drivers over MQTT and OPC UA to the twins. */
  transport?: 'sim' | 'twin' | undefined;
  /** Give up on a step after this long, ms. */
  timeoutMs?: number | undefined;
  /** Kill when this turns true (polled every 20 ms) instead of at `killAfterMeasurements`. */
  killWhen?: (() => boolean) | undefined;
  /** The dry run's agent (default `random`). */
  agent?: string | undefined;
  /** The campaign file (default examples/oer-screen.yaml). */
  campaignFile?: string | undefined;
  /** Extra environment of every labloop process (e.g. a stub model's LABLOOP_LLM_BASE_URL). */
  env?: Record<string, string> | undefined;
  /** Extra environment of each `resume`, read as it starts (after `env`). */
  resumeEnv?: (() => Record<string, string>) | undefined;
  /** Runs after the kill, before the first `resume` (e.g. to read what the killed run stored). */
  afterKill?: (() => Promise<void>) | undefined;
  /** Extra arguments of the dry run (e.g. `--fault-rate 0.3`). */
  dryRunArgs?: string[] | undefined;
  /** Kill -9 the `resume` number `n` (1-based) too, when this turns true (polled every 20 ms); then resume again. */
  resumeKillWhen?: ((n: number) => boolean) | undefined;
  /** Runs after a `resume` was killed, before the next one. */
  afterResumeKill?: ((n: number) => Promise<void>) | undefined;
}

export interface KillResumeResult {
  killedAfterMeasurements: number;
  /** Wall time from `resume` start to its first new device command, s (undefined when nothing was left to run). */
  resumeToFirstDispatch_s: number | undefined;
  /** CPU time (user + system, every thread) of the `resume` process up to its first new device command, s (Linux only). */
  resumeToFirstDispatchCpu_s: number | undefined;
  resumes: number;
  /** Trials that waited for an operator after the kill (device step of unknown fate) and were retried with --recover. */
  awaitingRecovery: number;
  audit: AuditJson;
  campaigns: { id: string; status: string; trials: { done: number; budget: number } }[];
  journalDir: string;
}

export interface AuditJson {
  ok: boolean;
  state: string;
  checks: { name: string; ok: boolean; detail: string; violations: string[] }[];
  notes: string[];
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function env(opts: KillResumeOptions, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, LABLOOP_LOG_LEVEL: 'warn', LABLOOP_DB_CACHE_DIR: path.join(ROOT, '.labloop', 'cache'), ...opts.env, ...extra };
  if (opts.databaseUrl) e['DATABASE_URL'] = opts.databaseUrl;
  else delete e['DATABASE_URL'];
  return e;
}

function start(args: string[], opts: KillResumeOptions, extraEnv?: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: opts.dir, env: env(opts, extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
}

function finish(child: ChildProcess, timeoutMs: number): Promise<Ran> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`labloop did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function labloop(args: string[], opts: KillResumeOptions): Promise<Ran> {
  return finish(start(args, opts), opts.timeoutMs ?? 240_000);
}

/** Lines of a kind in the device logs of a folder. */
export function journalCount(journalDir: string, prefix: 'ps-' | 'lh-', event: 'accepted' | 'done'): number {
  if (!existsSync(journalDir)) return 0;
  let n = 0;
  for (const f of readdirSync(journalDir)) {
    if (!f.startsWith(prefix) || !f.endsWith('.jsonl')) continue;
    for (const line of readFileSync(path.join(journalDir, f), 'utf8').split('\n')) if (line.includes(`"e":"${event}"`)) n++;
  }
  return n;
}

export function journalDirOf(opts: KillResumeOptions): string {
  return opts.databaseUrl ? path.join(opts.dir, '.labloop', 'lab', opts.campaignId) : path.join(opts.dir, 'db.lab', opts.campaignId);
}

/** CPU time (user + system, every thread) a live process has used so far, s; undefined where /proc is missing. */
export function processCpu_s(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th of them.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}
/** Linux's USER_HZ, the unit of /proc/<pid>/stat times (100 on every common platform). */
const CLOCK_TICKS_PER_S = 100;

/** The last warnings and errors of a labloop process's structured log (what made a resume fail), one a line. */
function warnings(stderr: string, max = 20): string {
  return stderr
    .split('\n')
    .filter((l) => /"level":(40|50|60)\b/.test(l))
    .slice(-max)
    .join('\n');
}

/** Starts a dry run, waits for the kill point, kill -9's it. Returns the measurements finished at the kill. */
export async function startAndKill(opts: KillResumeOptions): Promise<number> {
  const journal = journalDirOf(opts);
  const args = ['dry-run', opts.campaignFile ?? CAMPAIGN_FILE, '--transport', opts.transport ?? 'sim', '--agent', opts.agent ?? 'random', '--quiet', '--trials', String(opts.trials), '--seed', String(opts.seed), '--id', opts.campaignId, '--db', path.join(opts.dir, 'db'), '--out', path.join(opts.dir, 'out-run')];
  if (opts.stations) args.push('--stations', String(opts.stations));
  args.push(...(opts.dryRunArgs ?? []));
  const child = start(args, opts);
  const done = finish(child, opts.timeoutMs ?? 240_000);
  const deadline = Date.now() + (opts.timeoutMs ?? 240_000);
  let exited = false;
  void done.then(() => (exited = true));
  for (;;) {
    const measured = journalCount(journal, 'ps-', 'done');
    const started = journalCount(journal, 'lh-', 'accepted');
    if (opts.killWhen ? opts.killWhen() : started > 0 && measured >= opts.killAfterMeasurements) break;
    if (exited) throw new Error(`the dry run ended before the kill point (${measured} measurements): ${(await done).stderr.slice(-1000)}`);
    if (Date.now() > deadline) throw new Error('kill point not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  await done;
  return journalCount(journal, 'ps-', 'done');
}

/** Kill -9 at the point, then `resume` (with --recover retry when trials await recovery) until completed; then audit. */
export async function killAndResume(opts: KillResumeOptions): Promise<KillResumeResult> {
  const killed = await startAndKill(opts);
  await opts.afterKill?.();
  const journal = journalDirOf(opts);
  const db = ['--db', path.join(opts.dir, 'db')];
  let resumes = 0;
  let awaiting = 0;
  let firstDispatch: number | undefined;
  let firstDispatchCpu: number | undefined;
  let killedResumes = 0;
  for (;;) {
    if (killedResumes > 4) throw new Error('resume was killed more than 4 times');
    if (resumes >= 4) throw new Error('the campaign did not complete after 4 resumes');
    const before = journalCount(journal, 'lh-', 'accepted') + journalCount(journal, 'ps-', 'accepted');
    const t0 = performance.now();
    const child = start(['resume', opts.campaignId, ...db, '--out', path.join(opts.dir, 'out'), '--quiet', ...(resumes > 0 ? ['--recover', 'retry'] : [])], opts, opts.resumeEnv?.());
    const done = finish(child, opts.timeoutMs ?? 240_000);
    let ended = false;
    void done.then(() => (ended = true));
    if (firstDispatch === undefined) {
      while (!ended && journalCount(journal, 'lh-', 'accepted') + journalCount(journal, 'ps-', 'accepted') === before) await new Promise((r) => setTimeout(r, 20));
      if (!ended) {
        firstDispatch = (performance.now() - t0) / 1000;
        firstDispatchCpu = processCpu_s(child.pid);
      }
    }
    const killWhen = opts.resumeKillWhen;
    if (killWhen) {
      while (!ended && !killWhen(resumes + killedResumes + 1)) await new Promise((r) => setTimeout(r, 20));
      if (!ended) child.kill('SIGKILL');
    }
    const ran = await done;
    if (ran.code === null) {
      killedResumes++;
      await opts.afterResumeKill?.(resumes + killedResumes);
      continue;
    }
    resumes++;
    const parked = /(\d+) trial\(s\) await recovery/.exec(ran.stderr);
    if (parked) awaiting += Number(parked[1]);
    if (ran.code === 0) break;
    if (ran.code !== 130) throw new Error(`resume exited ${ran.code}:\n${ran.stdout}\n${warnings(ran.stderr)}\n${ran.stderr.slice(-2000)}`);
  }
  const audited = await labloop(['audit', opts.campaignId, ...db, '--json'], opts);
  const audit = JSON.parse(audited.stdout) as AuditJson;
  const listed = await labloop(['campaigns', ...db, '--json'], opts);
  const campaigns = JSON.parse(listed.stdout) as KillResumeResult['campaigns'];
  return { killedAfterMeasurements: killed, resumeToFirstDispatch_s: firstDispatch, resumeToFirstDispatchCpu_s: firstDispatchCpu, resumes, awaitingRecovery: awaiting, audit, campaigns, journalDir: journal };
}

/** A killed-and-resumed campaign's stored documents (its PGlite folder `<dir>/db` is free: no labloop process holds it now). */
export async function storedDocuments(dir: string, campaignId: string): Promise<LabDocument[]> {
  const store = await openStore({ pgliteDir: path.join(dir, 'db'), pgliteTemplateCacheDir: TEST_PGLITE_CACHE });
  try {
    return await store.documents.after(campaignId, 0, 1_000_000);
  } finally {
    await store.close();
  }
}
