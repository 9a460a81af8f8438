import { z } from 'zod';
import { strictObject } from './strict-object.ts';

/**
 * Stable failure codes. Every failed trial carries one. `retryable` means the same step may be tried again;
 * `recoverable` means the station can keep working after it (otherwise it needs an operator).
 * Chemistry codes come from the sample itself: retrying the same recipe gives the same failure, and the
 * optimiser learns a feasibility model from them.
 */
export const FAILURE_CODES = {
  // transport
  DEVICE_LOST: { retryable: true, recoverable: true, kind: 'transport' },
  COMMAND_EXPIRED: { retryable: true, recoverable: true, kind: 'transport' },
  COMMAND_TIMEOUT: { retryable: true, recoverable: true, kind: 'transport' },
  COMMAND_REJECTED: { retryable: false, recoverable: true, kind: 'transport' },
  SESSION_TIMEOUT: { retryable: true, recoverable: true, kind: 'transport' },
  BAD_INVALID_STATE: { retryable: true, recoverable: true, kind: 'transport' },
  ACCESS_DENIED: { retryable: false, recoverable: false, kind: 'transport' },
  UNTRUSTED_CERTIFICATE: { retryable: false, recoverable: false, kind: 'transport' },
  LOCK_HELD: { retryable: true, recoverable: true, kind: 'transport' },
  // The device was cut off while running the command (a restart, a power cut): it may or may not have happened.
  // Never retried automatically: an operator decides (the trial waits in awaitingRecovery).
  COMMAND_FATE_UNKNOWN: { retryable: false, recoverable: true, kind: 'transport' },
  // liquid handler
  TIP_PICKUP_FAILED: { retryable: true, recoverable: true, kind: 'liquidHandler' },
  TIP_ALREADY_MOUNTED: { retryable: true, recoverable: true, kind: 'liquidHandler' },
  TIP_DROP_FAILED: { retryable: true, recoverable: true, kind: 'liquidHandler' },
  LIQUID_NOT_FOUND: { retryable: true, recoverable: true, kind: 'liquidHandler' },
  INSUFFICIENT_LIQUID: { retryable: false, recoverable: false, kind: 'liquidHandler' },
  CLOT: { retryable: true, recoverable: true, kind: 'liquidHandler' },
  PRESSURE_ANOMALY: { retryable: true, recoverable: true, kind: 'liquidHandler' },
  VOLUME_OUT_OF_RANGE: { retryable: false, recoverable: true, kind: 'liquidHandler' },
  OVERFLOW: { retryable: false, recoverable: false, kind: 'liquidHandler' },
  PARTIAL_CHANNEL_FAILURE: { retryable: true, recoverable: true, kind: 'liquidHandler' },
  // potentiostat / cell
  CURRENT_OVERLOAD: { retryable: true, recoverable: true, kind: 'potentiostat' },
  OPEN_CIRCUIT: { retryable: true, recoverable: true, kind: 'potentiostat' },
  REFERENCE_DRIFT: { retryable: true, recoverable: true, kind: 'potentiostat' },
  NO_SAMPLE_IN_CELL: { retryable: true, recoverable: true, kind: 'potentiostat' },
  TRUNCATED_DATA: { retryable: true, recoverable: true, kind: 'potentiostat' },
  NAN_POINTS: { retryable: true, recoverable: true, kind: 'potentiostat' },
  PARAMETER_OUT_OF_LIMITS: { retryable: false, recoverable: true, kind: 'potentiostat' },
  // Silent cell faults: the instrument reports success; the analysis of the curves (or of consecutive trials) tells.
  // A rerun re-measures Ru and sets the compensation afresh.
  IR_COMPENSATION_ERROR: { retryable: true, recoverable: true, kind: 'potentiostat' },
  // Bubbles adhering at high current are transient: a rerun usually measures cleanly.
  BUBBLE_COVERAGE: { retryable: true, recoverable: true, kind: 'potentiostat' },
  // The batch stays in the cell: a rerun on it repeats the bias, and replacing it needs an operator.
  ELECTROLYTE_CONTAMINATION: { retryable: false, recoverable: false, kind: 'potentiostat' },
  // chemistry (from the sample)
  NO_FILM: { retryable: false, recoverable: true, kind: 'chemistry' },
  INSULATING_FILM: { retryable: false, recoverable: true, kind: 'chemistry' },
  DELAMINATION: { retryable: false, recoverable: true, kind: 'chemistry' },
  PRECIPITATION: { retryable: false, recoverable: true, kind: 'chemistry' },
  BUBBLE_BLOCKING: { retryable: false, recoverable: true, kind: 'chemistry' },
  // labloop itself
  SAFETY_BLOCKED: { retryable: false, recoverable: true, kind: 'safety' },
  // The recipe lies in a region of the search space the campaign quarantined (a triage verdict, ADR 0106): refused
  // before dispatch like a safety refusal, but by the campaign's own rule, not the safety envelope.
  REGION_QUARANTINED: { retryable: false, recoverable: true, kind: 'campaign' },
  // A stock cannot supply the trial's sample (ADR 0113): a supply event, not a fault of the recipe or the station. The
  // trial is held before its liquid handling is dispatched and retried once the stock is refilled.
  STOCK_LOW: { retryable: true, recoverable: true, kind: 'supply' },
  ANALYSIS_FAILED: { retryable: false, recoverable: true, kind: 'analysis' },
  ABORTED: { retryable: false, recoverable: true, kind: 'engine' },
  INTERNAL: { retryable: false, recoverable: true, kind: 'engine' },
} as const satisfies Record<string, { retryable: boolean; recoverable: boolean; kind: string }>;

export type FailureCode = keyof typeof FAILURE_CODES;
export const failureCodeSchema = z.enum(Object.keys(FAILURE_CODES) as [FailureCode, ...FailureCode[]]);

export const failureSchema = strictObject({
  code: failureCodeSchema,
  message: z.string(),
  vendorCode: z.string().optional(),
  retryable: z.boolean(),
  recoverable: z.boolean(),
  /** Per-channel detail for multichannel liquid-handler errors. */
  channels: z.array(strictObject({ channel: z.number().int(), code: failureCodeSchema, message: z.string() })).optional(),
});
export type Failure = z.infer<typeof failureSchema>;

export function makeFailure(code: FailureCode, message: string, extra: Partial<Failure> = {}): Failure {
  const hints = FAILURE_CODES[code];
  return { code, message, retryable: hints.retryable, recoverable: hints.recoverable, ...extra };
}

/** A typed error carrying a Failure; thrown by backends and frontends, caught by the engine. */
export class DeviceError extends Error {
  readonly failure: Failure;
  constructor(failure: Failure) {
    super(`${failure.code}: ${failure.message}`);
    this.name = 'DeviceError';
    this.failure = failure;
  }
  static of(code: FailureCode, message: string, extra: Partial<Failure> = {}): DeviceError {
    return new DeviceError(makeFailure(code, message, extra));
  }
}

const STOCK_LOCATION = /stock:([A-Za-z0-9_][A-Za-z0-9_-]*)/g;

/**
 * The stocks a supply failure names: a hold before dispatch (STOCK_LOW) or a device's INSUFFICIENT_LIQUID on a
 * `stock:<name>` source (the frontend's refusal before motion, or the instrument's own). Undefined when the failure is
 * not a stock running out (another code, or INSUFFICIENT_LIQUID that names no stock).
 */
export function shortStocks(failure: Failure): string[] | undefined {
  if (failure.code !== 'STOCK_LOW' && failure.code !== 'INSUFFICIENT_LIQUID') return undefined;
  const texts = [failure.message, ...(failure.channels ?? []).map((c) => c.message)];
  const names = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(STOCK_LOCATION)) if (m[1]) names.add(m[1]);
  if (names.size === 0) return failure.code === 'STOCK_LOW' ? [] : undefined;
  return [...names];
}

/** True when the failure is a stock running out: a supply event, not a fault of the recipe or the station. */
export function isStockShortage(failure: Failure | undefined): boolean {
  return failure !== undefined && shortStocks(failure) !== undefined;
}
