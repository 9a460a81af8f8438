import { parentPort, workerData } from 'node:worker_threads';
import { selectTfBackend, type TfBackendPreference } from '../../models/generative/tf-backend.ts';
import { trainModel, type TrainRequest } from '../../models/generative/trained-model.ts';
import type { TrainerReply, TrainerRequest } from './generative-trainer.ts';

/** Worker thread that trains generators (ADR 0082): selects its tfjs backend once, then trains request after request. */
const port = parentPort;
if (!port) throw new Error('generative-worker-main runs in a worker thread');
const preference = (workerData as { backend: TfBackendPreference }).backend;
const choice = selectTfBackend(preference);
const send = (msg: TrainerReply): void => port.postMessage(msg);
choice.then(
  (c) => send({ type: 'ready', backend: c.backend, skipped: c.skipped }),
  (e: unknown) => send({ type: 'failed', id: -1, error: e instanceof Error ? e.message : String(e) }),
);
port.on('message', (msg: TrainerRequest) => {
  void (async () => {
    try {
      const c = await choice;
      const req: TrainRequest = { ...msg.request, backend: c.backend };
      const trained = trainModel(req, (p) => send({ type: 'progress', id: msg.id, progress: p }));
      send({ type: 'done', id: msg.id, trained });
    } catch (e) {
      send({ type: 'failed', id: msg.id, error: e instanceof Error ? e.message : String(e) });
    }
  })();
});
