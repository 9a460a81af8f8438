import type { FailureCode } from '../domain/index.ts';
import type { Deck } from './labware.ts';

/**
 * The contract between the volume tracker and its per-step checks: the shared value types, and the narrow views of
 * the tracker and of an open transaction that the checks read and write. Both sides import this module, neither
 * imports the other's (no import cycle).
 */

export interface ChannelError {
  /** Undefined for a step that concerns no channel (e.g. washing a cell). */
  channel?: number;
  step: number;
  code: FailureCode;
  vendorCode?: string;
  message: string;
}

export interface Contents {
  volume: number;
  /** nmol per species (water excluded). */
  amounts: Readonly<Record<string, number>>;
}

export interface TrackerLimits {
  channels: number;
  /** Smallest and largest single aspiration or dispense, µL. */
  minVolume: number;
  maxVolume: number;
  /** Largest transfer (the device splits it into tip-sized moves), µL. */
  maxTransferVolume: number;
}

export interface TipState {
  mounted: boolean;
  /** Liquid held in the tip (nominal). */
  liquid?: { source: string; volume: number };
}

/** One nominal change of a transaction, tagged with its channel (-1: none). */
export type Change =
  | { kind: 'draw'; channel: number; location: string; volume: number }
  | { kind: 'add'; channel: number; location: string; source: string; volume: number }
  | { kind: 'tip'; channel: number; state: TipState }
  | { kind: 'rackTip'; channel: number; rack: string }
  | { kind: 'wash'; channel: -1; location: string };

/** What the step checks read from the tracker. */
export interface TrackerView {
  readonly deck: Deck;
  readonly limits: TrackerLimits;
  tipsLeft(rack: string): number | undefined;
}

/** What the step checks read from and record into the open transaction. */
export interface TransactionView {
  record(change: Change): void;
  fail(error: ChannelError): void;
  hasFailed(channel: number): boolean;
  tipOf(channel: number): TipState;
  volumeAt(location: string): number;
  takenFrom(rack: string): number;
}
