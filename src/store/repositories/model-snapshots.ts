import { and, asc, desc, eq, getTableColumns, isNotNull } from 'drizzle-orm';
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

/** A snapshot without its leave-one-out parity points (what an export of every snapshot needs). */
export type ModelSnapshotSummary = Omit<ModelSnapshotRecord, 'parity'>;

export interface ModelSnapshotRepository {
  /** Snapshots of a campaign in document order. */
  list(campaignId: string): Promise<ModelSnapshotRecord[]>;
  /**
   * The same without the parity points, which are not read from the database at all: a 1,000-trial campaign holds
   * ≈ 1,000 snapshots of up to a few hundred points each, and loading them all for the export at the end of a run
   * was the run's largest allocation (issue 14's memory target).
   */
  summaries(campaignId: string): Promise<ModelSnapshotSummary[]>;
  /** The newest snapshot that has parity points (the console's parity plot). */
  latestWithParity(campaignId: string): Promise<ModelSnapshotRecord | undefined>;
  get(id: string): Promise<ModelSnapshotRecord | undefined>;
  latest(campaignId: string): Promise<ModelSnapshotRecord | undefined>;
}

const paritySchema = z.array(z.object({ observed: z.number(), predicted: z.number(), sd: z.number() }));

type SummaryRow = Omit<typeof modelSnapshotsTable.$inferSelect, 'parity'>;

function toSummary(row: SummaryRow): ModelSnapshotSummary {
  return {
    id: row.id,
    campaignId: row.campaignId,
    seq: row.seq,
    agent: row.agent,
    n: row.n,
    hyperparameters: z.record(z.string(), z.unknown()).parse(row.hyperparameters),
    looRmse: row.looRmse ?? undefined,
    createdAt: row.createdAt,
  };
}

function toRecord(row: typeof modelSnapshotsTable.$inferSelect): ModelSnapshotRecord {
  return { ...toSummary(row), parity: row.parity === null ? undefined : paritySchema.parse(row.parity) };
}

export function modelSnapshotRepository(db: Db): ModelSnapshotRepository {
  return {
    async list(campaignId) {
      const rows = await db.select().from(modelSnapshotsTable).where(eq(modelSnapshotsTable.campaignId, campaignId)).orderBy(asc(modelSnapshotsTable.seq));
      return rows.map(toRecord);
    },
    async summaries(campaignId) {
      const { parity: _parity, ...columns } = getTableColumns(modelSnapshotsTable);
      const rows = await db.select(columns).from(modelSnapshotsTable).where(eq(modelSnapshotsTable.campaignId, campaignId)).orderBy(asc(modelSnapshotsTable.seq));
      return rows.map(toSummary);
    },
    async latestWithParity(campaignId) {
      const [row] = await db
        .select()
        .from(modelSnapshotsTable)
        .where(and(eq(modelSnapshotsTable.campaignId, campaignId), isNotNull(modelSnapshotsTable.parity)))
        .orderBy(desc(modelSnapshotsTable.seq))
        .limit(1);
      return row === undefined ? undefined : toRecord(row);
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
