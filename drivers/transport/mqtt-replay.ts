import type { ConnectionListener, MessageListener, MqttInboundMessage, MqttProtocolVersion, MqttPublishOptions, MqttPublishProperties, MqttQos, MqttTransport } from './mqtt.ts';
import { TransportListeners } from './mqtt.ts';
import {
  decodeBody,
  readSession,
  type ActionRecord,
  type AnnotationRecord,
  type MessageRecord,
  type PropertiesRecord,
  type RecordedSession,
  type SessionRecord,
} from './mqtt-session.ts';
import { IdPairing, payloadDifference } from './replay-match.ts';

/**
 * Plays a recorded session (mqtt-session.ts) back as an MqttTransport, without a broker: a regression test of the
 * client that made the recording.
 *
 * Every outgoing action must be equivalent to the next recorded one (replay-match.ts: same topic, QoS, retain flag,
 * MQTT 5 properties and JSON payload, timestamps aside and command ids paired), else the action throws a
 * `ReplayDivergenceError` that names the first difference (`payload.body.volume: recorded 500, live 501`), and the
 * divergence is kept for `assertComplete`. The messages recorded after an action are delivered after it matched,
 * one per event-loop turn as a broker would, with recorded ids rewritten to the paired live ids; annotations are
 * handed to `onAnnotation` at their place in the timeline.
 */
export interface ReplayOptions {
  /** Called with each annotation at its place in the timeline (a harness replays what the device did). */
  onAnnotation?: (channel: string, data: unknown) => void;
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

type Timeline = MessageRecord | AnnotationRecord;

export class ReplayMqttTransport implements MqttTransport {
  readonly clientId: string;
  readonly protocolVersion: MqttProtocolVersion;
  readonly name: string;
  private readonly records: SessionRecord[];
  private readonly onAnnotation: ((channel: string, data: unknown) => void) | undefined;
  private readonly listeners = new TransportListeners();
  private readonly ids = new IdPairing();
  private readonly divergenceList: ReplayDivergenceError[] = [];
  private cursor = 0;
  private isConnected = false;
  private pumping = false;

  constructor(session: readonly SessionRecord[] | RecordedSession, options: ReplayOptions = {}) {
    const [header, ...rest] = Array.isArray(session) ? session : [(session as RecordedSession).header, ...(session as RecordedSession).records];
    if (header?.type !== 'header') throw new Error('replay: session has no header record');
    if (rest.some((r) => r.type === 'header')) throw new Error('replay: more than one session; split the file with readSessions');
    this.clientId = header.clientId;
    this.protocolVersion = header.protocolVersion;
    this.name = header.name ?? header.clientId;
    this.records = rest;
    this.onAnnotation = options.onAnnotation;
  }

  static fromFile(file: string, options?: ReplayOptions): ReplayMqttTransport {
    return new ReplayMqttTransport(readSession(file), options);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Records not consumed yet (0 when the replay went through the whole session). */
  get remaining(): number {
    return this.records.length - this.cursor;
  }

  /** Every divergence met so far (also thrown from the action that diverged). */
  get divergences(): readonly ReplayDivergenceError[] {
    return this.divergenceList;
  }

  /** Throws unless the live session matched every recorded action: no divergence and no recorded action left over. */
  assertComplete(): void {
    const first = this.divergenceList[0];
    if (first) throw new ReplayDivergenceError(`${first.message}${this.divergenceList.length > 1 ? ` (and ${this.divergenceList.length - 1} more)` : ''}`, first.expected, first.actual);
    this.deliverPendingNow();
    const next = this.records[this.cursor];
    if (next) {
      const left = this.records.slice(this.cursor).filter((r) => r.type !== 'message' && r.type !== 'annotation').length;
      throw new ReplayDivergenceError(`replay of ${this.name} ended early: ${left} recorded action(s) never performed, the next being ${describe(next)}`, next, undefined);
    }
  }

  async connect(): Promise<void> {
    this.deliverPendingNow();
    // Lenient: a session recorded on an already connected transport has no connect record.
    if (this.records[this.cursor]?.type === 'connect') this.match('connect', () => undefined, 'connect');
    this.isConnected = true;
    this.listeners.emitConnection(true);
  }

  async publish(topic: string, payload: Buffer | string, options: MqttPublishOptions): Promise<void> {
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    this.match('publish', (r, pairs) => publishDifference(r as Extract<ActionRecord, { type: 'publish' }>, topic, body, options, pairs), { topic, payload: body.toString('utf8') });
  }

  async subscribe(filters: readonly string[], qos: MqttQos): Promise<void> {
    this.match(
      'subscribe',
      (r, pairs) => {
        const rec = r as Extract<ActionRecord, { type: 'subscribe' }>;
        return listDifference(rec.filters.map((f) => pairs.map(f)), filters) ?? (rec.qos === qos ? undefined : `qos: recorded ${rec.qos}, live ${qos}`);
      },
      { filters },
    );
  }

  async unsubscribe(filters: readonly string[]): Promise<void> {
    this.match('unsubscribe', (r, pairs) => listDifference((r as Extract<ActionRecord, { type: 'unsubscribe' }>).filters.map((f) => pairs.map(f)), filters), { filters });
  }

  onMessage(listener: MessageListener): () => void {
    return this.listeners.onMessage(listener);
  }

  onConnectionChange(listener: ConnectionListener): () => void {
    return this.listeners.onConnectionChange(listener);
  }

  async close(): Promise<void> {
    this.deliverPendingNow();
    if (this.records[this.cursor]?.type === 'close') this.cursor++;
    this.isConnected = false;
    this.listeners.emitConnection(false);
  }

  /** Checks the next recorded action against the live one, then schedules what followed it. */
  private match(kind: ActionRecord['type'], difference: (r: ActionRecord, pairs: IdPairing) => string | undefined, actual: unknown): void {
    this.deliverPendingNow();
    const expected = this.records[this.cursor];
    let why: string | undefined;
    const tentative = new IdPairing(this.ids);
    if (!expected || expected.type === 'header' || expected.type === 'message' || expected.type === 'annotation') why = `expected ${describe(expected)}, got ${kind}`;
    else if (expected.type !== kind) why = `expected ${describe(expected)}, got ${kind} ${JSON.stringify(actual).slice(0, 200)}`;
    else why = difference(expected, tentative);
    if (why !== undefined) {
      const err = new ReplayDivergenceError(`replay diverged at record ${this.cursor + 2} of ${this.name} (${describe(expected)}): ${why}`, expected, actual);
      this.divergenceList.push(err);
      throw err;
    }
    this.ids.adopt(tentative);
    this.cursor++;
    this.schedulePump();
  }

  /** What was recorded before the current action happened before it: deliver it first, synchronously. */
  private deliverPendingNow(): void {
    for (let r = this.timelineAt(); r; r = this.timelineAt()) {
      this.cursor++;
      this.play(r);
    }
  }

  private timelineAt(): Timeline | undefined {
    const r = this.records[this.cursor];
    return r?.type === 'message' || r?.type === 'annotation' ? r : undefined;
  }

  private schedulePump(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => this.pump());
  }

  /** Plays the timeline at the cursor one record per turn of the event loop, as a broker would. */
  private pump(): void {
    const r = this.timelineAt();
    if (!r) {
      this.pumping = false;
      return;
    }
    this.cursor++;
    this.play(r);
    setImmediate(() => this.pump());
  }

  private play(r: Timeline): void {
    if (r.type === 'annotation') {
      this.onAnnotation?.(r.channel, r.data);
      return;
    }
    const payload = r.encoding === 'base64' ? decodeBody(r) : Buffer.from(this.ids.map(decodeBody(r).toString('utf8')), 'utf8');
    const message: MqttInboundMessage = { topic: this.ids.map(r.topic), payload, qos: r.qos, retain: r.retain };
    if (r.properties) message.properties = this.liveProperties(r.properties);
    this.listeners.emitMessage(message);
  }

  private liveProperties(p: PropertiesRecord): MqttPublishProperties {
    const out: MqttPublishProperties = {};
    if (p.responseTopic !== undefined) out.responseTopic = this.ids.map(p.responseTopic);
    if (p.correlationData !== undefined) out.correlationData = Buffer.from(this.ids.map(Buffer.from(p.correlationData, 'base64').toString('utf8')), 'utf8');
    if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
    if (p.contentType !== undefined) out.contentType = p.contentType;
    return out;
  }
}

function publishDifference(r: Extract<ActionRecord, { type: 'publish' }>, topic: string, body: Buffer, options: MqttPublishOptions, pairs: IdPairing): string | undefined {
  if (pairs.map(r.topic) !== topic) return `topic: recorded ${r.topic}, live ${topic}`;
  if (r.qos !== options.qos) return `qos: recorded ${r.qos}, live ${options.qos}`;
  if (r.retain !== (options.retain ?? false)) return `retain: recorded ${r.retain}, live ${options.retain ?? false}`;
  const payload = payloadDifference(decodeBody(r), body, pairs);
  if (payload !== undefined) return payload;
  return propertiesDifference(r.properties ?? {}, options.properties ?? {}, pairs);
}

/** MQTT 5 request/response properties: topics and expiry exactly, correlation data as a paired id. */
function propertiesDifference(recorded: PropertiesRecord, live: MqttPublishProperties, pairs: IdPairing): string | undefined {
  const rt = recorded.responseTopic === undefined ? undefined : pairs.map(recorded.responseTopic);
  if (rt !== live.responseTopic) return `properties.responseTopic: recorded ${rt}, live ${live.responseTopic}`;
  if (recorded.contentType !== live.contentType) return `properties.contentType: recorded ${recorded.contentType}, live ${live.contentType}`;
  if (recorded.messageExpiryInterval !== live.messageExpiryInterval)
    return `properties.messageExpiryInterval: recorded ${recorded.messageExpiryInterval}, live ${live.messageExpiryInterval}`;
  const rc = recorded.correlationData === undefined ? undefined : Buffer.from(recorded.correlationData, 'base64').toString('utf8');
  const lc = live.correlationData?.toString('utf8');
  if (rc === undefined || lc === undefined) return rc === lc ? undefined : `properties.correlationData: recorded ${rc}, live ${lc}`;
  const conflict = pairs.pair(rc, lc);
  return conflict === undefined ? undefined : `properties.correlationData: ${conflict}`;
}

function listDifference(recorded: readonly string[], live: readonly string[]): string | undefined {
  if (recorded.length === live.length && recorded.every((x, i) => x === live[i])) return undefined;
  return `filters: recorded [${recorded.join(', ')}], live [${live.join(', ')}]`;
}

function describe(r: SessionRecord | undefined): string {
  if (!r) return 'end of session';
  if (r.type === 'publish') return `publish to ${r.topic}`;
  if (r.type === 'subscribe' || r.type === 'unsubscribe') return `${r.type} ${r.filters.join(', ')}`;
  if (r.type === 'message') return `message on ${r.topic}`;
  if (r.type === 'annotation') return `annotation ${r.channel}`;
  return r.type;
}
