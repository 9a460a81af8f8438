import { parentPort } from 'node:worker_threads';
import { runTask, type Task } from './tasks.ts';

/** Worker-thread side of worker-pool.ts: runs one task per message and posts its result (or the error text). */
const port = parentPort;
if (!port) throw new Error('worker-main.ts must run in a worker thread');
port.on('message', (msg: { index: number; task: Task }) => {
  runTask(msg.task).then(
    (result) => port.postMessage({ index: msg.index, result }),
    (e: unknown) => port.postMessage({ index: msg.index, error: (e as Error).stack ?? String(e) }),
  );
});
port.postMessage({ ready: true });
