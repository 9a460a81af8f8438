import { asc, eq } from 'drizzle-orm';
import { failureCodeSchema, observationSchema, recipeSchema, type Observation } from '../../domain/index.ts';
import type { Db } from '../db.ts';
import { observationsTable } from '../schema.ts';

export interface StoredObservation extends Observation {
  campaignId: string;
  /** Sequence number of the document that completed (or failed) the trial. */
  seq: number;
}

export interface ObservationRepository {
  /** Observations of a campaign in the order trials finished: what agents ingest after a restart. */
  list(campaignId: string): Promise<StoredObservation[]>;
}

export function observationRepository(db: Db): ObservationRepository {
  return {
    async list(campaignId) {
      const rows = await db.select().from(observationsTable).where(eq(observationsTable.campaignId, campaignId)).orderBy(asc(observationsTable.seq));
      return rows.map((row) => ({
        ...observationSchema.parse({
          trialId: row.trialId,
          recipe: recipeSchema.parse(row.recipe),
          feasible: row.feasible,
          objectives: row.objectives,
          ...(row.noiseVariance === null ? {} : { noiseVariance: row.noiseVariance }),
          ...(row.failureCode === null ? {} : { failureCode: failureCodeSchema.parse(row.failureCode) }),
          qualityFlags: row.qualityFlags,
        }),
        campaignId: row.campaignId,
        seq: row.seq,
      }));
    },
  };
}
