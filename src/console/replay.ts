import type { Logger } from '../domain/index.ts';
import type { LabDocument } from '../protocol/index.ts';
import type { DocsMessage } from './console-protocol.ts';
import type { DocumentFeed } from './document-feed.ts';
import type { DocumentHub } from './document-hub.ts';
import type { ConsoleReader } from './ports.ts';

/** The part of a socket the replay needs (a socket.io Socket satisfies it through a small adapter). */
export interface Subscriber {
  readonly id: string;
  readonly connected: boolean;
  send(msg: DocsMessage): void;
  join(room: string): void;
  leave(room: string): void;
}

export const roomOf = (campaignId: string): string => `campaign:${campaignId}`;

export interface ReplayOptions {
  hub: DocumentHub;
  reader: Pick<ConsoleReader, 'documentsAfter'>;
  feed: DocumentFeed;
  logger: Logger;
  /** Documents per replay message (default 500). */
  pageSize?: number;
  /** How long a replay waits for the database to catch up with documents already broadcast, ms (default 15 000). */
  lagTimeoutMs?: number;
}

interface Subscription {
  generation: number;
  release: () => void;
}

export class ReplayError extends Error {}

/**
 * Replay-then-live per (socket, campaign): sends every document after the client's last seq — from the hub's recent
 * window when it still holds them, otherwise from the documents table — up to the hub's broadcast position, then
 * joins the campaign's room in the same tick, after which live batches arrive through the room. No gap, no
 * duplicate, in order (see DocumentHub). A new subscribe for the same campaign replaces the old one.
 */
export class ReplayService {
  private readonly subs = new Map<string, Map<string, Subscription>>();
  private generation = 0;
  private readonly pageSize: number;
  private readonly lagTimeoutMs: number;

  constructor(private readonly opts: ReplayOptions) {
    this.pageSize = opts.pageSize ?? 500;
    this.lagTimeoutMs = opts.lagTimeoutMs ?? 15_000;
  }

  /** Resolves with the last seq sent once the subscriber is caught up and in the room. */
  async subscribe(sock: Subscriber, campaignId: string, afterSeq: number): Promise<number> {
    this.unsubscribe(sock, campaignId);
    const generation = ++this.generation;
    const bySocket = this.subs.get(sock.id) ?? new Map<string, Subscription>();
    this.subs.set(sock.id, bySocket);
    const sub: Subscription = { generation, release: () => {} };
    bySocket.set(campaignId, sub);
    const live = (): boolean => sock.connected && this.subs.get(sock.id)?.get(campaignId)?.generation === generation;

    const watched = await this.opts.feed.watch(campaignId);
    sub.release = watched.release;
    if (!live()) {
      watched.release();
      throw new ReplayError('subscription replaced or socket closed');
    }
    if (watched.baseline !== undefined) this.opts.hub.baseline(campaignId, watched.baseline);

    const { hub, reader } = this.opts;
    let last = afterSeq;
    let waitingSince: number | undefined;
    for (;;) {
      // Synchronous from here to join(): nothing can be broadcast in between.
      const target = hub.broadcastSeq(campaignId);
      if (target !== undefined && last >= target) break;
      let docs = hub.recentAfter(campaignId, last, this.pageSize);
      if (docs.length === 0) {
        docs = await reader.documentsAfter(campaignId, last, this.pageSize);
        if (!live()) throw new ReplayError('subscription replaced or socket closed');
      }
      const cap = hub.broadcastSeq(campaignId);
      docs = docs.filter((d) => d.seq > last && (cap === undefined || d.seq <= cap));
      if (docs.length === 0) {
        if (cap === undefined || last >= cap) {
          if (hub.broadcastSeq(campaignId) === cap) break; // nothing live yet, store exhausted
          continue;
        }
        // The database has not caught up with documents the hub broadcast before its window starts.
        waitingSince ??= Date.now();
        if (Date.now() - waitingSince > this.lagTimeoutMs) throw new ReplayError(`documents after seq ${last} of ${campaignId} are not in the database`);
        await new Promise((r) => setTimeout(r, 25));
        if (!live()) throw new ReplayError('subscription replaced or socket closed');
        continue;
      }
      waitingSince = undefined;
      this.warnOnGap(campaignId, last, docs);
      sock.send({ campaignId, docs, replay: true });
      last = docs[docs.length - 1]?.seq ?? last;
    }
    sock.join(roomOf(campaignId));
    return last;
  }

  unsubscribe(sock: Subscriber, campaignId: string): void {
    const bySocket = this.subs.get(sock.id);
    const sub = bySocket?.get(campaignId);
    if (!bySocket || !sub) return;
    bySocket.delete(campaignId);
    sub.release();
    sock.leave(roomOf(campaignId));
  }

  /** Forgets a disconnected socket. */
  drop(sock: Subscriber): void {
    const bySocket = this.subs.get(sock.id);
    if (!bySocket) return;
    for (const sub of bySocket.values()) sub.release();
    this.subs.delete(sock.id);
  }

  subscriptions(sock: Subscriber): string[] {
    return [...(this.subs.get(sock.id)?.keys() ?? [])];
  }

  /** A stored gap (a document the store lost) is passed on as it is; the log says so. */
  private warnOnGap(campaignId: string, last: number, docs: LabDocument[]): void {
    let prev = last;
    for (const d of docs) {
      if (d.seq !== prev + 1) this.opts.logger.warn({ campaignId, from: prev + 1, to: d.seq - 1 }, 'console: documents missing from the database');
      prev = d.seq;
    }
  }
}
