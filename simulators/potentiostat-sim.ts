import { DeviceError, makeFailure, type DeviceStatus, type EchemResult, type TechniqueRun } from '../src/domain/index.ts';
import type { CommandOptions, PotentiostatBackend } from '../src/devices/backends.ts';
import { EchemStationCore, type StationCoreOptions } from './echem/station-core.ts';

export type PotentiostatSimOptions = StationCoreOptions;

/**
 * In-process electrochemical station on a virtual clock: `PotentiostatBackend` over an EchemStationCore.
 * Resolves with the result of a succeeded run; throws DeviceError with the run's failure otherwise (chemistry codes,
 * NO_SAMPLE_IN_CELL, injected faults, ABORTED) and PARAMETER_OUT_OF_LIMITS / BAD_INVALID_STATE before running.
 */
export class PotentiostatSimBackend implements PotentiostatBackend {
  readonly deviceId: string;
  readonly core: EchemStationCore;

  constructor(options: PotentiostatSimOptions) {
    this.deviceId = options.deviceId;
    this.core = new EchemStationCore(options);
  }

  async setup(): Promise<void> {}

  async runTechnique(run: TechniqueRun, opts: CommandOptions): Promise<EchemResult> {
    if (opts.signal.aborted) throw DeviceError.of('ABORTED', 'aborted before start');
    const record = this.core.start(run, opts.commandId);
    const onAbort = (): void => {
      if (this.core.activeRun === record) this.core.abort();
    };
    opts.signal.addEventListener('abort', onAbort, { once: true });
    try {
      return settle(await record.done);
    } finally {
      opts.signal.removeEventListener('abort', onAbort);
    }
  }

  async lookup(commandId: string): Promise<EchemResult | undefined> {
    return this.core.findByCommand(commandId)?.result;
  }

  async status(): Promise<DeviceStatus> {
    return this.core.status();
  }

  async abort(): Promise<void> {
    this.core.abort();
  }

  async stop(): Promise<void> {
    this.core.abort();
  }
}

/** A succeeded result, or the DeviceError its failure describes. */
export function settle(result: EchemResult): EchemResult {
  if (result.status === 'succeeded') return result;
  throw new DeviceError(result.failure ?? makeFailure('INTERNAL', `run ${result.runId} ${result.status} without a failure`));
}
