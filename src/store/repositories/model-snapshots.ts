import { asc, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db.ts';
import { modelSnapshotsTable } from '../schema.ts';

export interface ModelSnapshotRecord {
  id: string;
  campaignId: string;
  seq: number;
  agent: string;
  n: number;
  hyperparameters: Record<string, unknown>;
  looRmse: number | undefined;
  parity: { observed: number; predicted: number; sd: number }[] | undefined;
  createdAt: Date;
}

export interface ModelSnapshotRepository {
  /** Snapshots of a campaign in document order. */
  list(campaignId: string): Promise<ModelSnapshotRecord[]>;
  get(id: string): Promise<ModelSnapshotRecord | undefined>;
  latest(campaignId: string): Promise<ModelSnapshotRecord | undefined>;
}

const paritySchema = z.array(z.object({ observed: z.number(), predicted: z.number(), sd: z.number() }));

function toRecord(row: typeof modelSnapshotsTable.$inferSelect): ModelSnapshotRecord {
  return {
    id: row.id,
    campaignId: row.campaignId,
    seq: row.seq,
    agent: row.agent,
    n: row.n,
    hyperparameters: z.record(z.string(), z.unknown()).parse(row.hyperparameters),
    looRmse: row.looRmse ?? undefined,
    parity: row.parity === null ? undefined : paritySchema.parse(row.parity),
    createdAt: row.createdAt,
  };
}

export function modelSnapshotRepository(db: Db): ModelSnapshotRepository {
  return {
    async list(campaignId) {
      const rows = await db.select().from(modelSnapshotsTable).where(eq(modelSnapshotsTable.campaignId, campaignId)).orderBy(asc(modelSnapshotsTable.seq));
      return rows.map(toRecord);
    },
    async get(id) {
      const [row] = await db.select().from(modelSnapshotsTable).where(eq(modelSnapshotsTable.id, id));
      return row === undefined ? undefined : toRecord(row);
    },
    async latest(campaignId) {
      const [row] = await db
        .select()
        .from(modelSnapshotsTable)
        .where(eq(modelSnapshotsTable.campaignId, campaignId))
        .orderBy(desc(modelSnapshotsTable.seq))
        .limit(1);
      return row === undefined ? undefined : toRecord(row);
    },
  };
}
