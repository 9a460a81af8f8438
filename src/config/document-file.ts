import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/** A problem in a configuration document: the field's dotted path ('' for the whole document) and why. */
export interface FileIssue {
  path: string;
  message: string;
}

/** A configuration document (YAML or JSON) that cannot be used; the message lists every problem with its path. */
export class DocumentFileError extends Error {
  constructor(readonly file: string, what: string, readonly issues: FileIssue[]) {
    super(`${file}: invalid ${what}\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
  }
}

export function formatZodIssues(error: z.ZodError): FileIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** Parses YAML (a superset of JSON) text against `schema`; `fail` builds the error that names every problem. */
export function parseDocument<S extends z.ZodTypeAny>(text: string, schema: S, fail: (issues: FileIssue[]) => Error, syntax = 'YAML'): z.infer<S> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw fail([{ path: '', message: `not valid ${syntax}: ${(e as Error).message.split('\n')[0]}` }]);
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw fail(formatZodIssues(result.error));
  return result.data;
}

/** Reads a document's text; an unreadable file becomes `fail` with the reason (e.g. ENOENT). */
export async function readDocument(file: string, fail: (issues: FileIssue[]) => Error): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw fail([{ path: '', message: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
}
