import { Worker } from 'node:worker_threads';
import type { GeneratorTrainer } from '../../agents/generative-agent.ts';
import type { TrainProgress } from '../../models/generative/generator.ts';
import { selectTfBackend, type TfBackendChoice, type TfBackendPreference } from '../../models/generative/tf-backend.ts';
import { trainModel, type TrainedModel, type TrainRequest } from '../../models/generative/trained-model.ts';
import { workerBootScript, type Logger } from '../domain/index.ts';

/** Messages between the host and the training worker (structured clones). */
export type TrainerRequest = { id: number; request: Omit<TrainRequest, 'backend'> };
export type TrainerReply =
  | { type: 'ready'; backend: string; skipped: TfBackendChoice['skipped'] }
  | { type: 'progress'; id: number; progress: TrainProgress }
  | { type: 'done'; id: number; trained: TrainedModel }
  | { type: 'failed'; id: number; error: string };

export interface ClosableTrainer extends GeneratorTrainer {
  close(): Promise<void>;
}

/**
 * Trains generators in one worker thread (ADR 0082), started on the first request and kept for the next ones, so a
 * campaign loop, its console and its brokers never wait on tensor work. A tiny evaluated boot script loads the worker's
 * module, through tsx from source or compiled (ADR 0112), so this works under `node --import tsx`, bin/labloop.js and
 * vitest alike. It does not
 * keep the process alive between requests.
 */
export function createWorkerTrainer(opts: { backend: TfBackendPreference; logger: Logger }): ClosableTrainer {
  let worker: Worker | undefined;
  let nextId = 1;
  let inFlight = 0;
  const waiting = new Map<number, { resolve: (t: TrainedModel) => void; reject: (e: Error) => void; onProgress: ((p: TrainProgress) => void) | undefined }>();
  const log = opts.logger.child({ component: 'generative-trainer' });

  const failAll = (e: Error): void => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
    inFlight = 0;
    worker = undefined;
  };

  const start = (): Worker => {
    const boot = workerBootScript(import.meta.url, './generative-worker-main.ts', import.meta.resolve('tsx/esm/api'), '', `{ type: 'failed', id: -1, error: String(e && e.stack || e) }`);
    const w = new Worker(boot, { eval: true, workerData: { backend: opts.backend } });
    w.on('message', (msg: TrainerReply) => {
      if (msg.type === 'ready') {
        log.info({ backend: msg.backend, skipped: msg.skipped }, 'tfjs backend selected for training');
        return;
      }
      if (msg.type === 'failed' && msg.id === -1) {
        failAll(new Error(`the training worker failed to start: ${msg.error}`));
        void w.terminate();
        return;
      }
      const entry = waiting.get(msg.id);
      if (!entry) return;
      if (msg.type === 'progress') return entry.onProgress?.(msg.progress);
      waiting.delete(msg.id);
      inFlight--;
      if (inFlight === 0) w.unref();
      if (msg.type === 'done') entry.resolve(msg.trained);
      else entry.reject(new Error(`training failed: ${msg.error}`));
    });
    w.on('error', (e) => failAll(e));
    w.on('exit', (code) => {
      if (worker === w) failAll(new Error(`the training worker exited (code ${code})`));
    });
    return w;
  };

  return {
    train(request, onProgress) {
      worker ??= start();
      const w = worker;
      const id = nextId++;
      inFlight++;
      w.ref();
      return new Promise<TrainedModel>((resolve, reject) => {
        waiting.set(id, { resolve, reject, onProgress });
        w.postMessage({ id, request } satisfies TrainerRequest);
      });
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}

/** Trains in this thread (tests, benchmarks that already run in workers, `labloop design`). */
export function createInlineTrainer(opts: { backend: TfBackendPreference }): ClosableTrainer {
  return {
    async train(request, onProgress) {
      const choice = await selectTfBackend(opts.backend);
      return trainModel({ ...request, backend: choice.backend }, onProgress);
    },
    async close() {},
  };
}
