import type { Db, StoreKind } from './db.ts';
import { campaignRepository, type CampaignRepository } from './repositories/campaigns.ts';
import { consoleCommandRepository, type ConsoleCommandRepository } from './repositories/console-commands.ts';
import { documentRepository, type DocumentRepository } from './repositories/documents.ts';
import { measurementRepository, type MeasurementRepository } from './repositories/measurements.ts';
import { modelSnapshotRepository, type ModelSnapshotRepository } from './repositories/model-snapshots.ts';
import { observationRepository, type ObservationRepository } from './repositories/observations.ts';
import { operatorActionRepository, type OperatorActionRepository } from './repositories/operator-actions.ts';
import { stationRepository, type StationRepository } from './repositories/stations.ts';
import { suggestionRepository, type SuggestionRepository } from './repositories/suggestions.ts';
import { trialRepository, type TrialRepository } from './repositories/trials.ts';

/** The repositories of one database (or of one transaction). */
export interface Repositories {
  campaigns: CampaignRepository;
  trials: TrialRepository;
  suggestions: SuggestionRepository;
  documents: DocumentRepository;
  measurements: MeasurementRepository;
  observations: ObservationRepository;
  modelSnapshots: ModelSnapshotRepository;
  stations: StationRepository;
  operatorActions: OperatorActionRepository;
  /** Console commands for campaigns run by another process (ADR 0032). */
  consoleCommands: ConsoleCommandRepository;
}

/**
 * labloop's database: typed repositories over one drizzle schema, on PGlite or PostgreSQL. Obtain one with
 * `openStore`; close it when done. `db` is the drizzle handle for store-internal code (projections, sinks).
 */
export interface Store extends Repositories {
  readonly kind: StoreKind;
  readonly db: Db;
  /** Runs `fn` in one transaction with repositories bound to it. */
  transaction<T>(fn: (tx: Repositories & { db: Db }) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function repositories(db: Db): Repositories {
  return {
    campaigns: campaignRepository(db),
    trials: trialRepository(db),
    suggestions: suggestionRepository(db),
    documents: documentRepository(db),
    measurements: measurementRepository(db),
    observations: observationRepository(db),
    modelSnapshots: modelSnapshotRepository(db),
    stations: stationRepository(db),
    operatorActions: operatorActionRepository(db),
    consoleCommands: consoleCommandRepository(db),
  };
}

export function createStore(kind: StoreKind, db: Db, close: () => Promise<void>): Store {
  let closing: Promise<void> | undefined;
  return {
    kind,
    db,
    ...repositories(db),
    transaction: (fn) => db.transaction((tx) => fn({ ...repositories(tx), db: tx })),
    close: () => (closing ??= close()),
  };
}
