import { silentLogger, type Logger } from '../domain/index.ts';
import type { DocumentBus, LabDocument } from '../protocol/index.ts';
import { BatchQueue, type BatchQueueStats } from './batch-queue.ts';
import { docKey, insertDocuments } from './bulk-sql.ts';
import type { Db } from './db.ts';
import { applyProjection } from './projection-apply.ts';
import { commitRunFlags, newProjectionState, planProjection, type ProjectionPlan, type ProjectionState } from './projection-plan.ts';
import type { Store } from './store.ts';
import { sql } from 'drizzle-orm';
import { rowsOf } from './db.ts';

export interface DocumentSinkOptions {
  logger?: Logger | undefined;
  /** Documents per transaction (default 1000). */
  batchSize?: number | undefined;
  /** Attempts per batch before it is written document by document (default 6). */
  attempts?: number | undefined;
  retryDelayMs?: number | undefined;
  /**
   * Fencing: every batch first checks, in its transaction, that `owner` still holds the campaign's lease (the row is
   * read FOR SHARE, so a take-over waits for the batch or the batch sees the new owner). A process that lost its lease
   * — paused, then woken after another took over — never writes again: its batches are refused and `onFenced` is told.
   */
  fence?: { campaignId: string; owner: string; onFenced?: (holder: string | undefined) => void } | undefined;
}

/** A write refused because another process holds the campaign's lease now. */
export class LeaseFencedError extends Error {
  constructor(
    readonly campaignId: string,
    readonly holder: string | undefined,
  ) {
    super(`campaign ${campaignId}: the lease is held by ${holder ?? 'nobody'} now; this process may not write`);
    this.name = 'LeaseFencedError';
  }
}

export interface DocumentSinkStats extends BatchQueueStats {
  /** Documents already stored (a retried batch whose first commit did succeed); not projected again. */
  duplicates: number;
  /** Documents stored without their projection because projecting them failed. */
  projectionErrors: number;
  /** Documents that could not be stored at all. */
  lost: { campaignId: string; seq: number; type: string; error: string }[];
}

export interface DocumentSink {
  /** Resolves when every document published so far is stored (or recorded as lost). Never rejects. */
  flush(): Promise<void>;
  /** Stops listening to the bus; documents already received are still written (await `flush()`). */
  detach(): void;
  stats(): DocumentSinkStats;
}

/**
 * Subscribes to the bus and writes every document to the documents table, then projects it onto the tables the
 * console and the CLI read (trials, suggestions, observations, model snapshots, stations, operator actions,
 * campaigns) in the same transaction. The subscriber only enqueues: it never blocks or throws into the publisher.
 * Writes are batched per tick; a failing batch is retried, then split (see BatchQueue); a document whose projection
 * fails is still stored; a document that cannot be stored is logged and listed in `stats().lost`.
 */
export function attachDocumentSink(bus: DocumentBus, store: Pick<Store, 'db'>, opts: DocumentSinkOptions = {}): DocumentSink {
  const logger = (opts.logger ?? silentLogger).child({ component: 'document-sink' });
  const extra = { duplicates: 0, projectionErrors: 0, lost: [] as DocumentSinkStats['lost'] };
  const state = newProjectionState();
  const fence = opts.fence;
  let fencedBy: LeaseFencedError | undefined;
  const refuse = (docs: readonly LabDocument[], err: LeaseFencedError): void => {
    for (const d of docs) extra.lost.push({ campaignId: d.campaignId, seq: d.seq, type: d.type, error: err.message });
  };
  const write = async (docs: readonly LabDocument[], project: boolean): Promise<void> => {
    // Fenced: refused at once, never retried (retrying cannot give the lease back).
    if (fencedBy) return refuse(docs, fencedBy);
    let result: Awaited<ReturnType<typeof writeDocuments>>;
    try {
      result = await store.db.transaction(async (tx) => {
        if (fence) {
          const holder = await leaseHolder(tx, fence.campaignId);
          if (holder !== fence.owner) throw new LeaseFencedError(fence.campaignId, holder);
        }
        return writeDocuments(tx, docs, state, project);
      });
    } catch (e) {
      if (!(e instanceof LeaseFencedError) || !fence) throw e;
      fencedBy = e;
      logger.error({ campaignId: fence.campaignId, holder: e.holder }, 'campaign lease lost: this process writes no more documents');
      fence.onFenced?.(e.holder);
      return refuse(docs, e);
    }
    extra.duplicates += result.duplicates;
    commitRunFlags(state, result); // only once committed
  };

  const queue = new BatchQueue<LabDocument>({
    logger,
    batchSize: opts.batchSize ?? 1000,
    attempts: opts.attempts,
    retryDelayMs: opts.retryDelayMs,
    write: (docs) => write(docs, true),
    writeSingle: async (doc) => {
      try {
        await write([doc], true);
      } catch (e) {
        await write([doc], false);
        extra.projectionErrors++;
        logger.error({ err: e, campaignId: doc.campaignId, seq: doc.seq, type: doc.type }, 'document stored without its projection');
      }
    },
    onDropped: (doc, error) => {
      extra.lost.push({ campaignId: doc.campaignId, seq: doc.seq, type: doc.type, error: String((error as Error | undefined)?.message ?? error) });
      logger.error({ err: error, campaignId: doc.campaignId, seq: doc.seq, type: doc.type }, 'document could not be stored');
    },
  });

  const unsubscribe = bus.subscribe((doc) => {
    queue.push(doc);
  });
  let attached = true;
  let delivered: Promise<void> = Promise.resolve();
  return {
    async flush() {
      // The bus hands documents to subscribers asynchronously: let it deliver everything published so far first.
      await (attached ? bus.flush() : delivered);
      await queue.flush();
    },
    detach() {
      if (!attached) return;
      attached = false;
      delivered = bus.flush(); // taken while still subscribed, so it covers documents already in flight to us
      unsubscribe();
    },
    stats: () => ({ ...queue.stats(), ...extra, lost: [...extra.lost] }),
  };
}

/**
 * Inserts the documents (skipping any already stored) and projects the newly stored ones. Returns how many were
 * already stored and the plan's run flags; the caller merges those into its state once the transaction committed
 * (`commitRunFlags`), so a rolled-back transaction leaves the state as it was.
 */
export async function writeDocuments(
  db: Db,
  docs: readonly LabDocument[],
  state: ProjectionState,
  project: boolean,
): Promise<{ duplicates: number; runFlags: ProjectionPlan['runFlags'] }> {
  const stored = await insertDocuments(db, docs);
  const duplicates = docs.length - stored.size;
  if (!project) return { duplicates, runFlags: new Map() };
  const fresh = duplicates === 0 ? docs : docs.filter((d) => stored.has(docKey(d.campaignId, d.seq)));
  const plan = planProjection(fresh, state);
  await applyProjection(db, plan, state);
  return { duplicates, runFlags: plan.runFlags };
}

/** The campaign's lease owner, read FOR SHARE inside the caller's transaction (undefined: free or no such campaign). */
async function leaseHolder(tx: Db, campaignId: string): Promise<string | undefined> {
  const rows = rowsOf<{ owner: string | null }>(await tx.execute(sql`select owner from campaigns where id = ${campaignId} for share`));
  return rows[0]?.owner ?? undefined;
}
