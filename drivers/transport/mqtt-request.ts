import { DeviceError, silentLogger, type Logger } from '../../src/domain/index.ts';
import type { MqttInboundMessage, MqttPublishProperties, MqttTransport } from './mqtt.ts';

/**
 * Request/response over MQTT that works on 3.1.1 and 5. The caller's JSON payload already carries `commandId`,
 * `replyTo` and `expiresAt`; on an MQTT 5 session the requester also sets the response topic, the correlation data
 * (the commandId) and the message expiry interval. Replies arrive on one reply topic and are matched by the
 * commandId the reply codec extracts; interim replies (e.g. `accepted`) are passed to a callback, and the promise
 * settles on the first final reply. No final reply within the timeout → DeviceError COMMAND_TIMEOUT.
 */
export interface ReplyCodec<R> {
  /** Parses a message on the reply topic; undefined (and the reason) when it is not a valid reply. */
  decode(message: MqttInboundMessage): { ok: true; reply: R; commandId: string | null } | { ok: false; reason: string };
  isFinal(reply: R): boolean;
}

export interface MqttRequesterOptions<R> {
  transport: MqttTransport;
  replyTopic: string;
  codec: ReplyCodec<R>;
  logger?: Logger;
}

export interface RequestArgs<R> {
  topic: string;
  payload: Buffer;
  commandId: string;
  /** Message expiry (MQTT 5 property), s. */
  ttl_s: number;
  /** Wait at most this long for the final reply, s. */
  timeout_s: number;
  signal?: AbortSignal;
  onInterim?: (reply: R) => void;
}

interface Waiter<R> {
  resolve(reply: R): void;
  reject(err: Error): void;
  onInterim: ((reply: R) => void) | undefined;
}

export class MqttRequester<R> {
  private readonly transport: MqttTransport;
  private readonly codec: ReplyCodec<R>;
  private readonly logger: Logger;
  readonly replyTopic: string;
  private readonly waiters = new Map<string, Set<Waiter<R>>>();
  private detach: (() => void) | undefined;

  constructor(options: MqttRequesterOptions<R>) {
    this.transport = options.transport;
    this.codec = options.codec;
    this.replyTopic = options.replyTopic;
    this.logger = (options.logger ?? silentLogger).child({ component: 'mqtt-request' });
  }

  /** Subscribes to the reply topic (QoS 1). */
  async start(): Promise<void> {
    if (this.detach) return;
    this.detach = this.transport.onMessage((m) => this.onMessage(m));
    await this.transport.subscribe([this.replyTopic], 1);
  }

  /** Stops listening; pending requests fail with ABORTED. */
  stop(): void {
    this.detach?.();
    this.detach = undefined;
    for (const [commandId, set] of this.waiters) {
      for (const w of set) w.reject(DeviceError.of('ABORTED', `request ${commandId} abandoned: requester stopped`));
    }
    this.waiters.clear();
  }

  get pending(): number {
    return this.waiters.size;
  }

  /** Publishes a request (QoS 1) and waits for its final reply. */
  request(args: RequestArgs<R>): Promise<R> {
    const done = this.expect(args.commandId, args.timeout_s, args.signal, args.onInterim);
    const properties: MqttPublishProperties = {
      responseTopic: this.replyTopic,
      correlationData: Buffer.from(args.commandId, 'utf8'),
      messageExpiryInterval: Math.max(1, Math.ceil(args.ttl_s)),
      contentType: 'application/json',
    };
    this.transport.publish(args.topic, args.payload, { qos: 1, retain: false, properties }).catch((err: unknown) => {
      this.fail(args.commandId, DeviceError.of('DEVICE_LOST', `publish of ${args.commandId} failed: ${(err as Error).message}`));
    });
    return done;
  }

  /** Waits for the final reply of a command without sending anything (e.g. after a recovery query). */
  expect(commandId: string, timeout_s: number, signal?: AbortSignal, onInterim?: (reply: R) => void): Promise<R> {
    if (signal?.aborted) return Promise.reject(DeviceError.of('ABORTED', `request ${commandId} aborted before it was sent`));
    return new Promise<R>((resolve, reject) => {
      let set = this.waiters.get(commandId);
      if (!set) {
        set = new Set();
        this.waiters.set(commandId, set);
      }
      const waiters = set;
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        waiters.delete(waiter);
        if (waiters.size === 0 && this.waiters.get(commandId) === waiters) this.waiters.delete(commandId);
      };
      const waiter: Waiter<R> = {
        resolve: (reply) => {
          finish();
          resolve(reply);
        },
        reject: (err) => {
          finish();
          reject(err);
        },
        onInterim,
      };
      const onAbort = (): void => waiter.reject(DeviceError.of('ABORTED', `request ${commandId} aborted`));
      const timer = setTimeout(
        () => waiter.reject(DeviceError.of('COMMAND_TIMEOUT', `no final reply to ${commandId} within ${timeout_s} s`)),
        Math.max(1, timeout_s * 1000),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(waiter);
    });
  }

  private fail(commandId: string, err: Error): void {
    const set = this.waiters.get(commandId);
    if (!set) return;
    for (const w of [...set]) w.reject(err);
  }

  private onMessage(message: MqttInboundMessage): void {
    if (message.topic !== this.replyTopic) return;
    const decoded = this.codec.decode(message);
    if (!decoded.ok) {
      this.logger.warn({ topic: message.topic, reason: decoded.reason }, 'ignoring malformed reply');
      return;
    }
    const correlation = message.properties?.correlationData?.toString('utf8');
    const commandId = decoded.commandId ?? correlation;
    if (commandId === undefined || commandId === null) {
      this.logger.warn({ reply: decoded.reply }, 'reply names no command; ignored');
      return;
    }
    if (correlation !== undefined && decoded.commandId !== null && correlation !== decoded.commandId)
      this.logger.warn({ commandId: decoded.commandId, correlation }, 'correlation data differs from the payload commandId; using the payload');
    const set = this.waiters.get(commandId);
    if (!set) {
      this.logger.debug({ commandId }, 'reply for no pending request (late or duplicate)');
      return;
    }
    const final = this.codec.isFinal(decoded.reply);
    for (const w of [...set]) {
      if (final) w.resolve(decoded.reply);
      else w.onInterim?.(decoded.reply);
    }
  }
}
