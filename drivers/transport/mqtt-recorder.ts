import fs from 'node:fs';
import type { ConnectionListener, MessageListener, MqttProtocolVersion, MqttPublishOptions, MqttQos, MqttTransport } from './mqtt.ts';
import { SESSION_SCHEMA, encodeBody, withProperties, type SessionRecord } from './mqtt-session.ts';

/**
 * Records an MQTT session, so a run on real hardware (or on a twin) becomes a regression fixture that
 * `ReplayMqttTransport` (mqtt-replay.ts) plays back without a broker.
 *
 * `RecordingMqttTransport` wraps any transport and appends every action (connect, subscribe, unsubscribe, publish,
 * close) and every received message to a JSONL file (format: mqtt-session.ts), synchronously, so a crash loses
 * nothing. `annotate` writes a side fact into the same timeline (a test harness records what the device did).
 */
export interface RecordingOptions {
  /** Append a new session to the file instead of replacing it (multi-session fixtures). Default false. */
  append?: boolean;
  /** Session name (e.g. the test it was recorded for). */
  name?: string;
  /** Facts a replay needs (lab, device id, ...). */
  meta?: Record<string, string>;
}

export class RecordingMqttTransport implements MqttTransport {
  private readonly fd: number;
  private readonly t0 = performance.now();
  private closed = false;

  constructor(
    private readonly inner: MqttTransport,
    readonly file: string,
    options: RecordingOptions = {},
  ) {
    this.fd = fs.openSync(file, options.append ? 'a' : 'w');
    this.write({
      type: 'header',
      schema: SESSION_SCHEMA,
      clientId: inner.clientId,
      protocolVersion: inner.protocolVersion,
      startedAt: new Date().toISOString(),
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(options.meta !== undefined ? { meta: options.meta } : {}),
    });
    inner.onMessage((m) => this.write({ type: 'message', t_ms: this.t(), topic: m.topic, qos: m.qos, retain: m.retain, ...encodeBody(m.payload), ...withProperties(m.properties) }));
  }

  get clientId(): string {
    return this.inner.clientId;
  }
  get protocolVersion(): MqttProtocolVersion {
    return this.inner.protocolVersion;
  }
  get connected(): boolean {
    return this.inner.connected;
  }

  private t(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }

  private write(record: SessionRecord): void {
    if (!this.closed) fs.writeSync(this.fd, `${JSON.stringify(record)}\n`);
  }

  /** Writes a side fact into the session timeline (JSON data; replayed in order to `onAnnotation`). */
  annotate(channel: string, data: unknown): void {
    this.write({ type: 'annotation', t_ms: this.t(), channel, data });
  }

  async connect(): Promise<void> {
    this.write({ type: 'connect', t_ms: this.t() });
    await this.inner.connect();
  }

  async publish(topic: string, payload: Buffer | string, options: MqttPublishOptions): Promise<void> {
    this.write({ type: 'publish', t_ms: this.t(), topic, qos: options.qos, retain: options.retain ?? false, ...encodeBody(payload), ...withProperties(options.properties) });
    await this.inner.publish(topic, payload, options);
  }

  async subscribe(filters: readonly string[], qos: MqttQos): Promise<void> {
    this.write({ type: 'subscribe', t_ms: this.t(), filters: [...filters], qos });
    await this.inner.subscribe(filters, qos);
  }

  async unsubscribe(filters: readonly string[]): Promise<void> {
    this.write({ type: 'unsubscribe', t_ms: this.t(), filters: [...filters] });
    await this.inner.unsubscribe(filters);
  }

  onMessage(listener: MessageListener): () => void {
    return this.inner.onMessage(listener);
  }

  onConnectionChange(listener: ConnectionListener): () => void {
    return this.inner.onConnectionChange(listener);
  }

  async close(options?: { force?: boolean }): Promise<void> {
    this.write({ type: 'close', t_ms: this.t() });
    try {
      await this.inner.close(options);
    } finally {
      this.closed = true;
      fs.closeSync(this.fd);
    }
  }
}
