import { parentPort } from 'node:worker_threads';
import type { Logger } from '../domain/index.ts';
import type { LabDocument } from '../protocol/index.ts';
import { startConsoleServer, type ConsoleServer } from './console-server.ts';
import type { DocumentFeed } from './document-feed.ts';
import type { CampaignCommands, ConsoleReader } from './ports.ts';
import type { ConsoleWorkerData, HostToWorker, LogLevel, RemoteTarget, WorkerToHost } from './worker-protocol.ts';

/**
 * Entry of the console worker thread (see console-worker.ts): runs the ordinary console server with a reader,
 * command API and feed that forward to the host thread, and a logger that hands every record to the host's logger.
 */
export async function runConsoleWorker(data: ConsoleWorkerData): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runConsoleWorker must run in a worker thread');
  const send = (m: WorkerToHost): void => port.postMessage(m);
  const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const call = <T>(target: RemoteTarget, method: string, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      send({ kind: 'call', id, target, method, args });
    });

  let onDoc: ((doc: LabDocument) => void) | undefined;
  let server: ConsoleServer | undefined;
  port.on('message', (m: HostToWorker) => {
    if (m.kind === 'docs') {
      for (const doc of m.docs) onDoc?.(doc as LabDocument);
    } else if (m.kind === 'reply') {
      const pending = calls.get(m.id);
      calls.delete(m.id);
      if (m.ok) pending?.resolve(m.value);
      else pending?.reject(new Error(m.error));
    } else if (m.kind === 'close') {
      void (server?.close() ?? Promise.resolve()).finally(() => {
        for (const p of calls.values()) p.reject(new Error('console closed'));
        send({ kind: 'closed' });
        port.close();
      });
    }
  });

  const reader: ConsoleReader = {
    listCampaigns: () => call('reader', 'listCampaigns'),
    getCampaign: (id) => call('reader', 'getCampaign', id),
    trials: (id) => call('reader', 'trials', id),
    stations: (id) => call('reader', 'stations', id),
    modelSnapshots: (id) => call('reader', 'modelSnapshots', id),
    operatorActions: (id) => call('reader', 'operatorActions', id),
    documentsAfter: (id, afterSeq, limit) => call('reader', 'documentsAfter', id, afterSeq, limit),
    lastSeq: (id) => call('reader', 'lastSeq', id),
    exportCampaign: (id) => call('reader', 'exportCampaign', id),
  };
  const controlled = new Set(data.controlled);
  const commands: CampaignCommands | undefined = data.hasCommands
    ? {
        controls: (id) => controlled.has(id),
        execute: (command, actor) => call('commands', 'execute', command, actor),
        refuse: (command, actor, reason) => void call('commands', 'refuse', command, actor, reason).catch(() => undefined),
        pending: (id) => call('commands', 'pending', id),
      }
    : undefined;
  const feed: DocumentFeed = {
    start(fn) {
      onDoc = fn;
    },
    async watch(campaignId) {
      const w = await call<{ handle: number; baseline: number | undefined }>('feed', 'watch', campaignId);
      return { baseline: w.baseline, release: () => void call('feed', 'release', w.handle).catch(() => undefined) };
    },
    async stop() {
      onDoc = undefined;
    },
  };
  server = await startConsoleServer({
    reader,
    commands,
    feed,
    tokens: data.tokens,
    insecureLocal: data.insecureLocal,
    logger: forwardingLogger(send, { thread: 'console-worker' }),
    host: data.host,
    port: data.port,
    ...(data.staticDir !== undefined ? { staticDir: data.staticDir } : {}),
    ...(data.hubWindow !== undefined ? { hubWindow: data.hubWindow } : {}),
  });
  send({ kind: 'ready', url: server.url, port: server.port });
}

/** A Logger whose records go to the host thread's logger (with the bindings of every child). */
function forwardingLogger(send: (m: WorkerToHost) => void, bindings: Record<string, unknown>): Logger {
  const at =
    (level: LogLevel) =>
    (a: object | string, msg?: string): void => {
      if (typeof a === 'string') send({ kind: 'log', level, bindings, obj: {}, msg: a });
      else send({ kind: 'log', level, bindings, obj: a, msg });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => forwardingLogger(send, { ...bindings, ...more }),
  };
}
