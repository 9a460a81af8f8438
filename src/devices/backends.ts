import type { DeviceStatus, EchemResult, LiquidHandlerOperation, OperationResult, TechniqueRun } from '../domain/index.ts';

export interface CommandOptions {
  /** Idempotency key (ULID). Sending the same commandId twice never runs the step twice. */
  commandId: string;
  signal: AbortSignal;
  /** Give up waiting for the reply after this many wall-clock seconds (default set by the backend). */
  timeout_s?: number;
}

/**
 * Executes immutable liquid-handler operation records. Resolves with the result when the operation succeeded;
 * throws `DeviceError` (with a coded Failure) when the device refused or failed it, or the transport failed.
 */
export interface LiquidHandlerBackend {
  readonly deviceId: string;
  setup(): Promise<void>;
  execute(op: LiquidHandlerOperation, opts: CommandOptions): Promise<OperationResult>;
  /** The stored result of a command (after a lost reply), or undefined if the device never saw it. */
  lookup(commandId: string): Promise<OperationResult | undefined>;
  status(): Promise<DeviceStatus>;
  stop(): Promise<void>;
}

/** Runs electrochemical techniques. Same contract as LiquidHandlerBackend: resolve on success, throw DeviceError otherwise. */
export interface PotentiostatBackend {
  readonly deviceId: string;
  setup(): Promise<void>;
  runTechnique(run: TechniqueRun, opts: CommandOptions): Promise<EchemResult>;
  lookup(commandId: string): Promise<EchemResult | undefined>;
  status(): Promise<DeviceStatus>;
  abort(): Promise<void>;
  stop(): Promise<void>;
}
