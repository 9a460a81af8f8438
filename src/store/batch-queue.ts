import type { Logger } from '../domain/index.ts';

export interface BatchQueueOptions<T> {
  /** Writes one batch (in one transaction). Throwing makes the queue retry it. */
  write(items: T[]): Promise<void>;
  /** Writes one item in the split phase (default: `write([item])`); a chance to degrade, e.g. skip a projection. */
  writeSingle?: ((item: T) => Promise<void>) | undefined;
  /** Called for an item that still fails when written alone after every retry. */
  onDropped(item: T, error: unknown): void;
  logger: Logger;
  /** Most items per write (default 500). */
  batchSize?: number | undefined;
  /** Attempts per batch before it is split into single items (default 6: ≈ 1.5 s of back-off). */
  attempts?: number | undefined;
  /** First retry delay, doubled each attempt, ms (default 50). */
  retryDelayMs?: number | undefined;
}

export interface BatchQueueStats {
  queued: number;
  written: number;
  dropped: number;
  retries: number;
  batches: number;
}

/**
 * An in-memory write-behind queue. `push` never blocks and never throws; the first push of a tick schedules a drain
 * on the next macrotask, so everything published in one tick is written together. One write is in flight at a time,
 * in push order. A failing batch is retried with back-off, then written item by item so one bad item cannot hold
 * the others back; an item that still fails is dropped, logged and reported to `onDropped`.
 */
export class BatchQueue<T> {
  private readonly items: T[] = [];
  private draining: Promise<void> | undefined;
  private readonly counters = { written: 0, dropped: 0, retries: 0, batches: 0 };
  private readonly batchSize: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;

  constructor(private readonly opts: BatchQueueOptions<T>) {
    this.batchSize = Math.max(1, opts.batchSize ?? 500);
    this.attempts = Math.max(1, opts.attempts ?? 6);
    this.retryDelayMs = Math.max(0, opts.retryDelayMs ?? 50);
  }

  push(item: T): void {
    this.items.push(item);
    if (this.draining === undefined) this.draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** Resolves when everything pushed so far has been written or dropped. Never rejects. */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  stats(): BatchQueueStats {
    return { queued: this.items.length, ...this.counters };
  }

  private async drain(): Promise<void> {
    try {
      while (this.items.length > 0) {
        const batch = this.items.splice(0, this.batchSize);
        if (await this.tryWrite(batch, this.attempts, () => this.opts.write(batch))) continue;
        const single = this.opts.writeSingle ?? ((item: T) => this.opts.write([item]));
        for (const item of batch) {
          if (await this.tryWrite([item], 1, () => single(item))) continue;
          this.counters.dropped++;
          try {
            this.opts.onDropped(item, this.lastError);
          } catch (e) {
            this.opts.logger.error({ err: e }, 'onDropped handler threw');
          }
        }
      }
    } finally {
      this.draining = undefined;
      // Items pushed while the last write was finishing are picked up by a new drain.
      if (this.items.length > 0) this.draining = this.drain();
    }
  }

  private lastError: unknown;

  private async tryWrite(batch: T[], attempts: number, write: () => Promise<void>): Promise<boolean> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        this.counters.batches++;
        await write();
        this.counters.written += batch.length;
        return true;
      } catch (e) {
        this.lastError = e;
        const last = attempt === attempts;
        this.opts.logger[last ? 'error' : 'warn']({ err: e, size: batch.length, attempt }, last ? 'store write failed' : 'store write failed; retrying');
        if (!last) {
          this.counters.retries++;
          await new Promise((r) => setTimeout(r, this.retryDelayMs * 2 ** (attempt - 1)));
        }
      }
    }
    return false;
  }
}
