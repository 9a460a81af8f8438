import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PlannerJob } from './job.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Replies longer than this are refused before parsing (a 1 MB answer is an attack or a runaway model, not advice). */
export const MAX_REPLY_CHARS = 100_000;

/** Keys sorted at every level, so equal data gives equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** The first turn of a job: instructions with the output's JSON schema, and the context as JSON. */
export function firstMessages<Req, Out, Res>(job: PlannerJob<Req, Out, Res>, req: Req): ChatMessage[] {
  const schema = JSON.stringify(z.toJSONSchema(job.schema, { io: 'input', unrepresentable: 'any' }));
  return [
    { role: 'system', content: `${job.instructions}\nJSON schema of the answer: ${schema}` },
    { role: 'user', content: stableJson({ job: job.name, input: job.context(req) }) },
  ];
}

export function repairMessage(layer: string, issues: string[]): ChatMessage {
  return {
    role: 'user',
    content: `Your answer was rejected by the ${layer} check:\n${issues.slice(0, 20).map((i) => `- ${i}`).join('\n')}\nAnswer again with one corrected JSON object only.`,
  };
}

/** SHA-256 of the messages with whitespace collapsed: the key of a recorded answer. */
export function promptHash(messages: readonly ChatMessage[]): string {
  const normal = messages.map((m) => ({ role: m.role, content: m.content.replace(/\s+/g, ' ').trim() }));
  return createHash('sha256').update(stableJson(normal)).digest('hex');
}

/** The JSON value in a reply: the reply itself, or the object inside a fenced block or surrounding prose. */
export function parseReply(text: string): { ok: true; value: unknown } | { ok: false; issue: string } {
  if (text.length > MAX_REPLY_CHARS) return { ok: false, issue: `reply of ${text.length} characters exceeds ${MAX_REPLY_CHARS}` };
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const body = (fenced?.[1] ?? text).trim();
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (start < 0 || end <= start) return { ok: false, issue: 'no JSON object in the reply' };
  try {
    return { ok: true, value: JSON.parse(body.slice(start, end + 1)) as unknown };
  } catch (e) {
    return { ok: false, issue: `invalid JSON: ${(e as Error).message.slice(0, 200)}` };
  }
}

/** Removes secrets from text that is logged or stored: the configured key, bearer tokens and key-like strings. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out.replace(/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, '$1[redacted]').replace(/\bsk-[A-Za-z0-9_-]{8,}/g, '[redacted]');
}
