import { asc, eq } from 'drizzle-orm';
import { suggestionSchema, type Suggestion } from '../../domain/index.ts';
import type { Db } from '../db.ts';
import { suggestionsTable } from '../schema.ts';

export interface StoredSuggestion extends Suggestion {
  campaignId: string;
  trialId: string;
  createdAt: Date;
}

export interface SuggestionRepository {
  /** Suggestions of a campaign in the order they were made. */
  list(campaignId: string): Promise<StoredSuggestion[]>;
  get(id: string): Promise<StoredSuggestion | undefined>;
}

function toSuggestion(row: typeof suggestionsTable.$inferSelect): StoredSuggestion {
  return {
    ...suggestionSchema.parse({
      id: row.id,
      recipe: row.recipe,
      proposer: row.proposer,
      rationale: row.rationale,
      ...(row.acquisitionValue === null ? {} : { acquisitionValue: row.acquisitionValue }),
      ...(row.modelSnapshotId === null ? {} : { modelSnapshotId: row.modelSnapshotId }),
      ...(row.predicted === null ? {} : { predicted: row.predicted }),
    }),
    campaignId: row.campaignId,
    trialId: row.trialId,
    createdAt: row.createdAt,
  };
}

export function suggestionRepository(db: Db): SuggestionRepository {
  return {
    async list(campaignId) {
      const rows = await db
        .select()
        .from(suggestionsTable)
        .where(eq(suggestionsTable.campaignId, campaignId))
        .orderBy(asc(suggestionsTable.createdAt), asc(suggestionsTable.id));
      return rows.map(toSuggestion);
    },
    async get(id) {
      const [row] = await db.select().from(suggestionsTable).where(eq(suggestionsTable.id, id));
      return row === undefined ? undefined : toSuggestion(row);
    },
  };
}
