import { Worker } from 'node:worker_threads';
import { workerBootScript, type Logger } from '../domain/index.ts';
import type { LabDocument } from '../protocol/index.ts';
import type { ConsoleServer, ConsoleServerOptions } from './console-server.ts';
import type { CampaignCommands, ConsoleReader } from './ports.ts';
import { COMMAND_METHODS, FEED_METHODS, READER_METHODS, type ConsoleWorkerData, type HostToWorker, type WorkerToHost } from './worker-protocol.ts';

export interface ConsoleWorkerOptions extends ConsoleServerOptions {
  /** Campaigns this process runs; their commands reach `commands`. */
  controlled: readonly string[];
  /** Give up when the worker has not listened after this long (default 60 s: the first start may build the front end). */
  startTimeoutMs?: number;
}

/**
 * Starts the console in a worker thread (ADR 0031): HTTP, socket.io and the live fan-out run on their own event loop,
 * so a campaign's synchronous work (the embedded database, physics, model fits) no longer delays delivery to 100
 * watching browsers. The worker reads the database and sends commands through this thread (`reader`, `commands`,
 * `feed` stay here); live documents are handed over in per-tick batches, in order.
 */
export async function startConsoleWorker(opts: ConsoleWorkerOptions): Promise<ConsoleServer> {
  const logger = opts.logger.child({ component: 'console-host' });
  const data: ConsoleWorkerData = {
    tokens: opts.tokens,
    insecureLocal: opts.insecureLocal ?? false,
    host: opts.host ?? '127.0.0.1',
    port: opts.port,
    staticDir: opts.staticDir,
    hubWindow: opts.hubWindow,
    controlled: opts.commands ? opts.controlled : [],
    hasCommands: opts.commands !== undefined,
  };
  const boot = workerBootScript(import.meta.url, './console-worker-main.ts', import.meta.resolve('tsx/esm/api'), 'return m.runConsoleWorker(workerData);', `{ kind: 'failed', error: String((e && e.stack) || e) }`);
  const worker = new Worker(boot, { eval: true, workerData: data });
  const dispatcher = new HostDispatcher(opts.reader, opts.commands, opts.feed, logger);
  const post = (m: HostToWorker): void => worker.postMessage(m);

  let queue: LabDocument[] = [];
  const flush = (): void => {
    const docs = queue;
    queue = [];
    if (docs.length > 0) post({ kind: 'docs', docs });
  };
  let closed: (() => void) | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const ready = new Promise<{ url: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`console worker did not start within ${opts.startTimeoutMs ?? 60_000} ms`)), opts.startTimeoutMs ?? 60_000);
    worker.on('message', (m: WorkerToHost) => {
      switch (m.kind) {
        case 'ready':
          clearTimeout(timer);
          resolve({ url: m.url, port: m.port });
          break;
        case 'failed':
          clearTimeout(timer);
          reject(new Error(`console worker failed: ${m.error}`));
          break;
        case 'call':
          void dispatcher.call(m).then(post);
          break;
        case 'log':
          logger.child(m.bindings)[m.level](m.obj, m.msg);
          break;
        case 'closed':
          closed?.();
          break;
        default:
          logger.warn({ kind: (m as { kind?: unknown }).kind }, 'console worker: unknown message ignored');
      }
    });
    worker.on('error', (e) => {
      clearTimeout(timer);
      logger.error({ err: e.message }, 'console worker crashed; the campaign goes on without its console');
      reject(e);
    });
  });
  let started: { url: string; port: number };
  try {
    started = await ready;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  opts.feed.start((doc) => {
    if (queue.length === 0) process.nextTick(flush);
    queue.push(doc);
  });

  let closing: Promise<void> | undefined;
  return {
    url: started.url,
    port: started.port,
    close: () =>
      (closing ??= (async () => {
        await opts.feed.stop();
        flush();
        const done = new Promise<void>((resolve) => {
          closed = resolve;
        });
        post({ kind: 'close' });
        await Promise.race([done, exited, new Promise((r) => setTimeout(r, 5000).unref())]);
        await worker.terminate();
      })()),
  };
}

/** Answers the worker's calls on the host-side reader, command API and feed. */
class HostDispatcher {
  private readonly releases = new Map<number, () => void>();
  private nextHandle = 1;

  constructor(
    private readonly reader: ConsoleReader,
    private readonly commands: CampaignCommands | undefined,
    private readonly feed: ConsoleServerOptions['feed'],
    private readonly logger: Logger,
  ) {}

  async call(m: Extract<WorkerToHost, { kind: 'call' }>): Promise<HostToWorker> {
    try {
      return { kind: 'reply', id: m.id, ok: true, value: await this.invoke(m.target, m.method, m.args) };
    } catch (e) {
      this.logger.warn({ target: m.target, method: m.method, err: (e as Error).message }, 'console worker: call failed');
      return { kind: 'reply', id: m.id, ok: false, error: (e as Error).message };
    }
  }

  private async invoke(target: string, method: string, args: unknown[]): Promise<unknown> {
    if (target === 'reader' && (READER_METHODS as readonly string[]).includes(method)) {
      const fn = this.reader[method as (typeof READER_METHODS)[number]] as (...a: unknown[]) => Promise<unknown>;
      return fn.apply(this.reader, args);
    }
    if (target === 'commands' && this.commands && (COMMAND_METHODS as readonly string[]).includes(method)) {
      const fn = this.commands[method as (typeof COMMAND_METHODS)[number]] as (...a: unknown[]) => unknown;
      return fn.apply(this.commands, args);
    }
    if (target === 'feed' && (FEED_METHODS as readonly string[]).includes(method)) {
      if (method === 'release') {
        const handle = args[0] as number;
        this.releases.get(handle)?.();
        this.releases.delete(handle);
        return undefined;
      }
      const watched = await this.feed.watch(String(args[0]));
      const handle = this.nextHandle++;
      this.releases.set(handle, watched.release);
      return { handle, baseline: watched.baseline };
    }
    throw new Error(`unknown call ${target}.${method}`);
  }
}
