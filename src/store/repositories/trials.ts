import { and, asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { trialSchema, type Trial, type TrialStatus } from '../../domain/index.ts';
import type { Db } from '../db.ts';
import { trialsTable } from '../schema.ts';

export interface TrialListOptions {
  status?: TrialStatus | readonly TrialStatus[];
}

export interface TrialRepository {
  /** Trials of a campaign ordered by index. */
  list(campaignId: string, opts?: TrialListOptions): Promise<Trial[]>;
  get(id: string): Promise<Trial | undefined>;
}

type TrialRow = typeof trialsTable.$inferSelect;

/** A row as the domain Trial (zod-validated). `suggestionId` is '' while no suggestion document names the trial. */
export function toTrial(row: TrialRow): Trial {
  return trialSchema.parse({
    id: row.id,
    campaignId: row.campaignId,
    index: row.index,
    status: row.status,
    recipe: row.recipe,
    suggestionId: row.suggestionId ?? '',
    proposer: row.proposer,
    ...(row.station === null ? {} : { station: row.station }),
    attempts: row.attempts,
    ...(row.failure === null ? {} : { failure: row.failure }),
    ...(row.objectives === null ? {} : { objectives: z.record(z.string(), z.number()).parse(row.objectives) }),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  });
}

export function trialRepository(db: Db): TrialRepository {
  return {
    async list(campaignId, opts = {}) {
      const statuses = opts.status === undefined ? undefined : typeof opts.status === 'string' ? [opts.status] : [...opts.status];
      const rows = await db
        .select()
        .from(trialsTable)
        .where(and(eq(trialsTable.campaignId, campaignId), statuses === undefined ? undefined : inArray(trialsTable.status, statuses)))
        .orderBy(asc(trialsTable.index));
      return rows.map(toTrial);
    },

    async get(id) {
      const [row] = await db.select().from(trialsTable).where(eq(trialsTable.id, id));
      return row === undefined ? undefined : toTrial(row);
    },
  };
}
