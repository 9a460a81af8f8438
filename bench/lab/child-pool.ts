import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabRunResult, LabTask } from './run-task.ts';

/**
 * Runs lab-benchmark dry runs on `workers` child processes (dry runs are CPU-bound and each starts brokers, an OPC UA
 * server and an embedded database: a process of its own isolates them), or inline when `workers` is 0. A run that
 * throws, crashes its process or exceeds `timeoutMs` becomes an error entry; the others go on. Children load
 * TypeScript through tsx's loader, passed explicitly, so this works under `node --import tsx` and bin/labloop.js.
 */
export type LabOutcome = { ok: true; result: LabRunResult } | { ok: false; arm: string; seed: number; landscapeSeed: number; error: string };

export interface RunLabTasksOptions {
  workers: number;
  timeoutMs: number;
  onOutcome?: (outcome: LabOutcome, done: number, total: number) => void;
}

const failed = (task: LabTask, error: string): LabOutcome => ({ ok: false, arm: task.arm, seed: task.seed, landscapeSeed: task.landscape.seed, error });

export async function runLabTasks(tasks: LabTask[], opts: RunLabTasksOptions): Promise<LabOutcome[]> {
  const out: LabOutcome[] = new Array(tasks.length);
  let done = 0;
  const finish = (i: number, o: LabOutcome): void => {
    out[i] = o;
    done++;
    opts.onOutcome?.(o, done, tasks.length);
  };
  if (opts.workers <= 0) {
    const { runLabTask } = await import('./run-task.ts');
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i] as LabTask;
      try {
        finish(i, { ok: true, result: await runLabTask({ ...task, pkiDir: path.join(task.pkiDir, 'bench-lab-w0') }) });
      } catch (e) {
        finish(i, failed(task, (e as Error).stack ?? String(e)));
      }
    }
    return out;
  }
  const entry = fileURLToPath(new URL('./child-main.ts', import.meta.url));
  const loader = import.meta.resolve('tsx');
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    let child: ChildProcess | undefined;
    let stderrTail: string[] = [];
    const spawn = (): ChildProcess => {
      const c = fork(entry, [String(w)], { execArgv: ['--import', loader], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
      c.stderr?.setEncoding('utf8');
      c.stderr?.on('data', (chunk: string) => {
        stderrTail = [...stderrTail, ...chunk.split('\n')].slice(-20);
      });
      return c;
    };
    for (;;) {
      const i = next++;
      if (i >= tasks.length) break;
      const task = tasks[i] as LabTask;
      child ??= spawn();
      const c = child;
      const outcome = await new Promise<LabOutcome>((resolve) => {
        const timer = setTimeout(() => {
          cleanup();
          c.kill('SIGKILL');
          child = undefined;
          resolve(failed(task, `timed out after ${Math.round(opts.timeoutMs / 1000)} s`));
        }, opts.timeoutMs);
        const onMessage = (msg: { result?: LabRunResult; error?: string }): void => {
          cleanup();
          resolve(msg.result ? { ok: true, result: msg.result } : failed(task, msg.error ?? 'no result'));
        };
        const onExit = (code: number | null, signal: string | null): void => {
          cleanup();
          child = undefined;
          resolve(failed(task, `worker process exited (${signal ?? code}) during the run: ${stderrTail.join('\n').trim()}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          c.off('message', onMessage);
          c.off('exit', onExit);
        };
        c.on('message', onMessage);
        c.on('exit', onExit);
        c.send({ task });
      });
      finish(i, outcome);
    }
    if (child) {
      const c = child;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.send({ stop: true });
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.workers, tasks.length) }, (_, w) => worker(w)));
  return out;
}
