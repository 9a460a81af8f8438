import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { strictObject } from '../domain/index.ts';
import { roleSchema, type Role } from './console-protocol.ts';

/** Who is on the other end of a request or socket. Never carries the token. */
export interface Principal {
  actor: string;
  role: Role;
  /** True for the tokenless principal of `--insecure-local`. */
  insecure: boolean;
}

export const tokenEntrySchema = strictObject({
  token: z.string().min(16, 'a console token must have at least 16 characters'),
  role: roleSchema,
  actor: z.string().min(1).max(100),
});
export type TokenEntry = z.infer<typeof tokenEntrySchema>;

export interface AuthOptions {
  tokens: readonly TokenEntry[];
  /** Lets clients without a token in as an admin (`local`). Only for a local dry run; the server refuses it off loopback. */
  insecureLocal: boolean;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

export const INSECURE_ACTOR = 'local (insecure)';

/**
 * Token authentication with roles. Tokens are kept only as SHA-256 digests and compared in constant time; the
 * results name the actor, never the token.
 */
export class TokenAuth {
  private readonly entries: { digest: Buffer; role: Role; actor: string }[];
  readonly insecureLocal: boolean;

  constructor(opts: AuthOptions) {
    this.entries = opts.tokens.map((t) => {
      const e = tokenEntrySchema.parse(t);
      return { digest: digest(e.token), role: e.role, actor: e.actor };
    });
    this.insecureLocal = opts.insecureLocal;
  }

  get tokenCount(): number {
    return this.entries.length;
  }

  authenticate(token: unknown): AuthResult {
    if (token === undefined || token === null || token === '') {
      if (this.insecureLocal) return { ok: true, principal: { actor: INSECURE_ACTOR, role: 'admin', insecure: true } };
      return { ok: false, reason: 'unauthorized: a console token is required' };
    }
    if (typeof token !== 'string' || token.length > 512) return { ok: false, reason: 'unauthorized: malformed token' };
    const d = digest(token);
    let found: { role: Role; actor: string } | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, d) && !found) found = e;
    if (!found) return { ok: false, reason: 'unauthorized: unknown token' };
    return { ok: true, principal: { actor: found.actor, role: found.role, insecure: false } };
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Token from an `Authorization: Bearer …` header value. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return m?.[1];
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
