import {
  liquidHandlerOperationSchema,
  stepOpSchema,
  type Failure,
  type LiquidHandlerOperation,
  type LiquidHandlerStep,
  type OperationResult,
} from '../domain/index.ts';
import type { ChannelError } from './volume-tracker.ts';

/**
 * Immutable liquid-handler operation records (PyLabRobot's operation model): builders that validate with the domain
 * schemas and deep-freeze, and the frozen history entry the frontend keeps for every operation it sent or refused.
 */

type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}

const step = <T extends LiquidHandlerStep>(raw: T): T => deepFreeze(stepOpSchema.parse(raw) as T) as T;

/** Builders of validated, frozen operation records. Volumes in µL. */
export const ops = {
  pickUpTips: (channels: number[], tipRack: string) => step({ kind: 'pick_up_tips', channels: [...channels], tipRack }),
  dropTips: (channels: number[], target = 'waste') => step({ kind: 'drop_tips', channels: [...channels], target }),
  aspirate: (channel: number, source: string, volume: number) => step({ kind: 'aspirate', channel, source, volume }),
  dispense: (channel: number, target: string, volume: number) => step({ kind: 'dispense', channel, target, volume }),
  transfer: (channel: number, source: string, target: string, volume: number, newTip = true) =>
    step({ kind: 'transfer', channel, source, target, volume, newTip }),
  washCell: (cell: string, cycles = 2) => step({ kind: 'wash_cell', cell, cycles }),
  home: () => step({ kind: 'home' }),
  /** A batched protocol (preferred: one command, one reply, refused as a whole before motion). */
  protocol: (steps: readonly LiquidHandlerStep[]): LiquidHandlerOperation =>
    deepFreeze(liquidHandlerOperationSchema.parse({ kind: 'run_protocol', steps: steps.map((s) => ({ ...s })) })) as LiquidHandlerOperation,
};

export type OperationOutcome = 'succeeded' | 'failed' | 'refused' | 'recovered';

/** What happened to one operation, as the frontend saw it. Frozen. */
export interface OperationRecord {
  readonly seq: number;
  readonly commandId: string;
  /** The operation as sent (after the frontend's additions, e.g. a wash of an uncertain cell). */
  readonly op: DeepReadonly<LiquidHandlerOperation>;
  readonly outcome: OperationOutcome;
  readonly dispensed: DeepReadonly<OperationResult['dispensed']>;
  readonly duration_s: number;
  readonly failure?: DeepReadonly<Failure>;
  /** Per-channel errors found before anything moved (`refused`). */
  readonly channelErrors: readonly Readonly<ChannelError>[];
  /** Why the frontend changed the operation or its outcome (e.g. "washed cell:pair1 first"). */
  readonly notes: readonly string[];
  /** Wall-clock ISO time the operation finished. */
  readonly at: string;
}

export function operationRecord(fields: Omit<OperationRecord, 'at'> & { at?: string }): OperationRecord {
  return deepFreeze(structuredClone({ ...fields, at: fields.at ?? new Date().toISOString() })) as OperationRecord;
}
