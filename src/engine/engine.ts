import {
  DeviceError,
  FAILURE_CODES,
  isStockShortage,
  makeFailure,
  type Clock,
  type EchemResult,
  type Failure,
  type Logger,
  type Objective,
  type Recipe,
} from '../domain/index.ts';
import type { CommandOptions } from '../devices/backends.ts';
import type { DocumentBus, MeasurementWriter, Msg, Plan, TrialOutcome } from '../protocol/index.ts';
import type { SafetyGate } from '../safety/safety-gate.ts';
import { EngineStateMachine, type EngineState } from './engine-state.ts';
import { recordMeasurements, type Analyse } from './measurements.ts';
import type { Station } from './station.ts';

export interface EnginePolicy {
  /** Retries of one device step after a retryable fault. */
  maxRetries: number;
  /** Consecutive device faults after which a station pair is quarantined. */
  quarantineAfter: number;
  /** Base reply timeout of one command, wall-clock s; the step's expected duration × overrunFactor is added. */
  replyTimeout_s: number;
  overrunFactor: number;
}

export interface EngineDeps {
  campaignId: string;
  bus: DocumentBus;
  clock: Clock;
  logger: Logger;
  newId: () => string;
  gate: SafetyGate;
  analyse: Analyse;
  measurements: MeasurementWriter;
  objectives: readonly Objective[];
  policy: EnginePolicy;
}

export interface TrialRequest {
  trialId: string;
  recipe: Recipe;
  attempt: number;
}


/**
 * The only actor: executes plans message by message on a station pair, with device locks, command ids, timeouts,
 * retries, quarantine, pause/resume/abort, and documents for everything that happens.
 */
export class Engine {
  private readonly machine = new EngineStateMachine();
  private readonly abortController = new AbortController();

  constructor(private readonly deps: EngineDeps) {}

  get state(): EngineState {
    return this.machine.state;
  }

  start(): void {
    this.machine.to('running');
  }

  pause(): void {
    if (this.machine.state === 'running') this.machine.to('paused');
  }

  resume(): void {
    if (this.machine.state === 'paused') this.machine.to('running');
  }

  abort(reason = 'aborted by operator'): void {
    if (this.machine.state === 'running' || this.machine.state === 'paused') {
      this.machine.to('aborting');
      this.abortController.abort(DeviceError.of('ABORTED', reason));
    }
  }

  stop(): void {
    if (this.machine.state !== 'stopped') this.machine.to('stopped');
  }

  /** Waits while the engine is paused (new dispatches hold here). */
  whileNotPaused(): Promise<void> {
    return this.machine.whileNotPaused();
  }

  releaseStation(station: Station): void {
    station.quarantined = false;
    station.resetFaults();
    this.announce(station, 'released by operator');
  }

  quarantineStation(station: Station, message: string): void {
    station.quarantined = true;
    this.announce(station, message);
  }

  async runTrial(request: TrialRequest, station: Station, plan: Plan<EchemResult>): Promise<TrialOutcome> {
    const outcome = await station.withLock(async () => {
      const runId = this.deps.newId();
      const started = this.deps.clock.now();
      station.activeRunId = runId;
      this.deps.bus.publish(this.deps.campaignId, 'runStart', { trialId: request.trialId, runId, station: station.id, attempt: request.attempt });
      this.announce(station);
      const outcome = await this.execute(request, station, plan, runId);
      station.activeRunId = undefined;
      const failure = outcome.status === 'completed' ? undefined : outcome.failure;
      this.deps.bus.publish(this.deps.campaignId, 'runStop', {
        runId,
        trialId: request.trialId,
        status: outcome.status,
        objectives: outcome.status === 'completed' ? outcome.objectives : {},
        failure,
        duration_s: Math.max(0, this.deps.clock.now() - started),
      });
      return outcome;
    });
    this.announce(station);
    return outcome;
  }

  private async execute(request: TrialRequest, station: Station, plan: Plan<EchemResult>, runId: string): Promise<TrialOutcome> {
    let input: unknown;
    let failure: Failure | undefined;
    let thrown: DeviceError | undefined;
    let result: EchemResult | undefined;
    const steps = { n: 0 };
    for (;;) {
      let step: IteratorResult<Msg, EchemResult>;
      try {
        step = thrown ? plan.throw(thrown) : plan.next(input);
        thrown = undefined;
      } catch (e) {
        failure ??= toFailure(e);
        break;
      }
      if (step.done) {
        result = step.value;
        break;
      }
      try {
        input = await this.handle(step.value, request, station, runId, steps);
      } catch (e) {
        const err = e instanceof DeviceError ? e : new DeviceError(toFailure(e));
        if (failure) {
          // A cleanup step failed after the first failure: record it and stop the plan.
          this.deps.logger.warn({ trialId: request.trialId, code: err.failure.code }, 'cleanup step failed');
          plan.return(undefined as unknown as EchemResult);
          break;
        }
        failure = err.failure;
        thrown = err;
      }
    }
    if (failure) return { status: failure.code === 'ABORTED' ? 'aborted' : 'failed', runId, failure };
    if (!result) return { status: 'failed', runId, failure: makeFailure('INTERNAL', 'plan returned no result') };
    return this.evaluate(request, runId, result);
  }

  private async handle(msg: Msg, request: TrialRequest, station: Station, runId: string, steps: { n: number }): Promise<unknown> {
    switch (msg.type) {
      case 'openRun':
      case 'closeRun':
      case 'checkpoint':
        return undefined;
      case 'wait':
        await this.deps.clock.sleep(msg.seconds, this.abortController.signal);
        return undefined;
      case 'awaitApproval':
        await this.machine.whileNotPaused();
        return undefined;
      case 'dispatchLiquid': {
        const reasons = this.deps.gate.checkLiquidOperation(msg.op);
        if (reasons.length > 0) throw DeviceError.of('SAFETY_BLOCKED', reasons.join('; '));
        return this.dispatch(request, steps.n++, station, station.liquidHandler.deviceId, msg.expected_s, (opts) => station.liquidHandler.execute(msg.op, opts));
      }
      case 'dispatchEchem': {
        const reasons = this.deps.gate.checkTechniqueRun(msg.run);
        if (reasons.length > 0) throw DeviceError.of('SAFETY_BLOCKED', reasons.join('; '));
        return this.dispatch(request, steps.n++, station, station.potentiostat.deviceId, msg.expected_s, (opts) => station.potentiostat.run(msg.run, opts));
      }
    }
  }

  /**
   * One device step with retries of retryable device faults, and quarantine. Its commandId derives from the trial,
   * the trial's attempt, the step's place in the plan and the retry (see `stepCommandId`): a resumed run that replays
   * the plan sends the same ids, so the devices replay what they already did instead of doing it again.
   */
  private async dispatch<T>(request: TrialRequest, step: number, station: Station, device: string, expected_s: number, call: (opts: CommandOptions) => Promise<T>): Promise<T> {
    const { policy } = this.deps;
    for (let attempt = 0; ; attempt++) {
      await this.machine.whileNotPaused();
      if (this.abortController.signal.aborted) throw this.abortController.signal.reason as DeviceError;
      const opts: CommandOptions = {
        commandId: stepCommandId(request.trialId, request.attempt, step, attempt),
        signal: this.abortController.signal,
        timeout_s: policy.replyTimeout_s + expected_s * policy.overrunFactor,
      };
      try {
        const value = await call(opts);
        station.recordSuccess(device);
        return value;
      } catch (e) {
        const failure = toFailure(e);
        const kind = FAILURE_CODES[failure.code].kind;
        if (failure.code === 'ABORTED' || kind === 'chemistry' || kind === 'safety') throw new DeviceError(failure);
        // A stock ran out (ADR 0113): a supply event, recorded but no fault of the station; the campaign waits for a refill.
        if (isStockShortage(failure)) {
          this.deps.bus.publish(this.deps.campaignId, 'fault', { trialId: request.trialId, station: station.id, device, failure, attempt });
          throw new DeviceError(failure);
        }
        const consecutive = station.recordFault(device);
        this.deps.bus.publish(this.deps.campaignId, 'fault', { trialId: request.trialId, station: station.id, device, failure, attempt });
        if (consecutive >= policy.quarantineAfter || !failure.recoverable) {
          this.quarantineStation(station, `${consecutive} consecutive faults of ${device}, last ${failure.code}`);
          throw new DeviceError(failure);
        }
        if (!failure.retryable || attempt >= policy.maxRetries) throw new DeviceError(failure);
        this.deps.logger.info({ trialId: request.trialId, device, code: failure.code, attempt }, 'retrying device step');
      }
    }
  }

  private async evaluate(request: TrialRequest, runId: string, result: EchemResult): Promise<TrialOutcome> {
    let analysed: Awaited<ReturnType<typeof recordMeasurements>>;
    try {
      analysed = await recordMeasurements(this.deps, request.trialId, runId, result);
    } catch (e) {
      return { status: 'failed', runId, failure: makeFailure('ANALYSIS_FAILED', (e as Error).message) };
    }
    // The curves are recorded with their flags either way; an unusable measurement fails the trial with its code.
    if (analysed.failure) return { status: 'failed', runId, failure: analysed.failure };
    const objectives: Record<string, number> = {};
    for (const o of this.deps.objectives) {
      const value = analysed.features[o.feature];
      if (value === undefined || !Number.isFinite(value)) {
        const code = analysed.flags.includes('target_current_not_reached') ? 'INSULATING_FILM' : 'ANALYSIS_FAILED';
        return { status: 'failed', runId, failure: makeFailure(code, `feature ${o.feature} not available (flags: ${analysed.flags.join(', ') || 'none'})`) };
      }
      objectives[o.name] = value;
    }
    return { status: 'completed', runId, objectives, features: analysed.features, flags: analysed.flags };
  }

  /** Publishes a station pair's state (on start-up and whenever it changes). */
  announce(station: Station, message?: string): void {
    const state = station.quarantined ? 'maintenance' : station.busy ? 'busy' : 'ready';
    this.deps.bus.publish(this.deps.campaignId, 'stationState', {
      station: station.id,
      device: `${station.liquidHandler.deviceId}+${station.potentiostat.deviceId}`,
      state,
      quarantined: station.quarantined,
      activeRunId: station.activeRunId,
      message,
      consecutiveFaults: station.consecutiveFaults,
    });
  }
}

/** The commandId of a device step: `<trialId>.a<attempt>.s<step>.r<retry>` (a trial id is unique, so is this). */
export function stepCommandId(trialId: string, attempt: number, step: number, retry: number): string {
  return `${trialId}.a${attempt}.s${step}.r${retry}`;
}

export function toFailure(e: unknown): Failure {
  if (e instanceof DeviceError) return e.failure;
  return makeFailure('INTERNAL', e instanceof Error ? e.message : String(e));
}
