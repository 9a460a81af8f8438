export { openStore, DEFAULT_PGLITE_DIR, MEMORY_DIR, type OpenStoreOptions } from './open-store.ts';
export type { Store, Repositories } from './store.ts';
export type { StoreKind } from './db.ts';
export type { CampaignRecord, CampaignSummary, CampaignUpsert, CampaignRepository } from './repositories/campaigns.ts';
export { pendingDecisionIdsSchema, type CampaignClaim, type Lease, type LeaseRepository, type PendingDecisionIds } from './repositories/leases.ts';
export {
  consoleCommandStateSchema,
  type CommandCompletion,
  type CommandEnqueue,
  type ConsoleCommandRepository,
  type ConsoleCommandState,
  type QueuedCommand,
} from './repositories/console-commands.ts';
export { DuplicateDocumentError, type DocumentRepository, type SequenceCheck } from './repositories/documents.ts';
export type { TrialRepository, TrialListOptions } from './repositories/trials.ts';
export type { MeasurementRepository } from './repositories/measurements.ts';
export type { StoredSuggestion, SuggestionRepository } from './repositories/suggestions.ts';
export type { StoredObservation, ObservationRepository } from './repositories/observations.ts';
export type { ModelSnapshotRecord, ModelSnapshotRepository } from './repositories/model-snapshots.ts';
export type { StationRecord, DeviceReport, StationRepository } from './repositories/stations.ts';
export type { OperatorActionRecord, OperatorActionRepository } from './repositories/operator-actions.ts';
export { attachDocumentSink, type DocumentSink, type DocumentSinkOptions, type DocumentSinkStats } from './document-sink.ts';
export {
  createMeasurementSink,
  measurementRecordSchema,
  type MeasurementRecord,
  type MeasurementSink,
  type MeasurementSinkOptions,
  type StoreMeasurementSink,
  type StoredMeasurement,
} from './measurement-sink.ts';
export { exportCampaign, CampaignNotFoundError, FIXED_COLUMNS, type CampaignExport, type ExportTrial, type BestValue } from './export.ts';
export { toCsv, type CsvColumn } from './csv.ts';
