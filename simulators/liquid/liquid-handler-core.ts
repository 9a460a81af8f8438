import {
  DeviceError,
  liquidHandlerOperationSchema,
  operationResultSchema,
  makeFailure,
  silentLogger,
  type Clock,
  type DeviceState,
  type DeviceStatus,
  type Failure,
  type FailureCode,
  type LiquidHandlerOperation,
  type LiquidHandlerStep,
  type Logger,
  type OperationResult,
  type Rng,
  type RunStatus,
} from '../../src/domain/index.ts';
import {
  deviceStatusOf,
  describeIssues,
  type CommandState,
  type LiquidHandlerLimits,
  type StatusPayload,
} from '../../drivers/liquid-handler/wire-contract.ts';
import type { DeviceJournal } from '../device-journal.ts';
import { noFaults, type FaultEffect, type FaultInjector, type FaultPhase } from '../fault-injector.ts';
import type { SimulatedWorld } from '../world.ts';
import { DispenseTally, PipettingArm } from './arm.ts';
import { DEFAULT_LIMITS, DEFAULT_PIPETTING, PipettingPhysics, type PipettingModel } from './pipetting-model.ts';
import { noPrecipitation, type PrecipitationRule } from './precipitation.ts';
import { validateSteps } from './step-validation.ts';

/**
 * The transport-free device logic of a simulated liquid handler, shared by the in-process backend
 * (simulators/liquid-handler-sim.ts) and the MQTT twin (simulators/twins/mqtt-liquid-handler.ts).
 *
 * One arm: commands run one after another in arrival order. Each operation is dry-run first (volume limits, tips,
 * liquids, overflow) and refused before any motion; then its steps move liquid in the SimulatedWorld from
 * `stock:<name>` to `cell:<id>` with pipetting error, taking realistic time on the injected Clock. Commands are
 * de-duplicated by commandId: a repeated id replays the stored result and never runs twice.
 *
 * Tip semantics: `transfer` with `newTip` discards any mounted tip and picks up a fresh one; without `newTip` it
 * reuses the mounted tip (picking one up if none is mounted). Tips stay mounted after a transfer until `drop_tips`
 * or the next `newTip` transfer.
 *
 * Hold (ADR 0051): `hold(reason)` lets the step that is moving finish, then pauses the run before its next step
 * (run status `paused`) and starts no queued command; the device shows `maintenance` until `release()`. The MQTT
 * twin holds while the orchestrator is `lost`. Commands still arrive, are de-duplicated and queued while held.
 *
 * Injected faults (simulators/faults.ts) are asked for at each phase of a command: `command` (on arrival: e.g. it
 * expired in transit), `run` (the device drops off the network mid-run: a `connection.lost` event for the transport
 * adapter), `step` (the step fails; PARTIAL_CHANNEL_FAILURE commits the channels that succeeded) and `delivery`
 * (silent short dispense and carry-over, in the PipettingArm). Precursor precipitation is physics, not injection:
 * see `precipitation`.
 */
export interface LiquidHandlerCoreOptions {
  deviceId: string;
  world: SimulatedWorld;
  clock: Clock;
  rng: Rng;
  faults?: FaultInjector;
  limits?: Partial<LiquidHandlerLimits>;
  pipetting?: Partial<PipettingModel>;
  /** Wall clock (ms since the epoch) against which `expiresAt` is checked. Default Date.now. */
  wallClock?: () => number;
  /** Finished commands kept for de-duplication and `get_state`. Default 10 000. */
  historySize?: number;
  /** Precursor precipitation in cells (the next dispense into a precipitated cell clots). Default: none. */
  precipitation?: PrecipitationRule;
  logger?: Logger;
  /**
   * The device's durable run log: commands of an earlier life are de-duplicated from it (their stored results
   * replayed), and a command it started but never finished answers COMMAND_FATE_UNKNOWN instead of running again.
   */
  journal?: DeviceJournal;
}

export interface CoreCommand {
  commandId: string;
  op: LiquidHandlerOperation;
  /** Wall-clock expiry, ms since the epoch. */
  expiresAt_ms?: number;
  /** Client that sent it (shown as lock owner while it runs). */
  sender?: string;
}

export type Submission =
  | { kind: 'rejected'; reason: string; failure: Failure }
  | { kind: 'accepted'; duplicate: boolean; done: Promise<OperationResult> };

/** Why and since when the device holds. */
export interface HoldState {
  reason: string;
  /** Wall clock, ms since the epoch. */
  since_ms: number;
}

export type CoreEvent =
  | { type: 'status' }
  /** The device paused a run before its next step (or held a queued command before it started). */
  | { type: 'run.held'; runId: string; detail: Record<string, unknown> }
  | { type: 'run.started'; runId: string; detail: Record<string, unknown> }
  | { type: 'run.step'; runId: string; detail: Record<string, unknown> }
  | { type: 'run.completed' | 'run.failed'; runId: string; result: OperationResult }
  /** An injected DEVICE_LOST: the transport adapter drops the connection (the run itself goes on). */
  | { type: 'connection.lost'; runId: string };

interface HistoryEntry {
  fingerprint: string;
  status: RunStatus;
  done: Promise<OperationResult>;
  result?: OperationResult;
  sender?: string;
}

export class LiquidHandlerCore {
  readonly deviceId: string;
  readonly limits: LiquidHandlerLimits;
  /** The physical state this device moves liquid in. */
  readonly world: SimulatedWorld;
  private readonly clock: Clock;
  private readonly physics: PipettingPhysics;
  private readonly arm: PipettingArm;
  private readonly faultRng: Rng;
  private readonly faults: FaultInjector;
  private readonly wallClock: () => number;
  private readonly historySize: number;
  private readonly logger: Logger;
  private readonly history = new Map<string, HistoryEntry>();
  private readonly listeners = new Set<(e: CoreEvent) => void>();
  private tail: Promise<void> = Promise.resolve();
  private errorLatched = false;
  private holding: { state: HoldState; released: Promise<void>; release: () => void } | undefined;
  private activeRunId: string | undefined;
  private lockOwner: string | undefined;
  private commandsCompleted = 0;
  private lastCommandId: string | undefined;
  private readonly calls = new Map<FaultPhase, number>();
  /** How many operations actually started executing (duplicates excluded). */
  executions = 0;
  private readonly journal: DeviceJournal | undefined;

  constructor(options: LiquidHandlerCoreOptions) {
    this.deviceId = options.deviceId;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.world = options.world;
    this.clock = options.clock;
    this.physics = new PipettingPhysics({ ...DEFAULT_PIPETTING, ...options.pipetting }, this.limits, options.rng);
    this.faultRng = options.rng.fork('faults');
    this.faults = options.faults ?? noFaults;
    this.wallClock = options.wallClock ?? Date.now;
    this.historySize = options.historySize ?? 10_000;
    this.logger = (options.logger ?? silentLogger).child({ component: 'liquid-handler-core', deviceId: options.deviceId });
    this.arm = new PipettingArm({
      world: this.world,
      clock: this.clock,
      physics: this.physics,
      channels: this.limits.channels,
      maxVolume: this.limits.maxVolume,
      precipitation: options.precipitation ?? noPrecipitation,
      effect: (phase, operation) => this.faultEffect(phase, operation),
      logger: this.logger,
    });
    this.journal = options.journal;
    for (const e of this.journal?.entries() ?? []) this.history.set(e.commandId, journalledEntry(e.commandId, e.fingerprint, e.result));
  }

  /**
   * Asks the fault injector for a silent or transport fault at this phase (the transport adapters call it for
   * `command` and `reply`: duplicate delivery, lost reply). Undefined when none fires.
   */
  faultEffect(phase: FaultPhase, operation: string, commandId?: string): FaultEffect | undefined {
    if (!this.faults.effect) return undefined;
    return this.faults.effect({ device: this.deviceId, operation, call: this.nextCall(phase), phase, ...(commandId !== undefined ? { commandId } : {}) });
  }

  /** Calls are counted per phase, so "the nth step" means the same whatever else is checked. */
  private nextCall(phase: FaultPhase): number {
    const n = (this.calls.get(phase) ?? 0) + 1;
    this.calls.set(phase, n);
    return n;
  }

  /** What the device shows: `maintenance` while held, `busy` while a run moves, `error` when latched, else `ready`. */
  private get state(): DeviceState {
    if (this.holding) return 'maintenance';
    if (this.activeRunId !== undefined) return 'busy';
    return this.errorLatched ? 'error' : 'ready';
  }

  /** The current hold, if the device holds. */
  get holdState(): HoldState | undefined {
    return this.holding?.state;
  }

  /** Holds after the step that is moving (idempotent; the first reason is kept). */
  hold(reason: string): void {
    if (this.holding) return;
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holding = { state: { reason, since_ms: this.wallClock() }, released, release };
    this.logger.info({ reason, activeRunId: this.activeRunId }, 'holding after the current step');
    this.emit({ type: 'status' });
  }

  /** Ends a hold: the paused run goes on with its next step, queued commands start in order. */
  release(): void {
    const h = this.holding;
    if (!h) return;
    this.holding = undefined;
    this.logger.info({ held_s: (this.wallClock() - h.state.since_ms) / 1000 }, 'hold released');
    this.emit({ type: 'status' });
    h.release();
  }

  /** Waits while held; the entry shows `paused` (a started run) meanwhile. */
  private async whileHeld(commandId: string, entry: HistoryEntry, nextStep: number, of: number): Promise<void> {
    while (this.holding) {
      const started = entry.status === 'running';
      if (started) entry.status = 'paused';
      this.emit({ type: 'run.held', runId: commandId, detail: { reason: this.holding.state.reason, nextStep, of, started } });
      this.emit({ type: 'status' });
      await this.holding.released;
      if (started) entry.status = 'running';
    }
  }

  /** Why a cell precipitated (and clots the next dispense into it), until it is washed. */
  precipitationIn(cellId: string): string | undefined {
    return this.arm.precipitationIn(cellId);
  }

  onEvent(listener: (e: CoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Accepts a command (queued behind the running one) or rejects it. A known commandId returns the stored
   * outcome (`duplicate: true`); an expired command is rejected with COMMAND_EXPIRED.
   */
  submit(command: CoreCommand): Submission {
    const parsed = liquidHandlerOperationSchema.safeParse(command.op);
    if (!parsed.success) {
      const reason = `invalid operation: ${describeIssues(parsed.error)}`;
      return { kind: 'rejected', reason, failure: makeFailure('COMMAND_REJECTED', reason) };
    }
    const op = parsed.data;
    const fingerprint = JSON.stringify(op);
    const known = this.history.get(command.commandId);
    if (known) {
      if (known.fingerprint !== fingerprint) {
        const reason = `commandId ${command.commandId} was already used for a different command`;
        return { kind: 'rejected', reason, failure: makeFailure('COMMAND_REJECTED', reason, { vendorCode: 'COMMAND_ID_REUSED' }) };
      }
      return { kind: 'accepted', duplicate: true, done: known.done };
    }
    if (command.expiresAt_ms !== undefined && this.wallClock() > command.expiresAt_ms) {
      const reason = `command ${command.commandId} expired at ${new Date(command.expiresAt_ms).toISOString()}`;
      return { kind: 'rejected', reason, failure: makeFailure('COMMAND_EXPIRED', reason) };
    }
    const injected = this.faults.check({ device: this.deviceId, operation: op.kind, call: this.nextCall('command'), phase: 'command', commandId: command.commandId });
    if (injected) return { kind: 'rejected', reason: injected.message, failure: injected };
    const entry: HistoryEntry = { fingerprint, status: 'not_started', done: this.tail.then(() => this.run(command.commandId, op, entry)) };
    if (command.sender !== undefined) entry.sender = command.sender;
    this.tail = entry.done.then(
      () => undefined,
      () => undefined,
    );
    this.history.set(command.commandId, entry);
    this.trimHistory();
    return { kind: 'accepted', duplicate: false, done: entry.done };
  }

  /** What the device knows about a command (`unknown` if it never saw it or forgot it). */
  commandState(commandId: string): CommandState {
    const e = this.history.get(commandId);
    if (!e) return { commandId, runStatus: 'unknown' };
    const s: CommandState = { commandId, runStatus: e.status };
    if (e.result) s.result = e.result;
    return s;
  }

  /** Resolves with the result of a known command once it has finished; undefined for an unknown one. */
  async resultOf(commandId: string): Promise<OperationResult | undefined> {
    const e = this.history.get(commandId);
    return e ? e.done : undefined;
  }

  statusPayload(now_ms: number = this.wallClock()): StatusPayload {
    const p: StatusPayload = {
      schema: 'sdl.status.v1',
      deviceId: this.deviceId,
      state: this.state,
      tipsMounted: this.arm.mountedTips(),
      tipsUsed: this.arm.tipsUsed,
      commandsCompleted: this.commandsCompleted,
      updatedAt: new Date(now_ms).toISOString(),
    };
    if (this.activeRunId !== undefined) p.activeRunId = this.activeRunId;
    if (this.lockOwner !== undefined) p.lockOwner = this.lockOwner;
    if (this.lastCommandId !== undefined) p.lastCommandId = this.lastCommandId;
    if (this.holding) p.hold = { reason: this.holding.state.reason, since: new Date(this.holding.state.since_ms).toISOString() };
    return p;
  }

  deviceStatus(): DeviceStatus {
    return deviceStatusOf(this.statusPayload());
  }

  private emit(e: CoreEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'event listener failed');
      }
    }
  }

  private trimHistory(): void {
    if (this.history.size <= this.historySize) return;
    for (const [id, e] of this.history) {
      if (this.history.size <= this.historySize) break;
      if (e.result) this.history.delete(id);
    }
  }

  private async run(commandId: string, op: LiquidHandlerOperation, entry: HistoryEntry): Promise<OperationResult> {
    const steps: LiquidHandlerStep[] = op.kind === 'run_protocol' ? op.steps : [op];
    // Checked synchronously, so an unheld device runs with exactly the same event-loop turns as before.
    if (this.holding) await this.whileHeld(commandId, entry, 0, steps.length);
    const start = this.clock.now();
    entry.status = 'running';
    this.executions++;
    this.journal?.accepted(commandId, entry.fingerprint);
    this.activeRunId = commandId;
    this.lockOwner = entry.sender;
    this.emit({ type: 'status' });
    this.emit({ type: 'run.started', runId: commandId, detail: { kind: op.kind } });
    if (this.faultEffect('run', op.kind, commandId)?.code === 'DEVICE_LOST') {
      this.logger.info({ commandId }, 'injected fault: connection lost mid-run');
      this.emit({ type: 'connection.lost', runId: commandId });
    }
    const tally = new DispenseTally();
    let failure = validateSteps(steps, this.arm.channels, this.limits, this.world);
    const refused = failure !== undefined;
    if (failure) this.logger.debug({ commandId, code: failure.code }, 'operation refused before motion');
    for (let i = 0; !failure && i < steps.length; i++) {
      if (i > 0 && this.holding) await this.whileHeld(commandId, entry, i, steps.length);
      let step = steps[i] as LiquidHandlerStep;
      failure = this.faults.check({ device: this.deviceId, operation: step.kind, call: this.nextCall('step'), phase: 'step', commandId });
      if (failure?.code === 'PARTIAL_CHANNEL_FAILURE') {
        const partial = this.partialFailure(step, failure);
        failure = partial.failure;
        if (!partial.rest) break;
        step = partial.rest;
      } else if (failure) break;
      try {
        await this.arm.perform(step, tally);
      } catch (err) {
        failure = err instanceof DeviceError ? err.failure : makeFailure('INTERNAL', `step ${i + 1} (${step.kind}): ${(err as Error).message}`);
        break;
      }
      if (failure) break;
      if (steps.length > 1) this.emit({ type: 'run.step', runId: commandId, detail: { index: i, kind: step.kind, of: steps.length } });
    }
    const result: OperationResult = {
      commandId,
      status: failure ? 'failed' : 'succeeded',
      dispensed: tally.list(),
      duration_s: Math.max(0, this.clock.now() - start),
    };
    if (failure) result.failure = failure;
    entry.status = result.status;
    entry.result = result;
    this.journal?.done(commandId, result);
    this.commandsCompleted++;
    this.lastCommandId = commandId;
    this.activeRunId = undefined;
    this.lockOwner = undefined;
    // A non-recoverable failure during motion latches `error` until a successful `home` (the operator's reset);
    // a refusal before motion leaves the device as it was.
    if (failure && !refused && !failure.recoverable) this.errorLatched = true;
    else if (!failure && op.kind === 'home') this.errorLatched = false;
    this.emit({ type: 'status' });
    this.emit({ type: failure ? 'run.failed' : 'run.completed', runId: commandId, result });
    return result;
  }

  /**
   * An injected partial multichannel failure: on a tip pick-up or drop over several channels, a random non-empty
   * subset fails and the rest are still performed (`rest`); a single-channel step fails as a whole. The failure
   * names each failed channel.
   */
  private partialFailure(step: LiquidHandlerStep, failure: Failure): { failure: Failure; rest?: LiquidHandlerStep } {
    const detail = (channels: number[], code: FailureCode, message: string): Failure => ({
      ...failure,
      channels: channels.map((channel) => ({ channel, code, message })),
    });
    if ((step.kind === 'pick_up_tips' || step.kind === 'drop_tips') && step.channels.length > 1) {
      const order = this.faultRng.shuffle([...step.channels]);
      const failed = order.slice(0, 1 + this.faultRng.int(step.channels.length - 1)).sort((a, b) => a - b);
      const ok = step.channels.filter((c) => !failed.includes(c));
      const code = step.kind === 'pick_up_tips' ? 'TIP_PICKUP_FAILED' : 'TIP_DROP_FAILED';
      return { failure: detail(failed, code, step.kind === 'pick_up_tips' ? 'no tip detected' : 'tip still mounted'), rest: { ...step, channels: ok } };
    }
    if (step.kind === 'aspirate' || step.kind === 'dispense' || step.kind === 'transfer')
      return { failure: detail([step.channel], 'PRESSURE_ANOMALY', 'pressure outside the expected band') };
    return { failure };
  }
}

/**
 * A command of the device's earlier life, from its journal: finished ones replay their stored result; one that was
 * started but never finished (the device was cut off mid-run) has an unknown fate, reported as a failed result with
 * COMMAND_FATE_UNKNOWN, so nothing runs it a second time without an operator's decision.
 */
function journalledEntry(commandId: string, fingerprint: string, stored: unknown): HistoryEntry {
  const parsed = operationResultSchema.safeParse(stored);
  const result: OperationResult = parsed.success
    ? parsed.data
    : {
        commandId,
        status: 'failed',
        dispensed: [],
        duration_s: 0,
        failure: makeFailure('COMMAND_FATE_UNKNOWN', `the device restarted while ${commandId} was running: whether it completed is unknown`),
      };
  return { fingerprint, status: result.status, done: Promise.resolve(result), result };
}
