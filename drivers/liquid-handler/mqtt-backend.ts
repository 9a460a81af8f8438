import { ulid } from 'ulid';
import { z } from 'zod';
import {
  DeviceError,
  makeFailure,
  limitRepeats,
  silentLogger,
  type DeviceState,
  type DeviceStatus,
  type LiquidHandlerOperation,
  type Logger,
  type OperationResult,
} from '../../src/domain/index.ts';
import type { CommandOptions, LiquidHandlerBackend } from '../../src/devices/backends.ts';
import { MqttClientTransport, type MqttConnectionOptions, type MqttInboundMessage, type MqttTransport } from '../transport/mqtt.ts';
import { MqttRequester, type ReplyCodec } from '../transport/mqtt-request.ts';
import { OrchestratorPresence, orchestratorWill } from '../transport/orchestrator-presence.ts';
import { LiveDataFeed, type DataFilter, type DataListener, type LiveDataStream, type LiveDataStreamOptions } from './live-data.ts';
import {
  buildCommand,
  decodeJson,
  describeIssues,
  descriptionSchema,
  deviceStatusOf,
  encodePayload,
  payloadSizeProblem,
  isFinalRunStatus,
  liquidHandlerTopics,
  orchestratorStateTopic,
  replySchema,
  replyTopicFor,
  statePayloadSchema,
  statusPayloadSchema,
  type CommandBody,
  type CommandState,
  type DescriptionPayload,
  type LiquidHandlerTopics,
  type ReplyPayload,
  type StatusPayload,
} from './wire-contract.ts';

export interface LiquidHandlerMqttTimeouts {
  /** Wait for the final reply of an operation, s (CommandOptions.timeout_s overrides it). Default 30. */
  reply_s: number;
  /** `expiresAt` − `issuedAt` of an operation, s. Default: the reply timeout, at least 2 s. */
  commandTtl_s?: number;
  /** Wait for the answer to one `get_state`, s. Default 5. */
  lookup_s: number;
  /** After a lost reply, keep polling a command the device reports as still running for this long, s. Default 60. */
  recovery_s: number;
  /** Poll interval while recovering, s. Default 1. */
  poll_s: number;
  /** At setup, wait this long for the retained `$state` and `status`, s. Default 2. */
  stateWait_s: number;
}

/** A command stays valid at least this long by default, so a short reply timeout does not expire it in transit. */
const MIN_DEFAULT_TTL_S = 2;

const DEFAULT_TIMEOUTS: LiquidHandlerMqttTimeouts = { reply_s: 30, lookup_s: 5, recovery_s: 60, poll_s: 1, stateWait_s: 2 };

export interface LiquidHandlerMqttBackendOptions {
  /** Lab id (topic segment, [a-z0-9-]). */
  lab: string;
  deviceId: string;
  /**
   * Connection options (the backend opens and owns its own client; the clientId names the reply topic), or a
   * transport shared by several backends (the caller connects and closes it).
   */
  connection: MqttConnectionOptions | MqttTransport;
  /**
   * Carry the orchestrator's presence on this backend's own connection: last will `lost` on
   * `sdl/v1/<lab>/orchestrator/$state`, retained `ready` on every connect, `disconnected` on stop. Only with
   * connection options (a shared transport carries it once, with `orchestratorWill` and `OrchestratorPresence`).
   */
  orchestratorPresence?: boolean;
  timeouts?: Partial<LiquidHandlerMqttTimeouts>;
  logger?: Logger;
  /** Wall clock for `issuedAt`/`expiresAt`, ms since the epoch. Default Date.now. */
  wallClock?: () => number;
}

function isTransport(c: MqttConnectionOptions | MqttTransport): c is MqttTransport {
  return typeof (c as MqttTransport).publish === 'function';
}

const replyCodec: ReplyCodec<ReplyPayload> = {
  decode(message: MqttInboundMessage) {
    const json = decodeJson(message.payload);
    if (!json.ok) return { ok: false, reason: json.reason };
    const parsed = replySchema.safeParse(json.value);
    if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
    return { ok: true, reply: parsed.data, commandId: parsed.data.commandId };
  },
  isFinal: (reply) => reply.status !== 'accepted',
};

/**
 * `LiquidHandlerBackend` over MQTT (DEVICES.md): sends `cmd/<kind>` with commandId/replyTo/expiresAt (and the MQTT 5
 * properties on a v5 session), waits for the final reply, and after a reply timeout asks the device with
 * `get_state` what became of the command before giving up (lost-reply recovery). Device state comes from the
 * retained `$state`, `status` and `$description` topics.
 */
export class LiquidHandlerMqttBackend implements LiquidHandlerBackend {
  readonly deviceId: string;
  readonly lab: string;
  readonly topics: LiquidHandlerTopics;
  private readonly transport: MqttTransport;
  private readonly ownsTransport: boolean;
  private readonly requester: MqttRequester<ReplyPayload>;
  private readonly presence: OrchestratorPresence | undefined;
  private readonly data: LiveDataFeed;
  private readonly timeouts: LiquidHandlerMqttTimeouts;
  private readonly logger: Logger;
  private readonly wallClock: () => number;
  private detach: (() => void) | undefined;
  private lastState: DeviceState | undefined;
  private lastStatus: StatusPayload | undefined;
  private lastDescription: DescriptionPayload | undefined;
  private stateSeen: (() => void) | undefined;

  constructor(options: LiquidHandlerMqttBackendOptions) {
    this.lab = options.lab;
    this.deviceId = options.deviceId;
    this.topics = liquidHandlerTopics(options.lab, options.deviceId);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.logger = limitRepeats((options.logger ?? silentLogger).child({ component: 'liquid-handler-mqtt', deviceId: options.deviceId }), { levels: ['warn', 'error'] });
    this.wallClock = options.wallClock ?? Date.now;
    const presenceTopic = orchestratorStateTopic(options.lab);
    if (isTransport(options.connection)) {
      if (options.orchestratorPresence) throw new Error('orchestratorPresence needs connection options; on a shared transport use orchestratorWill and OrchestratorPresence');
      this.transport = options.connection;
      this.ownsTransport = false;
    } else {
      const will = options.orchestratorPresence ? { will: orchestratorWill(presenceTopic) } : {};
      this.transport = new MqttClientTransport({ ...options.connection, ...will, logger: options.connection.logger ?? this.logger });
      this.ownsTransport = true;
    }
    this.presence = options.orchestratorPresence ? new OrchestratorPresence({ transport: this.transport, topic: presenceTopic, logger: this.logger }) : undefined;
    this.data = new LiveDataFeed({ transport: this.transport, topics: this.topics, logger: this.logger });
    this.requester = new MqttRequester({ transport: this.transport, replyTopic: replyTopicFor(options.lab, this.transport.clientId), codec: replyCodec, logger: this.logger });
  }

  /** The device's retained self-description, once received. */
  get description(): DescriptionPayload | undefined {
    return this.lastDescription;
  }

  async setup(): Promise<void> {
    if (this.ownsTransport) await this.transport.connect();
    await this.presence?.start();
    if (!this.detach) this.detach = this.transport.onMessage((m) => this.onDeviceMessage(m));
    const seen = new Promise<void>((resolve) => {
      this.stateSeen = resolve;
      if (this.lastState !== undefined && this.lastStatus) resolve();
    });
    await this.requester.start();
    await this.transport.subscribe([this.topics.state, this.topics.status, this.topics.description], 1);
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([seen.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.timeouts.stateWait_s * 1000)))]);
    clearTimeout(timer);
    if (!waited) this.logger.warn({ topic: this.topics.state }, 'no retained $state/status from the device yet; it may be offline');
  }

  async execute(op: LiquidHandlerOperation, opts: CommandOptions): Promise<OperationResult> {
    const timeout_s = opts.timeout_s ?? this.timeouts.reply_s;
    const ttl_s = this.timeouts.commandTtl_s ?? Math.max(MIN_DEFAULT_TTL_S, timeout_s);
    const payload = this.encodeCommand(opts.commandId, op, ttl_s);
    let reply: ReplyPayload;
    try {
      reply = await this.requester.request({
        topic: this.topics.cmd(op.kind),
        payload,
        commandId: opts.commandId,
        ttl_s,
        timeout_s,
        signal: opts.signal,
        onInterim: (r) => this.logger.debug({ commandId: r.commandId, status: r.status, duplicate: r.duplicate }, 'command accepted'),
      });
    } catch (err) {
      if (!(err instanceof DeviceError) || err.failure.code !== 'COMMAND_TIMEOUT') throw err;
      this.logger.warn({ commandId: opts.commandId, timeout_s }, 'no reply; asking the device for the command state');
      return this.finishData(opts.commandId, () => this.recover(opts.commandId, opts.signal));
    }
    return this.finishData(opts.commandId, async () => outcomeOf(reply));
  }

  /**
   * Live data chunks of this device's runs (QoS 0, may be lost; the result of `execute` is authoritative). Resolves
   * once subscribed; returns the unsubscribe.
   */
  onData(listener: DataListener, filter: DataFilter = {}): Promise<() => Promise<void>> {
    return this.data.subscribe(filter, listener);
  }

  /**
   * The live chunks of one run as an async iterator: open it before `execute` with the same commandId; it ends on
   * the run's final chunk, when `execute` has the result, or on `return()`/the signal.
   */
  liveData(runId: string, options?: LiveDataStreamOptions): Promise<LiveDataStream> {
    return this.data.stream(runId, options);
  }

  /** Ends the live-data streams of a command once its outcome is known (not when the wait merely gave up). */
  private async finishData(commandId: string, outcome: () => Promise<OperationResult>): Promise<OperationResult> {
    try {
      const result = await outcome();
      this.data.finish(commandId);
      return result;
    } catch (err) {
      if (!(err instanceof DeviceError) || !['COMMAND_TIMEOUT', 'ABORTED', 'DEVICE_LOST'].includes(err.failure.code)) this.data.finish(commandId);
      throw err;
    }
  }

  async lookup(commandId: string): Promise<OperationResult | undefined> {
    const deadline = Date.now() + this.timeouts.recovery_s * 1000;
    for (;;) {
      const state = await this.queryState(commandId);
      if (state.runStatus === 'unknown') return undefined;
      if (isFinalRunStatus(state.runStatus) && state.result) return state.result;
      if (Date.now() > deadline) throw DeviceError.of('COMMAND_TIMEOUT', `${commandId} still ${state.runStatus} after ${this.timeouts.recovery_s} s`);
      await delay(this.timeouts.poll_s);
    }
  }

  async status(): Promise<DeviceStatus> {
    if (!this.transport.connected) return { deviceId: this.deviceId, state: 'disconnected', detail: {} };
    if (this.lastStatus) return deviceStatusOf(this.lastStatus, this.lastState);
    return { deviceId: this.deviceId, state: this.lastState ?? 'init', detail: {} };
  }

  async stop(): Promise<void> {
    await this.data.close();
    await this.presence?.stop().catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'could not publish the orchestrator stop'));
    this.requester.stop();
    this.detach?.();
    this.detach = undefined;
    if (this.ownsTransport) await this.transport.close();
    else if (this.transport.connected) await this.transport.unsubscribe([this.topics.state, this.topics.status, this.topics.description]).catch(() => undefined);
  }

  private encodeCommand(commandId: string, body: CommandBody, ttl_s: number): Buffer {
    try {
      const cmd = buildCommand({ commandId, replyTo: this.requester.replyTopic, body, issuedAt_ms: this.wallClock(), ttl_s, sender: this.transport.clientId });
      const payload = encodePayload(cmd);
      const tooLarge = payloadSizeProblem(payload.length);
      if (tooLarge) throw DeviceError.of('COMMAND_REJECTED', `not sent: ${tooLarge}`);
      return payload;
    } catch (err) {
      if (err instanceof z.ZodError) throw DeviceError.of('COMMAND_REJECTED', `not sent, invalid command: ${describeIssues(err)}`);
      throw err;
    }
  }

  /** Lost-reply recovery: ask `get_state`; use a stored result, keep polling a running command, give up on an unknown one. */
  private async recover(commandId: string, signal: AbortSignal): Promise<OperationResult> {
    const deadline = Date.now() + this.timeouts.recovery_s * 1000;
    for (;;) {
      let state: CommandState;
      try {
        state = await this.queryState(commandId, signal);
      } catch (err) {
        if (err instanceof DeviceError && err.failure.code === 'COMMAND_TIMEOUT')
          throw DeviceError.of('COMMAND_TIMEOUT', `no reply to ${commandId}, and no answer to get_state either (device or broker unreachable)`);
        throw err;
      }
      if (state.result && isFinalRunStatus(state.runStatus)) {
        this.logger.info({ commandId, runStatus: state.runStatus }, 'recovered the result of a command whose reply was lost');
        return resultOutcome(state.result);
      }
      if (state.runStatus === 'unknown')
        throw DeviceError.of('COMMAND_TIMEOUT', `no reply to ${commandId} and the device has no record of it (safe to resend with the same commandId)`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw DeviceError.of('COMMAND_TIMEOUT', `${commandId} still ${state.runStatus} after ${this.timeouts.recovery_s} s of recovery`);
      try {
        return outcomeOf(await this.requester.expect(commandId, Math.min(remaining / 1000, this.timeouts.poll_s), signal));
      } catch (err) {
        if (!(err instanceof DeviceError) || err.failure.code !== 'COMMAND_TIMEOUT') throw err;
      }
    }
  }

  private async queryState(commandId: string, signal?: AbortSignal): Promise<CommandState> {
    const queryId = ulid();
    const ttl_s = this.timeouts.lookup_s;
    const reply = await this.requester.request({
      topic: this.topics.cmd('get_state'),
      payload: this.encodeCommand(queryId, { kind: 'get_state', commandId }, ttl_s),
      commandId: queryId,
      ttl_s,
      timeout_s: ttl_s,
      ...(signal ? { signal } : {}),
    });
    if (reply.status === 'rejected') throw new DeviceError(reply.failure ?? makeFailure('COMMAND_REJECTED', `get_state refused: ${reply.reason ?? 'no reason'}`));
    if (!reply.state) throw DeviceError.of('INTERNAL', `get_state reply for ${commandId} carries no state`);
    return reply.state;
  }

  private onDeviceMessage(message: MqttInboundMessage): void {
    const { topic } = message;
    if (topic !== this.topics.state && topic !== this.topics.status && topic !== this.topics.description) return;
    if (message.payload.length === 0) return; // a cleared retained message
    if (topic === this.topics.state) {
      const parsed = statePayloadSchema.safeParse(message.payload.toString('utf8').trim());
      if (!parsed.success) return this.logger.warn({ topic, reason: describeIssues(parsed.error) }, 'ignoring malformed $state');
      this.lastState = parsed.data;
      if (this.lastStatus) this.stateSeen?.();
      return;
    }
    const json = decodeJson(message.payload);
    if (!json.ok) return this.logger.warn({ topic, reason: json.reason }, 'ignoring malformed device message');
    if (topic === this.topics.status) {
      const parsed = statusPayloadSchema.safeParse(json.value);
      if (!parsed.success) return this.logger.warn({ topic, reason: describeIssues(parsed.error) }, 'ignoring malformed status');
      this.lastStatus = parsed.data;
      if (this.lastState !== undefined) this.stateSeen?.();
    } else {
      const parsed = descriptionSchema.safeParse(json.value);
      if (!parsed.success) return this.logger.warn({ topic, reason: describeIssues(parsed.error) }, 'ignoring malformed $description');
      this.lastDescription = parsed.data;
    }
  }
}

function outcomeOf(reply: ReplyPayload): OperationResult {
  switch (reply.status) {
    case 'rejected':
      throw new DeviceError(reply.failure ?? makeFailure('COMMAND_REJECTED', reply.reason ?? 'rejected without a reason'));
    case 'failed':
      throw new DeviceError(reply.result?.failure ?? reply.failure ?? makeFailure('INTERNAL', `command ${reply.commandId ?? '?'} failed without a failure`));
    case 'succeeded':
      if (!reply.result) throw DeviceError.of('INTERNAL', `command ${reply.commandId ?? '?'} succeeded without a result`);
      return reply.result;
    case 'accepted':
      throw DeviceError.of('INTERNAL', 'an accepted reply is not final');
  }
}

function resultOutcome(result: OperationResult): OperationResult {
  if (result.status === 'succeeded') return result;
  throw new DeviceError(result.failure ?? makeFailure('INTERNAL', `command ${result.commandId} ${result.status} without a failure`));
}

function delay(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}
