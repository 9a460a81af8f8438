import type { LabDocument } from '../protocol/index.ts';

/**
 * Orders the live documents of every campaign and hands them to the broadcaster in batches (one per campaign per
 * burst of publications: everything published before the microtask queue runs dry), keeping a window of recently broadcast documents so a client catching up can be served from memory.
 *
 * Invariant used by the replay: `broadcastSeq(c)` is the highest seq already handed to `broadcast`; every live
 * document with a higher seq will be broadcast later. A client that has everything up to `broadcastSeq(c)` and
 * joins the campaign's room in the same tick therefore misses nothing and receives nothing twice.
 */
export interface DocumentHubOptions {
  broadcast: (campaignId: string, docs: LabDocument[]) => void;
  /** Recently broadcast documents kept per campaign (default 5000). */
  window?: number;
}

interface CampaignStream {
  /** Highest seq accepted (pending or broadcast). */
  received: number;
  /** Highest seq broadcast. */
  broadcast: number;
  pending: LabDocument[];
  recent: LabDocument[];
}

const LAG_SAMPLES = 10_000;

export class DocumentHub {
  private readonly streams = new Map<string, CampaignStream>();
  private readonly window: number;
  private scheduled = false;
  private stats = { accepted: 0, duplicates: 0, batches: 0 };
  /** Publication → broadcast delay of recent documents, ms (a ring of the last LAG_SAMPLES). */
  private readonly lags: number[] = [];
  private lagNext = 0;

  constructor(private readonly opts: DocumentHubOptions) {
    this.window = opts.window ?? 5000;
  }

  /** Starts a campaign's stream after `seq` when the hub has not seen it yet (polling feeds). */
  baseline(campaignId: string, seq: number): void {
    if (!this.streams.has(campaignId)) this.streams.set(campaignId, { received: seq, broadcast: seq, pending: [], recent: [] });
  }

  knows(campaignId: string): boolean {
    return this.streams.has(campaignId);
  }

  /** Accepts a live document; older or repeated sequence numbers are dropped. */
  accept(doc: LabDocument): void {
    let s = this.streams.get(doc.campaignId);
    if (!s) {
      s = { received: doc.seq - 1, broadcast: doc.seq - 1, pending: [], recent: [] };
      this.streams.set(doc.campaignId, s);
    }
    if (doc.seq <= s.received) {
      this.stats.duplicates++;
      return;
    }
    s.received = doc.seq;
    s.pending.push(doc);
    this.stats.accepted++;
    if (!this.scheduled) {
      this.scheduled = true;
      // After the current burst: the bus hands each document to subscribers in its own promise continuation, so a
      // microtask would flush one document at a time; a tick callback runs once the microtask queue is empty, which
      // batches everything published in one synchronous stretch (a trial's state changes, its run, its curve).
      process.nextTick(() => this.flush());
    }
  }

  /** Highest seq broadcast for the campaign; undefined when the hub has not seen it. */
  broadcastSeq(campaignId: string): number | undefined {
    return this.streams.get(campaignId)?.broadcast;
  }

  /**
   * Broadcast documents with seq in (afterSeq, broadcastSeq], at most `limit`, when the window still holds
   * afterSeq + 1; otherwise an empty array (read the database instead).
   */
  recentAfter(campaignId: string, afterSeq: number, limit: number): LabDocument[] {
    const s = this.streams.get(campaignId);
    const first = s?.recent[0];
    if (!s || !first || first.seq > afterSeq + 1) return [];
    const out: LabDocument[] = [];
    for (const d of s.recent) {
      if (d.seq <= afterSeq) continue;
      out.push(d);
      if (out.length >= limit) break;
    }
    return out;
  }

  counters(): { accepted: number; duplicates: number; batches: number } {
    return { ...this.stats };
  }

  /** Percentiles of the delay from a document's publication (`time`) to its broadcast, over recent documents, ms. */
  broadcastLag(): { samples: number; p50: number; p99: number; max: number } {
    const sorted = [...this.lags].sort((a, b) => a - b);
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
    return { samples: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
  }

  private flush(): void {
    this.scheduled = false;
    for (const [campaignId, s] of this.streams) {
      if (s.pending.length === 0) continue;
      const docs = s.pending;
      s.pending = [];
      const last = docs[docs.length - 1];
      if (last) s.broadcast = last.seq;
      s.recent.push(...docs);
      if (s.recent.length > this.window) s.recent.splice(0, s.recent.length - this.window);
      this.stats.batches++;
      const now = Date.now();
      for (const d of docs) {
        this.lags[this.lagNext] = now - Date.parse(d.time);
        this.lagNext = (this.lagNext + 1) % LAG_SAMPLES;
      }
      this.opts.broadcast(campaignId, docs);
    }
  }
}
