/**
 * How a replayed session decides that a live request is "the same" as the recorded one (ADR 0051).
 *
 * JSON payloads are compared structurally. Two kinds of keys are treated specially:
 * - volatile timestamps (`issuedAt`, `expiresAt`, ...): their values are not compared, but when an object carries
 *   both `issuedAt` and `expiresAt` the time to live (`expiresAt − issuedAt`) must be the same;
 * - id keys (`commandId`, `runId`): a recorded id and a live id are paired the first time they meet, and from then
 *   on the pairing is a bijection: the recorded id must always meet the same live id and vice versa.
 * Every other string is compared after replacing the paired recorded ids in it by their live ids (whole tokens
 * only, so `cmd-1` never rewrites part of `cmd-12`). The first difference is reported with its path.
 */

/** Keys whose values legitimately differ between a recording and its replay. */
export const VOLATILE_KEYS: ReadonlySet<string> = new Set(['issuedAt', 'expiresAt', 'repliedAt', 'updatedAt', 'at', 'startedAt']);
/** Keys that hold ids paired between recording and replay. */
export const ID_KEYS: ReadonlySet<string> = new Set(['commandId', 'runId']);

const ID_CHARS = 'A-Za-z0-9._:-';

/** recorded id → live id, bijective. */
export class IdPairing {
  private readonly forward = new Map<string, string>();
  private readonly backward = new Map<string, string>();
  private pattern: RegExp | undefined;

  constructor(from?: IdPairing) {
    if (from) for (const [r, l] of from.forward) this.set(r, l);
  }

  get size(): number {
    return this.forward.size;
  }

  /** Pairs `recorded` with `live`, or checks an existing pairing. Returns a reason when it contradicts one. */
  pair(recorded: string, live: string): string | undefined {
    const known = this.forward.get(recorded);
    if (known !== undefined) return known === live ? undefined : `recorded id ${recorded} was paired with ${known}, now meets ${live}`;
    const owner = this.backward.get(live);
    if (owner !== undefined) return `live id ${live} is already paired with recorded id ${owner}, now meets ${recorded}`;
    this.set(recorded, live);
    return undefined;
  }

  /** Copies another pairing's entries into this one (commit of a successful match). */
  adopt(other: IdPairing): void {
    for (const [r, l] of other.forward) if (!this.forward.has(r)) this.set(r, l);
  }

  /** Replaces every whole-token recorded id in `text` by its live id. */
  map(text: string): string {
    if (!this.pattern) return text;
    return text.replace(this.pattern, (m) => this.forward.get(m) ?? m);
  }

  private set(recorded: string, live: string): void {
    this.forward.set(recorded, live);
    this.backward.set(live, recorded);
    const changed = [...this.forward].filter(([r, l]) => r !== l).map(([r]) => r);
    // Longest first, so that of two ids where one is a prefix of the other the longer one wins.
    changed.sort((a, b) => b.length - a.length);
    this.pattern = changed.length === 0 ? undefined : new RegExp(`(?<![${ID_CHARS}])(?:${changed.map(escapeRegExp).join('|')})(?![${ID_CHARS}])`, 'g');
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The first difference between a recorded and a live JSON value (`path: recorded X, live Y`), or undefined when they
 * are equivalent. New id pairings are added to `pairs` as they are met (the caller discards them on a difference).
 */
export function jsonDifference(recorded: unknown, live: unknown, pairs: IdPairing, path = ''): string | undefined {
  const here = path || '(root)';
  const key = path.split('.').at(-1) ?? '';
  if (ID_KEYS.has(key) && typeof recorded === 'string' && typeof live === 'string') {
    const conflict = pairs.pair(recorded, live);
    return conflict === undefined ? undefined : `${here}: ${conflict}`;
  }
  if (typeof recorded === 'string' && typeof live === 'string') {
    const expected = pairs.map(recorded);
    return expected === live ? undefined : `${here}: recorded ${show(expected)}, live ${show(live)}`;
  }
  if (Array.isArray(recorded) && Array.isArray(live)) {
    if (recorded.length !== live.length) return `${here}: recorded ${recorded.length} items, live ${live.length}`;
    for (let i = 0; i < recorded.length; i++) {
      const d = jsonDifference(recorded[i], live[i], pairs, `${path}.${i}`.replace(/^\./, ''));
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (isObject(recorded) && isObject(live)) {
    const rk = Object.keys(recorded).filter((k) => !VOLATILE_KEYS.has(k));
    const lk = Object.keys(live).filter((k) => !VOLATILE_KEYS.has(k));
    const missing = rk.filter((k) => !(k in live));
    if (missing.length > 0) return `${path ? `${path}.` : ''}${missing[0]}: recorded ${show(recorded[missing[0]!])}, live has no such field`;
    const extra = lk.filter((k) => !(k in recorded));
    if (extra.length > 0) return `${path ? `${path}.` : ''}${extra[0]}: live ${show(live[extra[0]!])}, not in the recording`;
    const ttl = ttlDifference(recorded, live);
    if (ttl !== undefined) return `${path ? `${path}.` : ''}expiresAt − issuedAt: ${ttl}`;
    for (const k of rk) {
      const d = jsonDifference(recorded[k], live[k], pairs, path ? `${path}.${k}` : k);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (recorded === live) return undefined;
  return `${here}: recorded ${show(recorded)}, live ${show(live)}`;
}

/** The time to live of a command must not change even though its timestamps do. */
function ttlDifference(recorded: Record<string, unknown>, live: Record<string, unknown>): string | undefined {
  const ttl = (o: Record<string, unknown>): number | undefined =>
    typeof o['issuedAt'] === 'string' && typeof o['expiresAt'] === 'string' ? Date.parse(o['expiresAt']) - Date.parse(o['issuedAt']) : undefined;
  const a = ttl(recorded);
  const b = ttl(live);
  if (a === undefined && b === undefined) return undefined;
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return undefined;
  return `recorded ${a} ms, live ${b} ms`;
}

/** Compares two payloads: as JSON when both parse, else byte for byte. */
export function payloadDifference(recorded: Buffer, live: Buffer, pairs: IdPairing): string | undefined {
  let a: unknown;
  let b: unknown;
  try {
    a = JSON.parse(recorded.toString('utf8'));
    b = JSON.parse(live.toString('utf8'));
  } catch {
    if (recorded.equals(live)) return undefined;
    const expected = pairs.map(recorded.toString('utf8'));
    return expected === live.toString('utf8') ? undefined : `payload: recorded ${show(expected)}, live ${show(live.toString('utf8'))}`;
  }
  const d = jsonDifference(a, b, pairs);
  return d === undefined ? undefined : `payload.${d}`;
}
