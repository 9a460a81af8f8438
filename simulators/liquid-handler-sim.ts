import { DeviceError, makeFailure, type DeviceStatus, type LiquidHandlerOperation, type OperationResult } from '../src/domain/index.ts';
import type { CommandOptions, LiquidHandlerBackend } from '../src/devices/backends.ts';
import { LiquidHandlerCore, type LiquidHandlerCoreOptions } from './liquid/liquid-handler-core.ts';

export interface LiquidHandlerSimBackendOptions {
  /** The device: an existing core (shared with a test or a twin) or the options to build one. */
  core: LiquidHandlerCore | LiquidHandlerCoreOptions;
  /** How long a command stays valid after it is issued, s (its `expiresAt`). Default 60. */
  commandTtl_s?: number;
  /** The issuer's wall clock, ms since the epoch. Default Date.now. */
  wallClock?: () => number;
}

/**
 * The in-process simulated liquid handler: a `LiquidHandlerBackend` that hands operations straight to the
 * transport-free device core, on a virtual clock. Same outcomes as the MQTT twin, without a broker.
 */
export class LiquidHandlerSimBackend implements LiquidHandlerBackend {
  readonly core: LiquidHandlerCore;
  private readonly ttl_s: number;
  private readonly wallClock: () => number;
  private stopped = false;

  constructor(options: LiquidHandlerSimBackendOptions) {
    this.core = options.core instanceof LiquidHandlerCore ? options.core : new LiquidHandlerCore(options.core);
    this.ttl_s = options.commandTtl_s ?? 60;
    this.wallClock = options.wallClock ?? Date.now;
  }

  get deviceId(): string {
    return this.core.deviceId;
  }

  async setup(): Promise<void> {
    this.stopped = false;
  }

  async execute(op: LiquidHandlerOperation, opts: CommandOptions): Promise<OperationResult> {
    if (this.stopped) throw DeviceError.of('DEVICE_LOST', `${this.deviceId} is stopped`);
    if (opts.signal.aborted) throw DeviceError.of('ABORTED', `command ${opts.commandId} aborted before it was sent`);
    const command = { commandId: opts.commandId, op, expiresAt_ms: this.wallClock() + this.ttl_s * 1000 };
    const duplicate = this.core.faultEffect('command', op.kind, opts.commandId)?.code === 'DUPLICATE_DELIVERY';
    const submission = this.core.submit(command);
    if (submission.kind === 'rejected') throw new DeviceError(submission.failure);
    // A duplicate delivery joins the original (the core de-duplicates on the commandId).
    if (duplicate) this.core.submit(command);
    const result = await raceAbort(submission.done, opts.signal, opts.commandId, this.connectionLost(opts.commandId));
    if (result.status === 'succeeded') return result;
    throw new DeviceError(result.failure ?? makeFailure('INTERNAL', `command ${opts.commandId} ${result.status} without a failure`));
  }

  async lookup(commandId: string): Promise<OperationResult | undefined> {
    return this.core.resultOf(commandId);
  }

  async status(): Promise<DeviceStatus> {
    const status = this.core.deviceStatus();
    return this.stopped ? { ...status, state: 'disconnected' } : status;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  /** Rejects with DEVICE_LOST if the device drops off mid-run (an injected fault); the run itself goes on. */
  private connectionLost(commandId: string): Promise<never> {
    return new Promise<never>((_, reject) => {
      const off = this.core.onEvent((e) => {
        if (e.type === 'connection.lost' && e.runId === commandId) {
          off();
          reject(DeviceError.of('DEVICE_LOST', `${this.deviceId} dropped off while running ${commandId}`));
        } else if ((e.type === 'run.completed' || e.type === 'run.failed') && e.runId === commandId) off();
      });
    });
  }
}

/** The device keeps running an aborted command (as a real one would); only the caller stops waiting. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal, commandId: string, lost: Promise<never>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(DeviceError.of('ABORTED', `stopped waiting for ${commandId}: aborted`));
    signal.addEventListener('abort', onAbort, { once: true });
    lost.catch((err: unknown) => {
      signal.removeEventListener('abort', onAbort);
      reject(err instanceof Error ? err : new Error(String(err)));
    });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
