import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Server as IoServer } from 'socket.io';
import { limitRepeats, type Logger } from '../domain/index.ts';
import { isLoopbackHost, TokenAuth, type TokenEntry } from './auth.ts';
import { CommandGate } from './command-gate.ts';
import { SERVER_EVENTS, type DocsMessage } from './console-protocol.ts';
import { DocumentHub } from './document-hub.ts';
import type { DocumentFeed } from './document-feed.ts';
import type { CampaignCommands, ConsoleReader } from './ports.ts';
import { ReplayService, roomOf } from './replay.ts';
import { handleApi, sendJson } from './rest-api.ts';
import { attachSocketHandlers } from './socket-handlers.ts';
import { serveStatic } from './static-files.ts';
import { WEB_DIST_DIR } from './web-build.ts';

export interface ConsoleServerOptions {
  reader: ConsoleReader;
  feed: DocumentFeed;
  /** The engine's command API for campaigns this process runs; absent: a read-only console (`labloop serve`). */
  commands?: CampaignCommands | undefined;
  tokens: readonly TokenEntry[];
  insecureLocal?: boolean;
  logger: Logger;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Built front end (default src/console/web/dist). */
  staticDir?: string;
  /** Recently broadcast documents kept in memory per campaign for catching-up clients (default 5000). */
  hubWindow?: number;
}

export interface ConsoleStats {
  sockets: number;
  accepted: number;
  duplicates: number;
  batches: number;
  broadcastLag_ms: { samples: number; p50: number; p99: number; max: number };
  /** Time to hand one batch to every socket of its room. */
  emit_ms: { samples: number; p50: number; p99: number; max: number };
  /** Event-loop delay of the thread serving the console since it started (its own thread under startConsoleWorker). */
  eventLoopDelay_ms: { p50: number; p99: number; max: number };
}

function percentiles(values: readonly number[]): { samples: number; p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => +(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0).toFixed(3);
  return { samples: sorted.length, p50: at(0.5), p99: at(0.99), max: +(sorted.at(-1) ?? 0).toFixed(3) };
}

export interface ConsoleServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The monitoring console: static front end, REST API and socket.io on one HTTP port. Every socket subscribes to
 * campaigns (one room each), replays from its last seq and then follows live; commands go through the CommandGate.
 */
export async function startConsoleServer(opts: ConsoleServerOptions): Promise<ConsoleServer> {
  // Every client can make the console log; repeated lines are aggregated so a noisy client cannot flood the logs.
  const logger = limitRepeats(opts.logger.child({ component: 'console' }));
  const host = opts.host ?? '127.0.0.1';
  const insecureLocal = opts.insecureLocal ?? false;
  if (insecureLocal && !isLoopbackHost(host)) throw new Error(`--insecure-local serves only on a loopback address, not ${host}`);
  const auth = new TokenAuth({ tokens: opts.tokens, insecureLocal });
  if (insecureLocal) {
    logger.warn({ host }, 'CONSOLE IS INSECURE: --insecure-local lets anyone on this machine watch and control campaigns without a token');
  } else if (auth.tokenCount === 0) {
    logger.warn('console: no tokens configured (LABLOOP_CONSOLE_TOKENS): every client will be refused');
  }
  const staticDir = opts.staticDir ?? WEB_DIST_DIR;
  const gate = new CommandGate(opts.commands, logger);

  let io: IoServer | undefined;
  /** Duration of each room broadcast (encode once, write to every socket of the room), ms; a ring of the last 10 000. */
  const emitMs: number[] = [];
  let emitNext = 0;
  const hub = new DocumentHub({
    window: opts.hubWindow,
    broadcast: (campaignId, docs) => {
      const msg: DocsMessage = { campaignId, docs, replay: false };
      const t0 = performance.now();
      io?.to(roomOf(campaignId)).emit(SERVER_EVENTS.docs, msg);
      emitMs[emitNext] = performance.now() - t0;
      emitNext = (emitNext + 1) % 10_000;
    },
  });
  const replay = new ReplayService({ hub, reader: opts.reader, feed: opts.feed, logger });
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const ms = (ns: number): number => +(ns / 1e6).toFixed(2);
  const stats = (): ConsoleStats & Record<string, unknown> => ({
    eventLoopDelay_ms: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
    sockets: io?.of('/').sockets.size ?? 0,
    ...hub.counters(),
    broadcastLag_ms: hub.broadcastLag(),
    emit_ms: percentiles(emitMs),
  });

  const http: HttpServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    handleApi(req, res, url, { reader: opts.reader, commands: opts.commands, gate, auth, logger, stats })
      .then((handled) => (handled ? undefined : serveStatic(req, res, url, staticDir)))
      .catch((e: unknown) => {
        logger.error({ path: url.pathname, err: (e as Error).message }, 'console: request failed');
        if (!res.headersSent) sendJson(res, 500, { ok: false, code: 'internal', error: 'internal error' });
        else res.destroy();
      });
  });
  io = new IoServer(http, {
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    // Same origin only: the front end is served from this port.
    cors: undefined,
    allowRequest: (req, done) => done(null, sameOrigin(req.headers.origin, req.headers.host)),
  });
  attachSocketHandlers(io, { auth, gate, replay, reader: opts.reader, commands: opts.commands, logger });
  opts.feed.start((doc) => hub.accept(doc));

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, insecureLocal, tokens: auth.tokenCount, readOnly: opts.commands === undefined }, 'console: listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () =>
      (closing ??= (async () => {
        loopDelay.disable();
        await opts.feed.stop();
        // io.close() disconnects every socket and closes the HTTP server, whose callback waits for open connections:
        // browsers keep idle keep-alive connections for minutes, so they are closed here rather than waited for.
        const closed = new Promise<void>((resolve) => {
          io?.close(() => resolve());
        });
        http.closeAllConnections();
        await closed;
        logger.flush();
      })()),
  };
}

/**
 * Browsers send Origin on websocket and polling requests: only pages served by this console may connect (no
 * cross-site socket hijacking, which matters most under --insecure-local). Non-browser clients send none.
 */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
