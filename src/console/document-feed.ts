import type { Logger } from '../domain/index.ts';
import type { DocumentBus, LabDocument } from '../protocol/index.ts';
import type { ConsoleReader } from './ports.ts';

/**
 * Where live documents come from: the in-process DocumentBus (console beside a run), or the documents table polled
 * for new sequence numbers (`labloop serve`, any process writing to the same database).
 */
export interface DocumentFeed {
  /** Starts delivering documents (in sequence order per campaign) to `onDoc`. */
  start(onDoc: (doc: LabDocument) => void): void;
  /**
   * A client wants the campaign live. Polling feeds begin watching it and return the stored seq they start after
   * (the hub's baseline); the bus feed sees every campaign already and returns undefined. Returns a release function.
   */
  watch(campaignId: string): Promise<{ baseline: number | undefined; release: () => void }>;
  stop(): Promise<void>;
}

/** Live documents straight from the bus, as they are published. */
export function busFeed(bus: DocumentBus): DocumentFeed {
  let unsubscribe: (() => void) | undefined;
  return {
    start(onDoc) {
      unsubscribe = bus.subscribe((doc) => onDoc(doc));
    },
    async watch() {
      return { baseline: undefined, release: () => {} };
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}

export interface PollingFeedOptions {
  reader: Pick<ConsoleReader, 'documentsAfter' | 'lastSeq'>;
  logger: Logger;
  /** Poll period, ms (default 250). */
  intervalMs?: number;
  /** Documents read per query (default 1000). */
  pageSize?: number;
}

/**
 * Polls the documents table for each watched campaign: `seq > last` in order, every `intervalMs`. The store writes
 * each campaign's documents in sequence order, so a poll never skips one that commits later. A campaign nobody
 * watches any more is skipped but keeps its position.
 */
export function pollingFeed(opts: PollingFeedOptions): DocumentFeed {
  const intervalMs = opts.intervalMs ?? 250;
  const pageSize = opts.pageSize ?? 1000;
  const watched = new Map<string, { last: number; refs: number; baseline: Promise<number> }>();
  let onDoc: ((doc: LabDocument) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let stopped = false;

  const pollOnce = async (): Promise<void> => {
    for (const [campaignId, w] of watched) {
      if (w.refs <= 0) continue;
      await w.baseline;
      for (;;) {
        let docs: LabDocument[];
        try {
          docs = await opts.reader.documentsAfter(campaignId, w.last, pageSize);
        } catch (e) {
          opts.logger.warn({ campaignId, err: (e as Error).message }, 'console: polling documents failed');
          break;
        }
        for (const d of docs) {
          if (d.seq <= w.last) continue;
          w.last = d.seq;
          onDoc?.(d);
        }
        if (docs.length < pageSize || stopped) break;
      }
    }
  };
  const tick = (): void => {
    if (stopped) return;
    polling = pollOnce().finally(() => {
      polling = undefined;
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };

  return {
    start(fn) {
      onDoc = fn;
      timer = setTimeout(tick, intervalMs);
    },
    async watch(campaignId) {
      let w = watched.get(campaignId);
      if (!w) {
        const entry = { last: 0, refs: 0, baseline: Promise.resolve(0) };
        entry.baseline = opts.reader.lastSeq(campaignId).then((seq) => {
          entry.last = Math.max(entry.last, seq);
          return seq;
        });
        watched.set(campaignId, entry);
        w = entry;
      }
      w.refs++;
      const entry = w;
      const baseline = await entry.baseline.catch(() => 0);
      let released = false;
      return {
        baseline,
        release: () => {
          if (released) return;
          released = true;
          // The entry stays (with its position) so a later watcher continues gaplessly from where the hub is.
          entry.refs--;
        },
      };
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await polling;
    },
  };
}
