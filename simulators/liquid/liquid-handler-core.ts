import {
  DeviceError,
  liquidHandlerOperationSchema,
  makeFailure,
  silentLogger,
  type Clock,
  type DeviceState,
  type DeviceStatus,
  type Failure,
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
import { noFaults, type FaultInjector } from '../fault-injector.ts';
import { splitLocation, type SimulatedWorld } from '../world.ts';
import { DEFAULT_LIMITS, DEFAULT_PIPETTING, PipettingPhysics, type PipettingModel } from './pipetting-model.ts';
import { emptyChannels, validateSteps, type ChannelState } from './step-validation.ts';

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
  logger?: Logger;
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

export type CoreEvent =
  | { type: 'status' }
  | { type: 'run.started'; runId: string; detail: Record<string, unknown> }
  | { type: 'run.step'; runId: string; detail: Record<string, unknown> }
  | { type: 'run.completed' | 'run.failed'; runId: string; result: OperationResult };

interface HistoryEntry {
  fingerprint: string;
  status: RunStatus;
  done: Promise<OperationResult>;
  result?: OperationResult;
  sender?: string;
}

/** Sums actual dispensed volumes per (source, target) pair, in order of first appearance. */
class DispenseTally {
  private readonly entries = new Map<string, { source: string; target: string; volume: number }>();
  add(source: string, target: string, volume: number): void {
    const key = `${target}|${source}`;
    const e = this.entries.get(key);
    if (e) e.volume += volume;
    else this.entries.set(key, { source, target, volume });
  }
  list(): OperationResult['dispensed'] {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }
}

export class LiquidHandlerCore {
  readonly deviceId: string;
  readonly limits: LiquidHandlerLimits;
  private readonly world: SimulatedWorld;
  private readonly clock: Clock;
  private readonly physics: PipettingPhysics;
  private readonly faults: FaultInjector;
  private readonly wallClock: () => number;
  private readonly historySize: number;
  private readonly logger: Logger;
  private readonly history = new Map<string, HistoryEntry>();
  private readonly listeners = new Set<(e: CoreEvent) => void>();
  private channels: ChannelState[];
  private tail: Promise<void> = Promise.resolve();
  private state: DeviceState = 'ready';
  private errorLatched = false;
  private activeRunId: string | undefined;
  private lockOwner: string | undefined;
  private tipsUsed = 0;
  private commandsCompleted = 0;
  private lastCommandId: string | undefined;
  private calls = 0;
  /** How many operations actually started executing (duplicates excluded). */
  executions = 0;

  constructor(options: LiquidHandlerCoreOptions) {
    this.deviceId = options.deviceId;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.world = options.world;
    this.clock = options.clock;
    this.physics = new PipettingPhysics({ ...DEFAULT_PIPETTING, ...options.pipetting }, this.limits, options.rng);
    this.faults = options.faults ?? noFaults;
    this.wallClock = options.wallClock ?? Date.now;
    this.historySize = options.historySize ?? 10_000;
    this.logger = (options.logger ?? silentLogger).child({ component: 'liquid-handler-core', deviceId: options.deviceId });
    this.channels = emptyChannels(this.limits.channels);
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
      tipsMounted: this.channels.flatMap((c, i) => (c.tip ? [i] : [])),
      tipsUsed: this.tipsUsed,
      commandsCompleted: this.commandsCompleted,
      updatedAt: new Date(now_ms).toISOString(),
    };
    if (this.activeRunId !== undefined) p.activeRunId = this.activeRunId;
    if (this.lockOwner !== undefined) p.lockOwner = this.lockOwner;
    if (this.lastCommandId !== undefined) p.lastCommandId = this.lastCommandId;
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
    const start = this.clock.now();
    entry.status = 'running';
    this.executions++;
    this.state = 'busy';
    this.activeRunId = commandId;
    this.lockOwner = entry.sender;
    this.emit({ type: 'status' });
    this.emit({ type: 'run.started', runId: commandId, detail: { kind: op.kind } });
    const steps: LiquidHandlerStep[] = op.kind === 'run_protocol' ? op.steps : [op];
    const tally = new DispenseTally();
    let failure = validateSteps(steps, this.channels, this.limits, this.world);
    const refused = failure !== undefined;
    if (failure) this.logger.debug({ commandId, code: failure.code }, 'operation refused before motion');
    for (let i = 0; !failure && i < steps.length; i++) {
      const step = steps[i] as LiquidHandlerStep;
      failure = this.faults.check({ device: this.deviceId, operation: step.kind, call: ++this.calls });
      if (failure) break;
      try {
        await this.perform(step, tally);
      } catch (err) {
        failure = err instanceof DeviceError ? err.failure : makeFailure('INTERNAL', `step ${i + 1} (${step.kind}): ${(err as Error).message}`);
        break;
      }
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
    this.commandsCompleted++;
    this.lastCommandId = commandId;
    this.activeRunId = undefined;
    this.lockOwner = undefined;
    // A non-recoverable failure during motion latches `error` until a successful `home` (the operator's reset);
    // a refusal before motion leaves the device as it was.
    if (failure && !refused && !failure.recoverable) this.errorLatched = true;
    else if (!failure && op.kind === 'home') this.errorLatched = false;
    this.state = this.errorLatched ? 'error' : 'ready';
    this.emit({ type: 'status' });
    this.emit({ type: failure ? 'run.failed' : 'run.completed', runId: commandId, result });
    return result;
  }

  private async perform(step: LiquidHandlerStep, tally: DispenseTally): Promise<void> {
    const p = this.physics;
    const sleep = (s: number): Promise<void> => this.clock.sleep(s);
    switch (step.kind) {
      case 'pick_up_tips':
        await sleep(p.duration(p.model.move_s));
        await sleep(p.duration(p.model.tipPickup_s));
        for (const c of step.channels) this.channels[c] = { tip: true, volume: 0 };
        this.tipsUsed += step.channels.length;
        return;
      case 'drop_tips':
        await sleep(p.duration(p.model.move_s));
        await sleep(p.duration(p.model.tipDrop_s));
        for (const c of step.channels) this.discardTip(c);
        return;
      case 'aspirate': {
        const ch = this.channel(step.channel);
        const [, name] = splitLocation(step.source);
        await sleep(p.duration(p.model.move_s));
        if ((this.world.stockVolume(name) ?? 0) < ch.volume + step.volume)
          throw DeviceError.of('INSUFFICIENT_LIQUID', `${step.source} ran short while aspirating ${step.volume} µL`);
        await sleep(p.flow_s(step.volume));
        this.channels[step.channel] = { tip: true, source: step.source, volume: ch.volume + step.volume };
        return;
      }
      case 'dispense': {
        const ch = this.channel(step.channel);
        await sleep(p.duration(p.model.move_s));
        await sleep(p.flow_s(step.volume));
        this.deliver(ch.source ?? '', step.target, step.volume, tally);
        const left = ch.volume - step.volume;
        this.channels[step.channel] = left > 1e-6 && ch.source !== undefined ? { tip: true, source: ch.source, volume: left } : { tip: true, volume: 0 };
        return;
      }
      case 'transfer': {
        const ch = this.channel(step.channel);
        if (step.newTip && ch.tip) {
          await sleep(p.duration(p.model.move_s));
          await sleep(p.duration(p.model.tipDrop_s));
          this.discardTip(step.channel);
        }
        if (step.newTip || !ch.tip) {
          await sleep(p.duration(p.model.move_s));
          await sleep(p.duration(p.model.tipPickup_s));
          this.channels[step.channel] = { tip: true, volume: 0 };
          this.tipsUsed++;
        }
        const moves = Math.ceil(step.volume / this.limits.maxVolume - 1e-9);
        const each = step.volume / moves;
        for (let m = 0; m < moves; m++) {
          await sleep(p.duration(p.model.move_s));
          await sleep(p.flow_s(each));
          await sleep(p.duration(p.model.move_s));
          await sleep(p.flow_s(each));
          this.deliver(step.source, step.target, each, tally);
        }
        return;
      }
      case 'home':
        await sleep(p.model.home_s);
        return;
      case 'wash_cell': {
        await sleep(p.duration(p.model.move_s));
        await sleep(step.cycles * p.model.washCycle_s);
        this.world.emptyCell(splitLocation(step.cell)[1]);
        return;
      }
    }
  }

  private channel(index: number): ChannelState {
    return this.channels[index] ?? { tip: false, volume: 0 };
  }

  /** Moves the actually dispensed volume (with pipetting error) from the source stock to the target. */
  private deliver(source: string, target: string, nominal: number, tally: DispenseTally): void {
    const actual = this.physics.actualDispense(nominal);
    if (!this.world.move(source, target, actual))
      throw DeviceError.of('INSUFFICIENT_LIQUID', `${source} ran short: ${actual.toFixed(1)} µL could not be drawn`);
    tally.add(source, target, actual);
  }

  /** Drops a tip; liquid still in it goes to waste (and is gone from its stock). */
  private discardTip(channel: number): void {
    const ch = this.channel(channel);
    if (ch.source !== undefined && ch.volume > 0) this.world.move(ch.source, 'waste', ch.volume);
    this.channels[channel] = { tip: false, volume: 0 };
  }
}
