import type { CampaignSpec, DeviceState, Trial, TrialStatus } from '../domain/index.ts';
import type { CampaignState, LabDocument } from '../protocol/index.ts';
import type { ConsoleCommand } from './console-protocol.ts';

/**
 * What the console needs from the outside world, as interfaces. The composition root (src/app/console-*.ts) adapts
 * the store and the engine to them; the console never imports either. Everything returned is JSON-serialisable.
 */

export interface CampaignListItem {
  id: string;
  title: string;
  state: CampaignState;
  stateReason?: string | undefined;
  trialCounts: Partial<Record<TrialStatus, number>>;
  trialTotal: number;
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
}

export interface CampaignDetail extends CampaignListItem {
  spec: CampaignSpec;
  seed: number;
}

export interface StationView {
  id: string;
  state: DeviceState;
  device: string;
  quarantined: boolean;
  consecutiveFaults: number;
  activeRunId?: string | undefined;
  message?: string | undefined;
  lastHeartbeat: string;
}

export interface ModelSnapshotView {
  id: string;
  seq: number;
  agent: string;
  n: number;
  hyperparameters: Record<string, unknown>;
  looRmse?: number | undefined;
  /** Leave-one-out parity points; the store's reader sends them for the newest snapshot that has them only. */
  parity?: { observed: number; predicted: number; sd: number }[] | undefined;
  createdAt: string;
}

export interface OperatorActionView {
  seq: number;
  time: string;
  actor: string;
  action: string;
  target?: string | undefined;
  accepted: boolean;
  reason?: string | undefined;
}

/** Read side: the database (or anything that can answer like it). */
export interface ConsoleReader {
  listCampaigns(): Promise<CampaignListItem[]>;
  getCampaign(campaignId: string): Promise<CampaignDetail | undefined>;
  trials(campaignId: string): Promise<Trial[]>;
  stations(campaignId: string): Promise<StationView[]>;
  modelSnapshots(campaignId: string): Promise<ModelSnapshotView[]>;
  operatorActions(campaignId: string): Promise<OperatorActionView[]>;
  /** Stored documents with seq > afterSeq, in order, at most `limit`. */
  documentsAfter(campaignId: string, afterSeq: number, limit: number): Promise<LabDocument[]>;
  lastSeq(campaignId: string): Promise<number>;
  /** results.csv and campaign.json content, as `labloop export` writes them; undefined for an unknown campaign. */
  exportCampaign(campaignId: string): Promise<{ csv: string; json: unknown } | undefined>;
}

export type CommandOutcome = { accepted: true; detail?: string } | { accepted: false; reason: string };

/** Trials waiting for an operator in this process. */
export interface PendingDecisions {
  approvals: string[];
  recoveries: string[];
  /** Open planner questions (request ids, ADR 0076). */
  questions?: string[];
}

/** A campaign no process runs that an operator may resume or abort (`labloop campaigns` names the same states). */
export type DormantStatus = 'interrupted' | 'paused' | 'awaiting-recovery';

/**
 * Command side: the engine's command API for the campaigns this process runs. Implementations validate the command
 * against the current state and record every attempt (accepted or not) as an operatorAction document with its actor.
 */
export interface CampaignCommands {
  /** True when this process runs the campaign (other campaigns are read-only here). */
  controls(campaignId: string): boolean;
  execute(command: ConsoleCommand, actor: string): Promise<CommandOutcome>;
  /** Records an attempt the console refused before it reached the engine (e.g. a viewer trying to pause). */
  refuse(command: ConsoleCommand, actor: string, reason: string): void;
  pending(campaignId: string): Promise<PendingDecisions>;
  /** Whether no process runs the campaign and it can be resumed or aborted here (absent: never). */
  dormant?(campaignId: string): DormantStatus | undefined;
}
