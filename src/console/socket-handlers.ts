import type { Server as IoServer, Socket } from 'socket.io';
import type { Logger } from '../domain/index.ts';
import type { Principal, TokenAuth } from './auth.ts';
import type { CommandGate } from './command-gate.ts';
import {
  CLIENT_EVENTS,
  SERVER_EVENTS,
  describeIssues,
  subscribeSchema,
  unsubscribeSchema,
  type HelloMessage,
  type Reply,
} from './console-protocol.ts';
import type { CampaignCommands, ConsoleReader } from './ports.ts';
import { ReplayError, type ReplayService, type Subscriber } from './replay.ts';

export interface SocketDeps {
  auth: TokenAuth;
  gate: CommandGate;
  replay: ReplayService;
  reader: Pick<ConsoleReader, 'getCampaign'>;
  commands: CampaignCommands | undefined;
  logger: Logger;
  /** Events one socket may send: a burst of `burst`, refilled at `perSecond` (default 100 and 50). */
  rate?: { burst: number; perSecond: number };
  now?: () => number;
}

/** A per-connection token bucket: `take()` is false when the socket sends faster than its allowance. */
export class EventBudget {
  private tokens: number;
  private last: number;
  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

type Ack = (reply: Reply) => void;

/** Splits socket.io arguments into the payload and the acknowledgement callback (the last argument, if a function). */
function splitArgs(args: unknown[]): { payload: unknown; ack: Ack | undefined; extra: number } {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as Ack) : undefined;
  const rest = ack ? args.slice(0, -1) : args;
  return { payload: rest[0], ack, extra: Math.max(0, rest.length - 1) };
}

/**
 * Authenticates every socket in the handshake (`auth: { token }`), then handles `subscribe`, `unsubscribe` and
 * `command`. Each event is parsed with zod; a bad one gets an error reply naming the problem (through the
 * acknowledgement, or a `problem` event when there is none) and changes nothing. Unknown events are answered too.
 */
export function attachSocketHandlers(io: IoServer, deps: SocketDeps): void {
  const { logger } = deps;
  io.use((socket, next) => {
    const raw: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    const result = deps.auth.authenticate(raw);
    if (!result.ok) {
      logger.warn({ remote: socket.handshake.address, reason: result.reason }, 'console: socket refused');
      next(new Error(result.reason));
      return;
    }
    (socket.data as { principal?: Principal }).principal = result.principal;
    next();
  });

  io.on('connection', (socket: Socket) => {
    const principal = (socket.data as { principal: Principal }).principal;
    const log = logger.child({ socket: socket.id, actor: principal.actor });
    log.debug({ role: principal.role }, 'console: socket connected');
    const hello: HelloMessage = { actor: principal.actor, role: principal.role, insecure: principal.insecure };
    socket.emit(SERVER_EVENTS.hello, hello);

    const subscriber: Subscriber = {
      id: socket.id,
      get connected() {
        return socket.connected;
      },
      send: (msg) => {
        socket.emit(SERVER_EVENTS.docs, msg);
      },
      join: (room) => {
        void socket.join(room);
      },
      leave: (room) => {
        void socket.leave(room);
      },
    };
    const reply = (event: string, ack: Ack | undefined, r: Reply): void => {
      if (ack) ack(r);
      else socket.emit(SERVER_EVENTS.problem, r.ok ? r : { ...r, event });
    };
    const rate = deps.rate ?? { burst: 100, perSecond: 50 };
    const budget = new EventBudget(rate.burst, rate.perSecond, deps.now ?? Date.now);
    // Runs before the handlers below: an event over the socket's allowance is answered and goes no further.
    socket.use(([event, ...args], next) => {
      if (budget.take()) return next();
      const { ack } = splitArgs(args);
      log.warn({ event: typeof event === 'string' ? event.slice(0, 60) : typeof event }, 'console: event over the rate limit refused');
      reply(typeof event === 'string' ? event.slice(0, 60) : 'event', ack, { ok: false, code: 'rate-limited', error: `too many events: at most ${rate.perSecond} per second after a burst of ${rate.burst}` });
    });

    socket.on(CLIENT_EVENTS.subscribe, (...args: unknown[]) => {
      const { payload, ack } = splitArgs(args);
      const parsed = subscribeSchema.safeParse(payload);
      if (!parsed.success) {
        log.warn({ problem: describeIssues(parsed.error) }, 'console: malformed subscribe refused');
        reply('subscribe', ack, { ok: false, code: 'invalid', error: `invalid subscribe: ${describeIssues(parsed.error)}` });
        return;
      }
      const { campaignId, afterSeq } = parsed.data;
      void (async () => {
        try {
          const known = (await deps.reader.getCampaign(campaignId)) !== undefined || (deps.commands?.controls(campaignId) ?? false);
          if (!known) {
            reply('subscribe', ack, { ok: false, code: 'not-found', error: `no campaign "${campaignId}"` });
            return;
          }
          const lastSeq = await deps.replay.subscribe(subscriber, campaignId, afterSeq);
          const pending = deps.commands?.controls(campaignId) ? await deps.commands.pending(campaignId) : undefined;
          reply('subscribe', ack, { ok: true, campaignId, lastSeq, controllable: pending !== undefined, pending, dormant: deps.commands?.dormant?.(campaignId) ?? null });
        } catch (e) {
          if (e instanceof ReplayError && !socket.connected) return;
          log.warn({ campaignId, err: (e as Error).message }, 'console: replay failed');
          reply('subscribe', ack, { ok: false, code: 'internal', error: `replay failed: ${(e as Error).message}` });
        }
      })();
    });

    socket.on(CLIENT_EVENTS.unsubscribe, (...args: unknown[]) => {
      const { payload, ack } = splitArgs(args);
      const parsed = unsubscribeSchema.safeParse(payload);
      if (!parsed.success) {
        reply('unsubscribe', ack, { ok: false, code: 'invalid', error: `invalid unsubscribe: ${describeIssues(parsed.error)}` });
        return;
      }
      deps.replay.unsubscribe(subscriber, parsed.data.campaignId);
      reply('unsubscribe', ack, { ok: true });
    });

    socket.on(CLIENT_EVENTS.command, (...args: unknown[]) => {
      const { payload, ack } = splitArgs(args);
      void deps.gate.run(payload, principal).then((r) => reply('command', ack, r));
    });

    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && (Object.values(CLIENT_EVENTS) as string[]).includes(event)) return;
      const { ack } = splitArgs(args);
      const name = typeof event === 'string' ? event.slice(0, 60) : typeof event;
      log.warn({ event: name }, 'console: unknown socket event refused');
      reply(String(name), ack, { ok: false, code: 'invalid', error: `unknown event "${name}" (expected ${Object.values(CLIENT_EVENTS).join(', ')})` });
    });

    socket.on('disconnect', (reason) => {
      deps.replay.drop(subscriber);
      log.debug({ reason }, 'console: socket disconnected');
    });
  });
}
