import { and, asc, count, eq, gt, max } from 'drizzle-orm';
import { parseDocument, type LabDocument } from '../../protocol/index.ts';
import type { Db } from '../db.ts';
import { documentsTable } from '../schema.ts';

export interface SequenceCheck {
  count: number;
  lastSeq: number;
  /** True when the stored sequence numbers are exactly 1..lastSeq. */
  gapless: boolean;
}

export interface DocumentRepository {
  /** Appends documents in one transaction. A (campaignId, seq) that is already stored refuses the whole batch. */
  append(docs: readonly LabDocument[]): Promise<void>;
  /** Documents of a campaign with seq > `afterSeq`, in sequence order, at most `limit` (default 1000). */
  after(campaignId: string, afterSeq: number, limit?: number): Promise<LabDocument[]>;
  /** Highest stored sequence number (0 when none): the DocumentBus resumes numbering from it. */
  lastSeq(campaignId: string): Promise<number>;
  count(campaignId: string): Promise<number>;
  checkSequence(campaignId: string): Promise<SequenceCheck>;
}

export type DocumentRow = typeof documentsTable.$inferInsert;

/** Postgres refuses at most 65535 parameters per statement; 6 columns per document. */
export const DOCUMENT_INSERT_CHUNK = 2000;

export function toDocumentRow(doc: LabDocument): DocumentRow {
  return { campaignId: doc.campaignId, seq: doc.seq, v: doc.v, type: doc.type, time: new Date(doc.time), payload: doc.payload };
}

export function fromDocumentRow(row: typeof documentsTable.$inferSelect): LabDocument {
  return parseDocument({ v: row.v, campaignId: row.campaignId, seq: row.seq, time: row.time.toISOString(), type: row.type, payload: row.payload });
}

export class DuplicateDocumentError extends Error {
  constructor(readonly campaignId: string, readonly seqs: number[]) {
    super(`documents already stored: campaign ${campaignId}, seq ${seqs.join(', ')}`);
    this.name = 'DuplicateDocumentError';
  }
}

export function documentRepository(db: Db): DocumentRepository {
  const lastSeq = async (campaignId: string): Promise<number> => {
    const [row] = await db.select({ last: max(documentsTable.seq) }).from(documentsTable).where(eq(documentsTable.campaignId, campaignId));
    return row?.last ?? 0;
  };
  const countOf = async (campaignId: string): Promise<number> => {
    const [row] = await db.select({ n: count() }).from(documentsTable).where(eq(documentsTable.campaignId, campaignId));
    return row?.n ?? 0;
  };
  return {
    async append(docs) {
      if (docs.length === 0) return;
      const rows = docs.map(toDocumentRow);
      await db.transaction(async (tx) => {
        for (let i = 0; i < rows.length; i += DOCUMENT_INSERT_CHUNK) {
          const chunk = rows.slice(i, i + DOCUMENT_INSERT_CHUNK);
          const inserted = await tx
            .insert(documentsTable)
            .values(chunk)
            .onConflictDoNothing()
            .returning({ campaignId: documentsTable.campaignId, seq: documentsTable.seq });
          if (inserted.length !== chunk.length) {
            const got = new Set(inserted.map((r) => `${r.campaignId}\u0000${r.seq}`));
            const dup = chunk.filter((r) => !got.has(`${r.campaignId}\u0000${r.seq}`));
            throw new DuplicateDocumentError(dup[0]?.campaignId ?? '', dup.map((r) => r.seq));
          }
        }
      });
    },

    async after(campaignId, afterSeq, limit = 1000) {
      const rows = await db
        .select()
        .from(documentsTable)
        .where(and(eq(documentsTable.campaignId, campaignId), gt(documentsTable.seq, afterSeq)))
        .orderBy(asc(documentsTable.seq))
        .limit(Math.max(0, Math.floor(limit)));
      return rows.map(fromDocumentRow);
    },

    lastSeq,
    count: countOf,

    async checkSequence(campaignId) {
      const [n, last] = await Promise.all([countOf(campaignId), lastSeq(campaignId)]);
      return { count: n, lastSeq: last, gapless: n === last };
    },
  };
}
