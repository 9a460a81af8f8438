import { asc, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import {
  deviceStateSchema,
  failureCodeSchema,
  observationSchema,
  recipeSchema,
  suggestionSchema,
  type DeviceState,
  type Observation,
  type Suggestion,
} from '../../domain/index.ts';
import type { Db } from '../db.ts';
import { modelSnapshotsTable, observationsTable, operatorActionsTable, stationsTable, suggestionsTable } from '../schema.ts';

/**
 * Read repositories for the projected tables the document sink writes: suggestions, observations, model snapshots,
 * stations and operator actions. Every jsonb value is parsed with zod on the way out.
 */

export interface StoredSuggestion extends Suggestion {
  campaignId: string;
  trialId: string;
  createdAt: Date;
}

export interface StoredObservation extends Observation {
  campaignId: string;
  /** Sequence number of the document that completed (or failed) the trial. */
  seq: number;
}

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

export interface DeviceReport {
  state: DeviceState;
  activeRunId?: string | undefined;
  message?: string | undefined;
  time: string;
}

export interface StationRecord {
  campaignId: string;
  id: string;
  /** State last reported by any device of the station. */
  state: DeviceState;
  /** Device that reported last. */
  device: string;
  /** Last report of each device of the station. */
  devices: Record<string, DeviceReport>;
  quarantined: boolean;
  consecutiveFaults: number;
  activeRunId: string | undefined;
  message: string | undefined;
  lastHeartbeat: Date;
}

export interface OperatorActionRecord {
  campaignId: string;
  seq: number;
  time: Date;
  actor: string;
  action: string;
  target: string | undefined;
  accepted: boolean;
  reason: string | undefined;
}

const paritySchema = z.array(z.object({ observed: z.number(), predicted: z.number(), sd: z.number() }));
export const deviceReportSchema = z.object({
  state: deviceStateSchema,
  activeRunId: z.string().optional(),
  message: z.string().optional(),
  time: z.string(),
});

export function suggestionRepository(db: Db) {
  const toSuggestion = (row: typeof suggestionsTable.$inferSelect): StoredSuggestion => ({
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
  });
  return {
    /** Suggestions of a campaign in the order they were made. */
    async list(campaignId: string): Promise<StoredSuggestion[]> {
      const rows = await db.select().from(suggestionsTable).where(eq(suggestionsTable.campaignId, campaignId)).orderBy(asc(suggestionsTable.createdAt), asc(suggestionsTable.id));
      return rows.map(toSuggestion);
    },
    async get(id: string): Promise<StoredSuggestion | undefined> {
      const [row] = await db.select().from(suggestionsTable).where(eq(suggestionsTable.id, id));
      return row === undefined ? undefined : toSuggestion(row);
    },
  };
}
export type SuggestionRepository = ReturnType<typeof suggestionRepository>;

export function observationRepository(db: Db) {
  return {
    /** Observations of a campaign in the order trials finished: what agents ingest after a restart. */
    async list(campaignId: string): Promise<StoredObservation[]> {
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
export type ObservationRepository = ReturnType<typeof observationRepository>;

export function modelSnapshotRepository(db: Db) {
  const toRecord = (row: typeof modelSnapshotsTable.$inferSelect): ModelSnapshotRecord => ({
    id: row.id,
    campaignId: row.campaignId,
    seq: row.seq,
    agent: row.agent,
    n: row.n,
    hyperparameters: z.record(z.string(), z.unknown()).parse(row.hyperparameters),
    looRmse: row.looRmse ?? undefined,
    parity: row.parity === null ? undefined : paritySchema.parse(row.parity),
    createdAt: row.createdAt,
  });
  return {
    async list(campaignId: string): Promise<ModelSnapshotRecord[]> {
      const rows = await db.select().from(modelSnapshotsTable).where(eq(modelSnapshotsTable.campaignId, campaignId)).orderBy(asc(modelSnapshotsTable.seq));
      return rows.map(toRecord);
    },
    async get(id: string): Promise<ModelSnapshotRecord | undefined> {
      const [row] = await db.select().from(modelSnapshotsTable).where(eq(modelSnapshotsTable.id, id));
      return row === undefined ? undefined : toRecord(row);
    },
    async latest(campaignId: string): Promise<ModelSnapshotRecord | undefined> {
      const [row] = await db.select().from(modelSnapshotsTable).where(eq(modelSnapshotsTable.campaignId, campaignId)).orderBy(desc(modelSnapshotsTable.seq)).limit(1);
      return row === undefined ? undefined : toRecord(row);
    },
  };
}
export type ModelSnapshotRepository = ReturnType<typeof modelSnapshotRepository>;

export function stationRepository(db: Db) {
  return {
    async list(campaignId: string): Promise<StationRecord[]> {
      const rows = await db.select().from(stationsTable).where(eq(stationsTable.campaignId, campaignId)).orderBy(asc(stationsTable.id));
      return rows.map((row) => ({
        campaignId: row.campaignId,
        id: row.id,
        state: deviceStateSchema.parse(row.state),
        device: row.device,
        devices: z.record(z.string(), deviceReportSchema).parse(row.devices),
        quarantined: row.quarantined,
        consecutiveFaults: row.consecutiveFaults,
        activeRunId: row.activeRunId ?? undefined,
        message: row.message ?? undefined,
        lastHeartbeat: row.lastHeartbeat,
      }));
    },
  };
}
export type StationRepository = ReturnType<typeof stationRepository>;

export function operatorActionRepository(db: Db) {
  return {
    async list(campaignId: string): Promise<OperatorActionRecord[]> {
      const rows = await db.select().from(operatorActionsTable).where(eq(operatorActionsTable.campaignId, campaignId)).orderBy(asc(operatorActionsTable.seq));
      return rows.map((row) => ({ ...row, target: row.target ?? undefined, reason: row.reason ?? undefined }));
    },
  };
}
export type OperatorActionRepository = ReturnType<typeof operatorActionRepository>;
