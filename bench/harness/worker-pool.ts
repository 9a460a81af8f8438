import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { runTask, type Task, type TaskResult } from './tasks.ts';

/**
 * Runs benchmark tasks (one campaign each) on `workers` worker threads, or inline in this thread when `workers` is
 * 0. Tasks are handed out one at a time (longest expected first is the caller's job), results come back in
 * completion order through `onResult` and in task order from the returned promise.
 *
 * Worker threads load TypeScript through tsx: the worker is a tiny evaluated script that registers tsx's ESM hooks and
 * then imports worker-main.ts, so this works under `node --import tsx` and under bin/labloop.js alike.
 */
export interface RunTasksOptions {
  workers: number;
  onResult?: (result: TaskResult, done: number, total: number) => void;
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(2, os.availableParallelism()));
}

export async function runTasks(tasks: Task[], opts: RunTasksOptions): Promise<TaskResult[]> {
  const results: TaskResult[] = new Array(tasks.length);
  let done = 0;
  const finish = (i: number, r: TaskResult): void => {
    results[i] = r;
    done++;
    opts.onResult?.(r, done, tasks.length);
  };
  if (opts.workers <= 0) {
    for (let i = 0; i < tasks.length; i++) {
      finish(i, await runTask(tasks[i] as Task));
    }
    return results;
  }
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker-main.ts', import.meta.url).href;
  const boot =
    `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })` +
    `.catch((e) => { require('node:worker_threads').parentPort.postMessage({ bootError: String(e && e.stack || e) }); });`;
  let next = 0;
  const nWorkers = Math.min(opts.workers, tasks.length);
  await new Promise<void>((resolve, reject) => {
    let alive = nWorkers;
    let failed = false;
    const workers: Worker[] = [];
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(e);
    };
    for (let w = 0; w < nWorkers; w++) {
      const worker = new Worker(boot, { eval: true });
      workers.push(worker);
      let current = -1;
      const feed = (): void => {
        if (failed) return;
        if (next >= tasks.length) {
          void worker.terminate();
          return;
        }
        current = next++;
        worker.postMessage({ index: current, task: tasks[current] });
      };
      worker.on('message', (msg: { ready?: boolean; bootError?: string; index?: number; result?: TaskResult; error?: string }) => {
        if (msg.bootError) return fail(new Error(`benchmark worker failed to start: ${msg.bootError}`));
        if (msg.ready) return feed();
        if (msg.error !== undefined) return fail(new Error(`task ${msg.index} failed in a worker: ${msg.error}`));
        if (msg.result && msg.index === current) {
          finish(current, msg.result);
          feed();
        }
      });
      worker.on('error', (e) => fail(e));
      worker.on('exit', () => {
        alive--;
        if (alive === 0 && !failed) {
          if (done === tasks.length) resolve();
          else fail(new Error(`workers exited with ${tasks.length - done} task(s) unfinished`));
        }
      });
    }
  });
  return results;
}
