import { describe, expect, it } from 'vitest';
import { bearerToken, INSECURE_ACTOR, isLoopbackHost, TokenAuth } from '../../../src/console/index.ts';

const tokens = [
  { actor: 'ada', role: 'operator' as const, token: 'operator-token-0123456789' },
  { actor: 'vic', role: 'viewer' as const, token: 'viewer-token-0123456789ab' },
];

describe('TokenAuth', () => {
  it('maps a known token to its actor and role, never echoing the token', () => {
    const auth = new TokenAuth({ tokens, insecureLocal: false });
    const r = auth.authenticate('operator-token-0123456789');
    expect(r).toEqual({ ok: true, principal: { actor: 'ada', role: 'operator', insecure: false } });
    expect(JSON.stringify(r)).not.toContain('operator-token');
  });

  it('refuses a missing, unknown or malformed token', () => {
    const auth = new TokenAuth({ tokens, insecureLocal: false });
    expect(auth.authenticate(undefined)).toMatchObject({ ok: false, reason: expect.stringMatching(/required/) });
    expect(auth.authenticate('nope-nope-nope-nope')).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown/) });
    expect(auth.authenticate({ token: 1 })).toMatchObject({ ok: false });
    expect(auth.authenticate('x'.repeat(10_000))).toMatchObject({ ok: false });
  });

  it('lets tokenless clients in as an admin only with insecureLocal; a wrong token is still refused', () => {
    const auth = new TokenAuth({ tokens, insecureLocal: true });
    expect(auth.authenticate('')).toEqual({ ok: true, principal: { actor: INSECURE_ACTOR, role: 'admin', insecure: true } });
    expect(auth.authenticate('wrong-wrong-wrong-wrong').ok).toBe(false);
    expect(auth.authenticate('viewer-token-0123456789ab')).toMatchObject({ ok: true, principal: { role: 'viewer' } });
  });

  it('refuses short tokens in the configuration', () => {
    expect(() => new TokenAuth({ tokens: [{ actor: 'x', role: 'admin', token: 'short' }], insecureLocal: false })).toThrow(/16 characters/);
  });

  it('parses bearer headers and recognises loopback hosts', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc  ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('192.168.1.4')).toBe(false);
  });
});
