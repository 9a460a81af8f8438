import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db.ts';
import { operatorActionsTable } from '../schema.ts';

export interface OperatorActionRecord {
  campaignId: string;
  /** Sequence number of the operatorAction document. */
  seq: number;
  time: Date;
  actor: string;
  action: string;
  target: string | undefined;
  accepted: boolean;
  reason: string | undefined;
}

export interface OperatorActionRepository {
  /** Operator actions of a campaign in document order. */
  list(campaignId: string): Promise<OperatorActionRecord[]>;
}

export function operatorActionRepository(db: Db): OperatorActionRepository {
  return {
    async list(campaignId) {
      const rows = await db.select().from(operatorActionsTable).where(eq(operatorActionsTable.campaignId, campaignId)).orderBy(asc(operatorActionsTable.seq));
      return rows.map((row) => ({ ...row, target: row.target ?? undefined, reason: row.reason ?? undefined }));
    },
  };
}
