import { and, asc, count, eq, gt, max } from 'drizzle-orm';
import { parseDocument, type DocumentOf, type DocumentType, type LabDocument } from '../../protocol/index.ts';
import { docKey, insertDocuments } from '../bulk-sql.ts';
import type { Db } from '../db.ts';
import { documentsTable } from '../schema.ts';

export interface SequenceCheck {
  count: number;
  lastSeq: number;
  /** True when the stored sequence numbers are exactly 1..lastSeq. */
  gapless: boolean;
}

export interface DocumentRepository {
  /** Appends documents in one transaction. A (campaignId, seq) already stored (or twice in the batch) refuses the whole batch. */
  append(docs: readonly LabDocument[]): Promise<void>;
  /** Documents of a campaign with seq > `afterSeq`, in sequence order, at most `limit` (default 1000). */
  after(campaignId: string, afterSeq: number, limit?: number): Promise<LabDocument[]>;
  /** Highest stored sequence number (0 when none): the DocumentBus resumes numbering from it. */
  lastSeq(campaignId: string): Promise<number>;
  /** Documents of one type of a campaign, in sequence order. */
  ofType<T extends DocumentType>(campaignId: string, type: T): Promise<DocumentOf<T>[]>;
  count(campaignId: string): Promise<number>;
  checkSequence(campaignId: string): Promise<SequenceCheck>;
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
      await db.transaction(async (tx) => {
        const stored = await insertDocuments(tx, docs);
        if (stored.size !== docs.length) {
          const seen = new Set<string>();
          const dup = docs.filter((d) => {
            const key = docKey(d.campaignId, d.seq);
            const refused = !stored.has(key) || seen.has(key);
            seen.add(key);
            return refused;
          });
          throw new DuplicateDocumentError(dup[0]?.campaignId ?? '', dup.map((d) => d.seq));
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

    async ofType<T extends DocumentType>(campaignId: string, type: T): Promise<DocumentOf<T>[]> {
      const rows = await db
        .select()
        .from(documentsTable)
        .where(and(eq(documentsTable.campaignId, campaignId), eq(documentsTable.type, type)))
        .orderBy(asc(documentsTable.seq));
      return rows.map((r) => fromDocumentRow(r) as DocumentOf<T>);
    },

    lastSeq,
    count: countOf,

    async checkSequence(campaignId) {
      const [n, last] = await Promise.all([countOf(campaignId), lastSeq(campaignId)]);
      return { count: n, lastSeq: last, gapless: n === last };
    },
  };
}
