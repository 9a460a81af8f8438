import type { IClientPublishOptions, IPublishPacket, MqttClient } from 'mqtt';
import { limitRepeats, silentLogger, type DeviceState, type LiquidHandlerOperation, type Logger, type OperationResult } from '../../src/domain/index.ts';
import {
  LIQUID_HANDLER_COMMANDS,
  buildReply,
  commandIdSchema,
  commandNameSchema,
  commandOfTopic,
  commandSchema,
  decodeJson,
  peekEnvelope,
  describeIssues,
  encodePayload,
  isFinalRunStatus,
  isUsableReplyTopic,
  liquidHandlerTopics,
  orchestratorStateTopic,
  statePayloadSchema,
  type DataChunk,
  type DescriptionPayload,
  type EventPayload,
  type LiquidHandlerEventName,
  type LiquidHandlerTopics,
  type ReplyInput,
  type ResultPayload,
} from '../../drivers/liquid-handler/wire-contract.ts';
import { connectClient, createMqttClient, type MqttConnectionOptions } from '../../drivers/transport/mqtt.ts';
import { cellLinkTopic, cellStatePayload } from '../liquid/cell-link.ts';
import { LiquidHandlerCore, type CoreEvent, type LiquidHandlerCoreOptions } from '../liquid/liquid-handler-core.ts';
import { splitLocation } from '../world.ts';

/** Broker connection of the twin (credentials and TLS from configuration, as for the driver). */
export interface TwinBrokerOptions extends Omit<MqttConnectionOptions, 'clientId' | 'clean' | 'will' | 'logger'> {
  /** Default `lh-<deviceId>`. */
  clientId?: string;
  /** Persistent session (`clean: false`), so commands queued during a short drop are delivered. Default true. */
  persistentSession?: boolean;
}

export interface MqttLiquidHandlerTwinOptions {
  lab: string;
  /** The simulated device: an existing core or the options to build one. */
  core: LiquidHandlerCore | LiquidHandlerCoreOptions;
  broker: TwinBrokerOptions;
  description?: { model?: string; serial?: string; firmware?: string };
  /** On stop, clear the retained topics instead of leaving `$state = disconnected` (tests on a shared broker). */
  clearRetainedOnStop?: boolean;
  /**
   * Publish the true contents of every cell a command touched on the simulation's cell link
   * (simulators/liquid/cell-link.ts), before the command's result, so a station simulated in another process
   * measures what really arrived. Default false.
   */
  publishCells?: boolean;
  /**
   * Follow the lab's orchestrator `$state` (retained, last will `lost`): while it is `lost` the device finishes the
   * step it is moving, then holds (ADR 0051). Default true.
   */
  followOrchestrator?: boolean;
  /** Publish live `data/<runId>/progress` chunks (QoS 0), one per finished protocol step. Default true. */
  liveData?: boolean;
  logger?: Logger;
}

/** Counters of what the twin did (commands received, rejections, replies sent, alarms, replies dropped by the test hook). */
export interface TwinStats {
  received: number;
  rejected: number;
  replies: number;
  alarms: number;
  lostReplies: number;
}

/**
 * The simulated liquid handler as a real MQTT device (DEVICES.md topic tree): subscribes to its `cmd/#`,
 * validates every payload with the wire contract (a malformed one gets a `rejected` reply naming the bad field, or
 * an `alarm` event when there is nowhere to reply), refuses expired commands, de-duplicates commandIds, publishes
 * retained `$state`/`$description`/`status` (last will `lost`), `evt/run.*` and `result/<runId>`, answers to
 * `replyTo` and echoes MQTT 5 correlation data. While the lab's orchestrator is `lost` (its last will) the device
 * holds after the current step and shows `maintenance`; it goes on when the orchestrator is back. Protocol runs
 * stream `data/<runId>/progress` chunks (QoS 0). The device logic is the shared LiquidHandlerCore.
 */
export class MqttLiquidHandlerTwin {
  readonly core: LiquidHandlerCore;
  readonly topics: LiquidHandlerTopics;
  readonly clientId: string;
  readonly stats: TwinStats = { received: 0, rejected: 0, replies: 0, alarms: 0, lostReplies: 0 };
  private readonly options: MqttLiquidHandlerTwinOptions;
  private readonly logger: Logger;
  private client: MqttClient | undefined;
  private lastState: DeviceState | undefined;
  private repliesToLose = 0;
  /** Cells each running command touches (for the cell link). */
  private readonly cellsOf = new Map<string, string[]>();
  private detachCore: (() => void) | undefined;
  private readonly orchestratorTopic: string;
  /** Next `seq` of each running run's progress stream. */
  private readonly dataSeq = new Map<string, number>();

  constructor(options: MqttLiquidHandlerTwinOptions) {
    this.options = options;
    this.core = options.core instanceof LiquidHandlerCore ? options.core : new LiquidHandlerCore(options.core);
    this.topics = liquidHandlerTopics(options.lab, this.core.deviceId);
    this.clientId = options.broker.clientId ?? `lh-${this.core.deviceId}`;
    this.orchestratorTopic = orchestratorStateTopic(options.lab);
    // Any client on the broker can make the device log (bad commands): repeats are aggregated.
    this.logger = limitRepeats((options.logger ?? silentLogger).child({ component: 'lh-twin', deviceId: this.core.deviceId }), { levels: ['warn', 'error'] });
  }

  get deviceId(): string {
    return this.core.deviceId;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Connects (last will `$state = lost`), announces itself and starts serving commands. */
  async start(): Promise<void> {
    if (this.client) return;
    const client = createDeviceClient(this.options.broker, this.clientId, this.topics.state);
    this.client = client;
    client.on('error', (err) => this.logger.warn({ err: err.message }, 'mqtt error'));
    client.on('message', (topic, payload, packet) => (topic === this.orchestratorTopic ? this.onOrchestratorState(payload) : this.onCommand(topic, payload, packet)));
    client.on('connect', () => {
      // (Re)announce on every connect: after a drop the broker has published the last will `lost`.
      this.lastState = undefined;
      this.publishPresence();
    });
    this.detachCore = this.core.onEvent((e) => this.onCoreEvent(e));
    await connectClient(client, (this.options.broker.connectTimeout_s ?? 10) * 1000, `liquid-handler twin ${this.clientId}`);
    await client.subscribeAsync([this.topics.cmdFilter, ...(this.options.followOrchestrator === false ? [] : [this.orchestratorTopic])], { qos: 1 });
    this.logger.info({ base: this.topics.base }, 'liquid-handler twin serving');
  }

  /** Clean shutdown: `$state = disconnected` (or cleared retained topics), then DISCONNECT (no last will). */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.detachCore?.();
    if (client.connected) {
      const retained = { qos: 1, retain: true } as const;
      try {
        if (this.options.clearRetainedOnStop) {
          await Promise.all([this.topics.state, this.topics.status, this.topics.description].map((t) => client.publishAsync(t, '', retained)));
        } else {
          await client.publishAsync(this.topics.state, 'disconnected', retained);
        }
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'could not publish the final state');
      }
    }
    await client.endAsync();
  }

  /** Test hook: the device dies without a DISCONNECT; the broker publishes its last will (`lost`). */
  async crash(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.detachCore?.();
    await client?.endAsync(true);
  }

  /** Test hook: the socket drops (last will `lost`), then the client reconnects and re-announces itself. */
  dropConnection(): void {
    this.client?.stream.destroy();
  }

  /** `lost` holds the device after its current step; any other state (or a cleared topic) releases it. */
  private onOrchestratorState(payload: Buffer): void {
    const text = payload.toString('utf8').trim();
    if (text.length === 0) return this.core.release();
    const parsed = statePayloadSchema.safeParse(text);
    if (!parsed.success) return this.logger.warn({ topic: this.orchestratorTopic, reason: describeIssues(parsed.error) }, 'ignoring a malformed orchestrator $state');
    if (parsed.data === 'lost') this.core.hold('orchestrator lost (last will): finished the current step, holding until it is back');
    else this.core.release();
  }

  /** Test hook: the next `n` final replies to operations are executed and stored but never sent (lost replies). */
  loseNextReplies(n: number): void {
    this.repliesToLose += n;
  }

  private publish(topic: string, payload: string | Buffer, retain = false, properties?: IClientPublishOptions['properties']): void {
    const client = this.client;
    if (!client) return;
    const opts: IClientPublishOptions = { qos: 1, retain };
    if (properties && this.options.broker.protocolVersion === 5) opts.properties = properties;
    client.publish(topic, payload, opts, (err) => {
      if (err) this.logger.warn({ topic, err: err.message }, 'publish failed');
    });
  }

  private publishPresence(): void {
    const status = this.core.statusPayload();
    this.publish(this.topics.description, encodePayload(this.descriptionPayload()), true);
    this.publish(this.topics.status, encodePayload(status), true);
    this.publishState(status.state);
  }

  private publishState(state: DeviceState): void {
    if (state === this.lastState) return;
    this.lastState = state;
    this.publish(this.topics.state, state, true);
  }

  private descriptionPayload(): DescriptionPayload {
    const d = this.options.description ?? {};
    return {
      schema: 'sdl.description.v1',
      deviceId: this.core.deviceId,
      deviceClass: 'liquid-handler',
      model: d.model ?? 'labloop simulated liquid handler',
      serial: d.serial ?? `SIM-${this.core.deviceId}`,
      firmware: d.firmware ?? 'labloop-sim 1',
      simulated: true,
      schemaVersion: 'v1',
      commands: [...LIQUID_HANDLER_COMMANDS],
      limits: this.core.limits,
      units: { volume: 'uL', time: 's' },
    };
  }

  private publishEvent(event: LiquidHandlerEventName, runId: string | undefined, detail: Record<string, unknown>): void {
    const payload: EventPayload = { schema: 'sdl.evt.v1', deviceId: this.core.deviceId, event, at: new Date().toISOString(), detail };
    if (runId !== undefined) payload.runId = runId;
    this.publish(this.topics.evt(event), encodePayload(payload));
  }

  private onCoreEvent(e: CoreEvent): void {
    switch (e.type) {
      case 'status': {
        const status = this.core.statusPayload();
        this.publish(this.topics.status, encodePayload(status), true);
        this.publishState(status.state);
        return;
      }
      case 'run.started':
        this.publishEvent(e.type, e.runId, e.detail);
        return;
      case 'run.step':
        this.publishEvent(e.type, e.runId, e.detail);
        this.publishProgress(e.runId, { step: [Number(e.detail['index'])], of: [Number(e.detail['of'])], kind: [String(e.detail['kind'])] }, false);
        return;
      case 'run.held':
        this.publishEvent('alarm', e.runId, { hold: true, ...e.detail });
        return;
      case 'connection.lost':
        this.logger.info({ runId: e.runId }, 'injected fault: dropping the connection mid-run');
        this.dropConnection();
        return;
      case 'run.completed':
      case 'run.failed': {
        this.publishCells(e.runId);
        const result: ResultPayload = { schema: 'sdl.result.liquid.v1', deviceId: this.core.deviceId, runId: e.runId, result: e.result };
        this.publish(this.topics.result(e.runId), encodePayload(result));
        this.publishEvent(e.type, e.runId, { status: e.result.status, duration_s: e.result.duration_s, ...(e.result.failure ? { code: e.result.failure.code } : {}) });
        if (this.dataSeq.has(e.runId)) this.publishProgress(e.runId, { status: [e.result.status] }, true);
        return;
      }
    }
  }

  private onCommand(topic: string, payload: Buffer, packet: IPublishPacket, redelivered = false): void {
    const commandName = commandOfTopic(this.topics, topic);
    if (commandName === undefined) return;
    // An injected duplicate delivery: the broker hands the same QoS 1 message over twice.
    if (!redelivered && commandName !== 'get_state' && this.core.faultEffect('command', commandName)?.code === 'DUPLICATE_DELIVERY') {
      this.logger.info({ topic }, 'injected fault: duplicate delivery');
      this.onCommand(topic, payload, packet, true);
    }
    this.stats.received++;
    const correlation = packet.properties?.correlationData;
    const responseTopic = packet.properties?.responseTopic;
    const json = decodeJson(payload);
    const raw = json.ok && typeof json.value === 'object' && json.value !== null ? (json.value as Record<string, unknown>) : peekEnvelope(payload);
    const candidateId = commandIdSchema.safeParse(raw['commandId']);
    const commandId = candidateId.success ? candidateId.data : null;
    const replyTo = isUsableReplyTopic(this.options.lab, raw['replyTo'])
      ? raw['replyTo']
      : isUsableReplyTopic(this.options.lab, responseTopic)
        ? responseTopic
        : undefined;
    const target = { replyTo, correlation, topic };
    const reject = (reason: string, extra: Partial<ReplyInput> = {}): void => {
      this.stats.rejected++;
      this.logger.warn({ topic, commandId, reason }, 'command rejected');
      this.reply(target, { commandId, deviceId: this.core.deviceId, status: 'rejected', reason, repliedAt_ms: Date.now(), ...extra });
    };

    if (!json.ok) return reject(json.reason);
    const name = commandNameSchema.safeParse(commandName);
    if (!name.success) return reject(`unknown command "${commandName}" in topic ${topic}; commands are ${LIQUID_HANDLER_COMMANDS.join(', ')}`);
    const parsed = commandSchema.safeParse(json.value);
    if (!parsed.success) return reject(`malformed ${commandName} command: ${describeIssues(parsed.error)}`);
    const cmd = parsed.data;
    if (cmd.command !== name.data) return reject(`command: payload says "${cmd.command}" but was sent to cmd/${name.data}`);
    if (!isUsableReplyTopic(this.options.lab, cmd.replyTo) && replyTo === undefined)
      return reject(`replyTo: "${cmd.replyTo}" is not a reply topic under sdl/v1/${this.options.lab}/_reply/`);

    const body = cmd.body;
    if (body.kind === 'get_state') {
      const state = this.core.commandState(body.commandId);
      this.reply(target, { commandId: cmd.commandId, deviceId: this.core.deviceId, status: 'succeeded', state, repliedAt_ms: Date.now() });
      return;
    }
    const submission = this.core.submit({ commandId: cmd.commandId, op: body, expiresAt_ms: Date.parse(cmd.expiresAt), ...(cmd.sender ? { sender: cmd.sender } : {}) });
    if (submission.kind === 'rejected') return reject(submission.reason, { failure: submission.failure });
    if (this.options.publishCells && !submission.duplicate) this.cellsOf.set(cmd.commandId, cellsTouched(body));
    const known = this.core.commandState(cmd.commandId);
    const finished = submission.duplicate && isFinalRunStatus(known.runStatus);
    if (!finished) {
      const hold = this.core.holdState;
      const accepted: ReplyInput = { commandId: cmd.commandId, deviceId: this.core.deviceId, status: 'accepted', duplicate: submission.duplicate, repliedAt_ms: Date.now() };
      if (hold) accepted.reason = `queued: the device holds (${hold.reason})`;
      this.reply(target, accepted);
      if (!submission.duplicate) this.publishEvent('run.accepted', cmd.commandId, { command: cmd.command, ...(cmd.sender ? { sender: cmd.sender } : {}) });
    }
    submission.done.then(
      (result) => this.replyFinal(target, result, submission.duplicate),
      (err: unknown) => this.logger.error({ commandId: cmd.commandId, err: (err as Error).message }, 'device core failed'),
    );
  }

  /** A live progress chunk, QoS 0 (may be lost: the result is authoritative). */
  private publishProgress(runId: string, samples: DataChunk['samples'], final: boolean): void {
    if (this.options.liveData === false || !this.client) return;
    const seq = this.dataSeq.get(runId) ?? 0;
    if (final) this.dataSeq.delete(runId);
    else this.dataSeq.set(runId, seq + 1);
    const chunk: DataChunk = { schema: 'sdl.data.v1', deviceId: this.core.deviceId, runId, stream: 'progress', seq, at: new Date().toISOString(), samples, final };
    this.client.publish(this.topics.data(runId, 'progress'), encodePayload(chunk), { qos: 0, retain: false }, (err) => {
      if (err) this.logger.debug({ runId, seq, err: err.message }, 'live data chunk not sent');
    });
  }

  /** Publishes the contents of the cells a finished command touched (simulation cell link, retained). */
  private publishCells(commandId: string): void {
    const cells = this.cellsOf.get(commandId);
    this.cellsOf.delete(commandId);
    for (const cell of cells ?? []) this.publish(cellLinkTopic(this.options.lab, cell), cellStatePayload(cell, this.core.world.cellContents(cell), commandId), true);
  }

  private replyFinal(target: ReplyTarget, result: OperationResult, duplicate: boolean): void {
    const injected = !duplicate && this.core.faultEffect('reply', 'reply', result.commandId)?.code === 'LOST_REPLY';
    if (injected || (this.repliesToLose > 0 && !duplicate)) {
      if (!injected) this.repliesToLose--;
      this.stats.lostReplies++;
      this.logger.info({ commandId: result.commandId }, 'test hook: final reply dropped');
      return;
    }
    const input: ReplyInput = {
      commandId: result.commandId,
      deviceId: this.core.deviceId,
      status: result.status === 'succeeded' ? 'succeeded' : 'failed',
      result,
      duplicate,
      repliedAt_ms: Date.now(),
    };
    if (result.failure) input.failure = result.failure;
    this.reply(target, input);
  }

  /** Answers to replyTo (echoing MQTT 5 correlation data), or raises an alarm event when there is nowhere to answer. */
  private reply(target: ReplyTarget, input: ReplyInput): void {
    if (target.replyTo === undefined) {
      this.stats.alarms++;
      this.publishEvent('alarm', input.commandId ?? undefined, { reason: `unanswerable command on ${target.topic}: no usable replyTo`, rejected: input.reason ?? input.status });
      return;
    }
    this.stats.replies++;
    const properties: IClientPublishOptions['properties'] = { contentType: 'application/json' };
    if (target.correlation) properties.correlationData = target.correlation;
    this.publish(target.replyTo, encodePayload(buildReply(input)), false, properties);
  }
}

function cellsTouched(op: LiquidHandlerOperation): string[] {
  const steps = op.kind === 'run_protocol' ? op.steps : [op];
  const cells = new Set<string>();
  for (const s of steps) {
    const location = s.kind === 'wash_cell' ? s.cell : s.kind === 'transfer' || s.kind === 'dispense' ? s.target : undefined;
    const [kind, id] = location ? splitLocation(location) : ['', ''];
    if (kind === 'cell' && id) cells.add(id);
  }
  return [...cells];
}

interface ReplyTarget {
  replyTo: string | undefined;
  correlation: Buffer | undefined;
  topic: string;
}

/** The device's client: TCP_NODELAY, back-off, persistent session by default, last will `lost` on its `$state`. */
function createDeviceClient(broker: TwinBrokerOptions, clientId: string, stateTopic: string): MqttClient {
  const { persistentSession, ...connection } = broker;
  return createMqttClient({
    reconnect: { initialDelay_s: 0.5, maxDelay_s: 5, factor: 2 },
    ...connection,
    clientId,
    clean: !(persistentSession ?? true),
    will: { topic: stateTopic, payload: 'lost', qos: 1, retain: true },
  });
}
