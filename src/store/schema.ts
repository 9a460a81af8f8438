import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { float64Array, float64Bytes } from './float64-array.ts';

/**
 * The drizzle schema (Postgres dialect) shared by PGlite and PostgreSQL. `migrations/` is generated from this file
 * by `npx drizzle-kit generate`; never edit a migration by hand after it lands.
 *
 * There are no foreign keys between these tables on purpose: documents (the record of truth) and measurements
 * arrive through two independent, batched sinks, so a measurement may be written before the trial row it belongs
 * to. Every row names its campaign, and every projection can be rebuilt from the documents table.
 * jsonb columns are typed `unknown` here: repositories parse them with zod when reading them back.
 */

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const campaignsTable = pgTable(
  'campaigns',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull().default(''),
    spec: jsonb('spec').$type<unknown>().notNull(),
    seed: integer('seed').notNull(),
    /** CampaignState: running | paused | completed | aborted | failed. */
    state: text('state').notNull().default('running'),
    stateReason: text('state_reason'),
    /** Lease: the process that runs the campaign, renewed by heartbeat; taken over once expired. */
    owner: text('owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true, mode: 'date' }),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true, mode: 'date' }),
    /**
     * Trials awaiting an operator in the lease holder's process (`{ approvals, recoveries }`, trial ids), written by
     * that process so a console in another process can show them (ADR 0032); null when none or nobody holds the lease.
     */
    pendingDecisions: jsonb('pending_decisions').$type<unknown>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('campaigns_state_lease_idx').on(t.state, t.leaseExpiresAt)],
);

export const trialsTable = pgTable(
  'trials',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull(),
    index: integer('index').notNull(),
    /** TrialStatus. */
    status: text('status').notNull(),
    recipe: jsonb('recipe').$type<unknown>().notNull(),
    proposer: text('proposer').notNull(),
    suggestionId: text('suggestion_id'),
    station: text('station'),
    attempts: integer('attempts').notNull().default(0),
    /** Failure of the latest failed step (null once the trial is retried or completes). */
    failure: jsonb('failure').$type<unknown>(),
    /** Objective name → value, from the completed run's runStop document. */
    objectives: jsonb('objectives').$type<unknown>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('trials_campaign_index_uq').on(t.campaignId, t.index)],
);

export const suggestionsTable = pgTable(
  'suggestions',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull(),
    trialId: text('trial_id').notNull(),
    proposer: text('proposer').notNull(),
    recipe: jsonb('recipe').$type<unknown>().notNull(),
    rationale: text('rationale').notNull(),
    acquisitionValue: doublePrecision('acquisition_value'),
    modelSnapshotId: text('model_snapshot_id'),
    predicted: jsonb('predicted').$type<unknown>(),
    createdAt: createdAt(),
  },
  (t) => [index('suggestions_campaign_idx').on(t.campaignId), index('suggestions_trial_idx').on(t.trialId)],
);

/** Append-only, gapless per campaign: (campaign_id, seq) is the primary key; UPDATE and DELETE are refused by a trigger. */
export const documentsTable = pgTable(
  'documents',
  {
    campaignId: text('campaign_id').notNull(),
    seq: integer('seq').notNull(),
    v: smallint('v').notNull().default(1),
    type: text('type').notNull(),
    time: timestamp('time', { withTimezone: true, mode: 'date' }).notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
  },
  (t) => [primaryKey({ name: 'documents_pk', columns: [t.campaignId, t.seq] })],
);

/**
 * One row per technique run. Curves are columnar float64: `arrayKeys[i]` names the i-th array, `arrayLengths[i]` its
 * length, and all arrays concatenated in key order are stored as little-endian float64 bytes in `arrayData` (ADR 0094;
 * rows written before it hold them as `arrayValues` text instead, ADR 0005, and are still read).
 */
export const measurementsTable = pgTable(
  'measurements',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull(),
    trialId: text('trial_id').notNull(),
    runId: text('run_id').notNull(),
    technique: text('technique').notNull(),
    stream: text('stream').notNull(),
    arrayKeys: text('array_keys').array().notNull(),
    arrayLengths: integer('array_lengths').array().notNull(),
    arrayValues: float64Array('array_values'),
    arrayData: float64Bytes('array_data'),
    conditions: jsonb('conditions').$type<unknown>(),
    features: jsonb('features').$type<unknown>().notNull(),
    flags: text('flags').array().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('measurements_trial_idx').on(t.trialId), index('measurements_campaign_idx').on(t.campaignId)],
);

/** What agents learn from finished trials; rebuilt from documents, read back to restore agents after a restart. */
export const observationsTable = pgTable(
  'observations',
  {
    trialId: text('trial_id').primaryKey(),
    campaignId: text('campaign_id').notNull(),
    recipe: jsonb('recipe').$type<unknown>().notNull(),
    feasible: boolean('feasible').notNull(),
    objectives: jsonb('objectives').$type<unknown>().notNull(),
    noiseVariance: jsonb('noise_variance').$type<unknown>(),
    failureCode: text('failure_code'),
    qualityFlags: text('quality_flags').array().notNull(),
    /** Sequence number of the document that produced this observation (orders observations within a campaign). */
    seq: integer('seq').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('observations_campaign_seq_idx').on(t.campaignId, t.seq)],
);

export const modelSnapshotsTable = pgTable(
  'model_snapshots',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull(),
    seq: integer('seq').notNull(),
    agent: text('agent').notNull(),
    n: integer('n').notNull(),
    hyperparameters: jsonb('hyperparameters').$type<unknown>().notNull(),
    looRmse: doublePrecision('loo_rmse'),
    parity: jsonb('parity').$type<unknown>(),
    createdAt: createdAt(),
  },
  (t) => [index('model_snapshots_campaign_seq_idx').on(t.campaignId, t.seq)],
);

/** One row per station pair of a campaign; `devices` keeps the last report of each device of the pair. */
export const stationsTable = pgTable(
  'stations',
  {
    campaignId: text('campaign_id').notNull(),
    id: text('id').notNull(),
    /** DeviceState last reported by any device of the station. */
    state: text('state').notNull(),
    device: text('device').notNull(),
    devices: jsonb('devices').$type<unknown>().notNull(),
    quarantined: boolean('quarantined').notNull().default(false),
    consecutiveFaults: integer('consecutive_faults').notNull().default(0),
    activeRunId: text('active_run_id'),
    message: text('message'),
    lastHeartbeat: timestamp('last_heartbeat', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ name: 'stations_pk', columns: [t.campaignId, t.id] })],
);

/** Operator actions, keyed by the sequence number of their operatorAction document. */
export const operatorActionsTable = pgTable(
  'operator_actions',
  {
    campaignId: text('campaign_id').notNull(),
    seq: integer('seq').notNull(),
    time: timestamp('time', { withTimezone: true, mode: 'date' }).notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    accepted: boolean('accepted').notNull(),
    reason: text('reason'),
  },
  (t) => [primaryKey({ name: 'operator_actions_pk', columns: [t.campaignId, t.seq] })],
);

/** Lifecycle of a queued console command: pending → claimed → accepted | refused; pending → expired | refused. */
export const CONSOLE_COMMAND_STATES = ['pending', 'claimed', 'accepted', 'refused', 'expired'] as const;

/**
 * Console commands for a campaign run by another process (ADR 0032). `labloop serve` inserts a row only while the
 * campaign has a live lease; the lease holder claims it (pending → claimed, one conditional UPDATE, so exactly one
 * process gets it), executes it through its engine's command API and writes the outcome (accepted | refused). A
 * waiter that gets no answer marks it expired; nobody claims a row past `expires_at`. A row with `refusal` records an
 * attempt the console refused itself (e.g. a viewer): the runner publishes it as a refused operatorAction instead of
 * executing it. `command` is the console's command JSON, parsed with zod by whoever reads it.
 */
export const consoleCommandsTable = pgTable(
  'console_commands',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id').notNull(),
    command: jsonb('command').$type<unknown>().notNull(),
    actor: text('actor').notNull(),
    refusal: text('refusal'),
    /** ConsoleCommandState. */
    state: text('state').notNull().default('pending'),
    /** Why it was refused or expired. */
    reason: text('reason'),
    /** Detail of an accepted command. */
    detail: text('detail'),
    /** Lease owner that claimed it. */
    claimedBy: text('claimed_by'),
    createdAt: createdAt(),
    /** No process may claim it after this (database clock). */
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true, mode: 'date' }),
    handledAt: timestamp('handled_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('console_commands_pending_idx').on(t.campaignId, t.createdAt).where(sql`state = 'pending'`),
    index('console_commands_campaign_idx').on(t.campaignId, t.createdAt),
    check('console_commands_state_ck', sql`state in ('pending', 'claimed', 'accepted', 'refused', 'expired')`),
  ],
);

export const schema = {
  campaignsTable,
  trialsTable,
  suggestionsTable,
  documentsTable,
  measurementsTable,
  observationsTable,
  modelSnapshotsTable,
  stationsTable,
  operatorActionsTable,
  consoleCommandsTable,
};
export type Schema = typeof schema;
