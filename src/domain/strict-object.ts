import { z } from 'zod';

/**
 * Strict objects for every boundary schema (files, MQTT payloads, console events, REST bodies): an unknown key is an
 * error that names the key and suggests the closest known one (`unknown key "maxStokVolume" (did you mean
 * maxStockVolume?)`), so a typo never silently drops a limit. `schemaIssues` turns a ZodError into one issue per
 * problem, with the unknown key appended to the path.
 */
export function strictObject<T extends z.ZodRawShape>(shape: T): z.ZodObject<T, z.core.$strict> {
  return z.strictObject(shape, { error: unknownKeyMessage });
}

/** The error map of strict objects: one line per unknown key, with a suggestion when one is close. */
export function unknownKeyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const def = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def;
  const known = def?.shape ? Object.keys(def.shape) : [];
  return (issue.keys as string[]).slice(0, MAX_KEY_ISSUES).map((key) => unknownKeyLine(key, known)).join('\n');
}

/** At most this many unknown keys are reported per object (a hostile payload may carry thousands). */
const MAX_KEY_ISSUES = 20;

export function unknownKeyLine(key: string, known: readonly string[]): string {
  const guess = closestName(key, known);
  return `unknown key "${shortKey(key)}"${guess ? ` (did you mean ${guess}?)` : ''}`;
}

/** A key as shown in messages and paths: at most 64 characters. */
function shortKey(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}

/** The known name closest to `name` (case-insensitive edit distance), or undefined when none is plausibly meant. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const target = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(target, candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const allowed = Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment), O(|a|·|b|); names are short. */
export function editDistance(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Math.abs(a.length - b.length) + 200;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push(Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]!;
      const prev = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row[j] = d;
    }
  return rows[a.length]![b.length]!;
}

/** A schema problem: the dotted path of the field ('' for the whole value) and why. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** One issue per problem; an unknown key becomes `path.key: unknown key (did you mean …?)`. */
export function schemaIssues(error: z.ZodError): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const lines = issue.message.split('\n');
      issue.keys.slice(0, MAX_KEY_ISSUES).forEach((key, i) => {
        const prefix = `unknown key "${shortKey(key)}"`;
        const line = lines[i] ?? '';
        out.push({ path: [...base, shortKey(key)].join('.'), message: line.startsWith(prefix) ? `unknown key${line.slice(prefix.length)}` : 'unknown key' });
      });
      if (issue.keys.length > MAX_KEY_ISSUES) out.push({ path: base.join('.'), message: `and ${issue.keys.length - MAX_KEY_ISSUES} more unknown keys` });
    } else out.push({ path: base.join('.'), message: issue.message });
  }
  return out;
}

/** `path: message; path: message` of a zod error (the whole value is `(payload)`). */
export function describeSchemaIssues(error: z.ZodError, root = '(payload)'): string {
  return schemaIssues(error)
    .map((i) => `${i.path || root}: ${i.message}`)
    .join('; ');
}
