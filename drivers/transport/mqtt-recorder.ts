import fs from 'node:fs';
import { z } from 'zod';
import type {
  ConnectionListener,
  MessageListener,
  MqttInboundMessage,
  MqttProtocolVersion,
  MqttPublishOptions,
  MqttPublishProperties,
  MqttQos,
  MqttTransport,
} from './mqtt.ts';

/**
 * Record and replay of an MQTT session, so a run on real hardware (or on a twin) becomes a regression fixture.
 *
 * `RecordingMqttTransport` wraps any transport and appends every action (connect, subscribe, publish, close) and
 * every received message to a JSONL file. `ReplayMqttTransport` plays such a file back without a broker: each
 * outgoing action must match the next recorded one (else it throws `ReplayDivergenceError`), and the messages
 * that were received after it are delivered in recorded order. Timestamps (`issuedAt`, `expiresAt`, …) are not
 * compared, and command ids may differ between recording and replay: the first time a recorded id meets a new one
 * they are paired, and the pairing is applied to every replayed message.
 */

export const SESSION_SCHEMA = 'labloop.mqtt-session.v1';

const propertiesRecord = z.object({
  responseTopic: z.string().optional(),
  correlationData: z.string().optional(), // base64
  messageExpiryInterval: z.number().optional(),
  contentType: z.string().optional(),
});
const payloadRecord = { payload: z.string(), encoding: z.enum(['utf8', 'base64']) };
const qos = z.union([z.literal(0), z.literal(1), z.literal(2)]);

export const sessionRecordSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), schema: z.literal(SESSION_SCHEMA), clientId: z.string(), protocolVersion: z.union([z.literal(4), z.literal(5)]), startedAt: z.string() }),
  z.object({ type: z.literal('connect'), t_ms: z.number() }),
  z.object({ type: z.literal('close'), t_ms: z.number() }),
  z.object({ type: z.literal('subscribe'), t_ms: z.number(), filters: z.array(z.string()), qos }),
  z.object({ type: z.literal('unsubscribe'), t_ms: z.number(), filters: z.array(z.string()) }),
  z.object({ type: z.literal('publish'), t_ms: z.number(), topic: z.string(), qos, retain: z.boolean(), properties: propertiesRecord.optional(), ...payloadRecord }),
  z.object({ type: z.literal('message'), t_ms: z.number(), topic: z.string(), qos, retain: z.boolean(), properties: propertiesRecord.optional(), ...payloadRecord }),
]);
export type SessionRecord = z.infer<typeof sessionRecordSchema>;
type HeaderRecord = Extract<SessionRecord, { type: 'header' }>;
type ActionRecord = Exclude<SessionRecord, { type: 'header' | 'message' }>;
type MessageRecord = Extract<SessionRecord, { type: 'message' }>;

function encodeBody(payload: Buffer | string): { payload: string; encoding: 'utf8' | 'base64' } {
  const buf = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? { payload: text, encoding: 'utf8' } : { payload: buf.toString('base64'), encoding: 'base64' };
}

function decodeBody(r: { payload: string; encoding: 'utf8' | 'base64' }): Buffer {
  return Buffer.from(r.payload, r.encoding === 'utf8' ? 'utf8' : 'base64');
}

function encodeProperties(p: MqttPublishProperties | undefined): z.infer<typeof propertiesRecord> | undefined {
  if (!p) return undefined;
  const out: z.infer<typeof propertiesRecord> = {};
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = p.correlationData.toString('base64');
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  return out;
}

/** Wraps a transport and writes the session to a JSONL file (synchronously, so a crash loses nothing). */
export class RecordingMqttTransport implements MqttTransport {
  private readonly fd: number;
  private readonly t0 = performance.now();
  private closed = false;

  constructor(
    private readonly inner: MqttTransport,
    readonly file: string,
  ) {
    this.fd = fs.openSync(file, 'w');
    this.write({ type: 'header', schema: SESSION_SCHEMA, clientId: inner.clientId, protocolVersion: inner.protocolVersion, startedAt: new Date().toISOString() });
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

function withProperties(p: MqttPublishProperties | undefined): { properties?: z.infer<typeof propertiesRecord> } {
  const properties = encodeProperties(p);
  return properties && Object.keys(properties).length > 0 ? { properties } : {};
}

/** Reads and validates a recorded session. */
export function readSession(file: string): SessionRecord[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim().length > 0);
  return lines.map((line, i) => {
    const parsed = sessionRecordSchema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`${file}:${i + 1}: not a session record: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    return parsed.data;
  });
}

export class ReplayDivergenceError extends Error {
  constructor(
    message: string,
    readonly expected: SessionRecord | undefined,
    readonly actual: unknown,
  ) {
    super(message);
    this.name = 'ReplayDivergenceError';
  }
}

/** Keys whose values legitimately differ between a recording and its replay. */
const VOLATILE_KEYS = new Set(['issuedAt', 'expiresAt', 'repliedAt', 'updatedAt', 'at', 'startedAt']);
/** Keys that hold ids paired between recording and replay. */
const ID_KEYS = new Set(['commandId', 'runId']);

/** Plays a recorded session back as a transport (no broker). */
export class ReplayMqttTransport implements MqttTransport {
  readonly clientId: string;
  readonly protocolVersion: MqttProtocolVersion;
  private readonly records: SessionRecord[];
  private cursor = 0;
  private isConnected = false;
  private readonly messageListeners = new Set<MessageListener>();
  private readonly connectionListeners = new Set<ConnectionListener>();
  /** recorded id → live id */
  private readonly ids = new Map<string, string>();
  private pumping = false;

  constructor(records: readonly SessionRecord[]) {
    const [header, ...rest] = records;
    if (header?.type !== 'header') throw new Error('replay: session has no header record');
    this.clientId = (header as HeaderRecord).clientId;
    this.protocolVersion = (header as HeaderRecord).protocolVersion;
    this.records = rest;
  }

  static fromFile(file: string): ReplayMqttTransport {
    return new ReplayMqttTransport(readSession(file));
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Records not consumed yet (0 when the replay went through the whole session). */
  get remaining(): number {
    return this.records.length - this.cursor;
  }

  async connect(): Promise<void> {
    // Lenient: a session recorded on an already connected transport has no connect record.
    this.deliverPendingNow();
    if (this.records[this.cursor]?.type === 'connect') this.match('connect', () => true, 'connect');
    this.isConnected = true;
    for (const l of this.connectionListeners) l(true);
  }

  async publish(topic: string, payload: Buffer | string, options: MqttPublishOptions): Promise<void> {
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    this.match('publish', (r) => r.type === 'publish' && r.topic === topic && r.retain === (options.retain ?? false) && this.samePayload(decodeBody(r), body), { topic, payload: body.toString('utf8') });
  }

  async subscribe(filters: readonly string[], qos: MqttQos): Promise<void> {
    this.match('subscribe', (r) => r.type === 'subscribe' && r.qos === qos && sameList(r.filters, filters), { filters });
  }

  async unsubscribe(filters: readonly string[]): Promise<void> {
    this.match('unsubscribe', (r) => r.type === 'unsubscribe' && sameList(r.filters, filters), { filters });
  }

  onMessage(listener: MessageListener): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onConnectionChange(listener: ConnectionListener): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.deliverPendingNow();
    const next = this.records[this.cursor];
    if (next?.type === 'close') this.cursor++;
    this.isConnected = false;
    for (const l of this.connectionListeners) l(false);
  }

  /** Checks the next recorded action against the live one, then schedules the messages that followed it. */
  private match(kind: ActionRecord['type'], same: (r: ActionRecord) => boolean, actual: unknown): void {
    this.deliverPendingNow();
    const expected = this.records[this.cursor];
    if (!expected || expected.type === 'message' || expected.type === 'header' || expected.type !== kind || !same(expected))
      throw new ReplayDivergenceError(`replay diverged at record ${this.cursor + 2}: expected ${describe(expected)}, got ${kind} ${JSON.stringify(actual)}`, expected, actual);
    this.cursor++;
    this.schedulePump();
  }

  /** Messages recorded before the current action were received before it: deliver them first, synchronously. */
  private deliverPendingNow(): void {
    while (this.records[this.cursor]?.type === 'message') this.deliver(this.records[this.cursor++] as MessageRecord);
  }

  private schedulePump(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => this.pump());
  }

  /** Delivers the recorded messages at the cursor one per turn of the event loop, as a broker would. */
  private pump(): void {
    const r = this.records[this.cursor];
    if (r?.type !== 'message') {
      this.pumping = false;
      return;
    }
    this.cursor++;
    this.deliver(r);
    setImmediate(() => this.pump());
  }

  private deliver(r: MessageRecord): void {
    const message: MqttInboundMessage = { topic: this.mapIds(r.topic), payload: Buffer.from(this.mapIds(decodeBody(r).toString('utf8')), 'utf8'), qos: r.qos, retain: r.retain };
    if (r.encoding === 'base64') message.payload = decodeBody(r);
    if (r.properties) {
      const p: MqttPublishProperties = {};
      if (r.properties.responseTopic !== undefined) p.responseTopic = r.properties.responseTopic;
      if (r.properties.correlationData !== undefined) p.correlationData = Buffer.from(this.mapIds(Buffer.from(r.properties.correlationData, 'base64').toString('utf8')), 'utf8');
      if (r.properties.messageExpiryInterval !== undefined) p.messageExpiryInterval = r.properties.messageExpiryInterval;
      if (r.properties.contentType !== undefined) p.contentType = r.properties.contentType;
      message.properties = p;
    }
    for (const l of this.messageListeners) l(message);
  }

  private mapIds(text: string): string {
    let out = text;
    for (const [recorded, live] of this.ids) if (recorded !== live) out = out.split(recorded).join(live);
    return out;
  }

  private samePayload(recorded: Buffer, live: Buffer): boolean {
    let a: unknown;
    let b: unknown;
    try {
      a = JSON.parse(recorded.toString('utf8'));
      b = JSON.parse(live.toString('utf8'));
    } catch {
      return recorded.equals(live);
    }
    const pairs = new Map(this.ids);
    if (!this.sameJson(a, b, pairs, undefined)) return false;
    for (const [k, v] of pairs) this.ids.set(k, v);
    return true;
  }

  private sameJson(a: unknown, b: unknown, pairs: Map<string, string>, key: string | undefined): boolean {
    if (key !== undefined && VOLATILE_KEYS.has(key)) return true;
    if (key !== undefined && ID_KEYS.has(key) && typeof a === 'string' && typeof b === 'string') {
      const paired = pairs.get(a);
      if (paired !== undefined) return paired === b;
      if ([...pairs.values()].includes(b)) return false;
      pairs.set(a, b);
      return true;
    }
    if (typeof a === 'string' && typeof b === 'string') return this.mapWith(a, pairs) === b;
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => this.sameJson(x, b[i], pairs, undefined));
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      const ka = Object.keys(a).filter((k) => !VOLATILE_KEYS.has(k));
      const kb = Object.keys(b).filter((k) => !VOLATILE_KEYS.has(k));
      if (ka.length !== kb.length) return false;
      return ka.every((k) => k in b && this.sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], pairs, k));
    }
    return a === b;
  }

  private mapWith(text: string, pairs: Map<string, string>): string {
    let out = text;
    for (const [recorded, live] of pairs) if (recorded !== live) out = out.split(recorded).join(live);
    return out;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function describe(r: SessionRecord | undefined): string {
  if (!r) return 'end of session';
  if (r.type === 'publish') return `publish to ${r.topic} ${r.payload.slice(0, 200)}`;
  if (r.type === 'subscribe' || r.type === 'unsubscribe') return `${r.type} ${r.filters.join(', ')}`;
  return r.type;
}
