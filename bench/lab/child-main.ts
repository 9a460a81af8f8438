import path from 'node:path';
import { runLabTask, type LabTask } from './run-task.ts';

/** Child-process side of child-pool.ts: runs one lab task per message, one at a time, and sends back its result. */
if (!process.send) throw new Error('child-main.ts must run as a forked child process');
const send = process.send.bind(process);
const worker = process.argv[2] ?? '0';
let queue: Promise<void> = Promise.resolve();
process.on('message', (msg: { task?: LabTask; stop?: boolean }) => {
  queue = queue.then(async () => {
    // Every result was received before the parent asked to stop; lingering handles (sockets, timers) must not keep
    // the process alive.
    if (msg.stop) process.exit(0);
    if (!msg.task) return;
    try {
      // Each worker keeps OPC UA certificates of its own: two processes creating them in one folder would collide.
      send({ result: await runLabTask({ ...msg.task, pkiDir: path.join(msg.task.pkiDir, `bench-lab-w${worker}`) }) });
    } catch (e) {
      send({ error: (e as Error).stack ?? String(e) });
    }
  });
});
