import fs from 'node:fs';
import { z } from 'zod';
import type { MqttPublishProperties } from './mqtt.ts';

/**
 * The file format of a recorded MQTT session (JSONL, one record a line, `labloop.mqtt-session.v1`): a header, then
 * the client's actions (connect, subscribe, unsubscribe, publish, close), the messages it received, and annotations
 * (side facts a test harness writes into the timeline, e.g. what the device did to the simulated world). A file may
 * hold several sessions, each starting with its own header (named, for a fixture that covers a whole test suite).
 */

export const SESSION_SCHEMA = 'labloop.mqtt-session.v1';

const propertiesRecord = z.object({
  responseTopic: z.string().optional(),
  correlationData: z.string().optional(), // base64
  messageExpiryInterval: z.number().optional(),
  contentType: z.string().optional(),
});
export type PropertiesRecord = z.infer<typeof propertiesRecord>;
const payloadRecord = { payload: z.string(), encoding: z.enum(['utf8', 'base64']) };
const qos = z.union([z.literal(0), z.literal(1), z.literal(2)]);

export const sessionRecordSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('header'),
    schema: z.literal(SESSION_SCHEMA),
    clientId: z.string(),
    protocolVersion: z.union([z.literal(4), z.literal(5)]),
    startedAt: z.string(),
    /** Name of the session within a multi-session file (e.g. the test it was recorded for). */
    name: z.string().optional(),
    /** Facts a replay needs to stand in for the recording (lab, device id, ...). */
    meta: z.record(z.string(), z.string()).optional(),
  }),
  z.object({ type: z.literal('connect'), t_ms: z.number() }),
  z.object({ type: z.literal('close'), t_ms: z.number() }),
  z.object({ type: z.literal('subscribe'), t_ms: z.number(), filters: z.array(z.string()), qos }),
  z.object({ type: z.literal('unsubscribe'), t_ms: z.number(), filters: z.array(z.string()) }),
  z.object({ type: z.literal('publish'), t_ms: z.number(), topic: z.string(), qos, retain: z.boolean(), properties: propertiesRecord.optional(), ...payloadRecord }),
  z.object({ type: z.literal('message'), t_ms: z.number(), topic: z.string(), qos, retain: z.boolean(), properties: propertiesRecord.optional(), ...payloadRecord }),
  z.object({ type: z.literal('annotation'), t_ms: z.number(), channel: z.string(), data: z.unknown() }),
]);
export type SessionRecord = z.infer<typeof sessionRecordSchema>;
export type HeaderRecord = Extract<SessionRecord, { type: 'header' }>;
export type ActionRecord = Extract<SessionRecord, { type: 'connect' | 'close' | 'subscribe' | 'unsubscribe' | 'publish' }>;
export type MessageRecord = Extract<SessionRecord, { type: 'message' }>;
export type AnnotationRecord = Extract<SessionRecord, { type: 'annotation' }>;

export interface RecordedSession {
  header: HeaderRecord;
  /** Everything after the header. */
  records: SessionRecord[];
}

export function encodeBody(payload: Buffer | string): { payload: string; encoding: 'utf8' | 'base64' } {
  const buf = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? { payload: text, encoding: 'utf8' } : { payload: buf.toString('base64'), encoding: 'base64' };
}

export function decodeBody(r: { payload: string; encoding: 'utf8' | 'base64' }): Buffer {
  return Buffer.from(r.payload, r.encoding === 'utf8' ? 'utf8' : 'base64');
}

/** `{ properties }` for a record, or `{}` when there are none. */
export function withProperties(p: MqttPublishProperties | undefined): { properties?: PropertiesRecord } {
  if (!p) return {};
  const out: PropertiesRecord = {};
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = p.correlationData.toString('base64');
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  return Object.keys(out).length > 0 ? { properties: out } : {};
}

/** Reads and validates every record of a session file. */
export function readSessionRecords(file: string): SessionRecord[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: SessionRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim().length === 0) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not JSON: ${(err as Error).message}`);
    }
    const parsed = sessionRecordSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${file}:${i + 1}: not a session record: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    out.push(parsed.data);
  });
  return out;
}

/** Reads a single-session file (header first). */
export function readSession(file: string): SessionRecord[] {
  const records = readSessionRecords(file);
  if (records.filter((r) => r.type === 'header').length !== 1) throw new Error(`${file}: expected exactly one session, use readSessions for a multi-session file`);
  return records;
}

/** Splits a multi-session file at its headers. */
export function readSessions(file: string): RecordedSession[] {
  const sessions: RecordedSession[] = [];
  for (const r of readSessionRecords(file)) {
    if (r.type === 'header') sessions.push({ header: r, records: [] });
    else if (sessions.length === 0) throw new Error(`${file}: a ${r.type} record before the first header`);
    else sessions.at(-1)!.records.push(r);
  }
  return sessions;
}
