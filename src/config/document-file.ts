import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { schemaIssues } from '../domain/index.ts';

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
  return schemaIssues(error);
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

/** Largest configuration document read (campaign and stations files are a few kB). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/**
 * Reads a document's text; an unreadable, oversized, binary (NUL bytes) or non-UTF-8 file becomes `fail` with the
 * reason, so a wrong file is refused rather than half-parsed.
 */
export async function readDocument(file: string, fail: (issues: FileIssue[]) => Error): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw fail([{ path: '', message: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  const problem = documentBytesProblem(bytes);
  if (problem) throw fail([{ path: '', message: problem }]);
  return decodeUtf8(bytes);
}

/** Why these bytes are not a text document, or undefined when they are UTF-8 text of an acceptable size. */
export function documentBytesProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length > MAX_DOCUMENT_BYTES) return `file is too large (${bytes.length} bytes; at most ${MAX_DOCUMENT_BYTES})`;
  const nul = bytes.indexOf(0);
  if (nul >= 0) return `binary file (NUL byte at offset ${nul}); expected UTF-8 YAML or JSON text`;
  try {
    decodeUtf8(bytes);
  } catch {
    return 'not UTF-8 text (save the file as UTF-8)';
  }
  return undefined;
}

function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
}
