import { describe, expect, it } from 'vitest';
import { IdPairing, jsonDifference, payloadDifference } from '../../../../drivers/transport/replay-match.ts';

describe('replay matching', () => {
  it('pairs ids as a bijection and rewrites whole tokens only', () => {
    const p = new IdPairing();
    expect(p.pair('cmd-1', 'live-a')).toBeUndefined();
    expect(p.pair('cmd-12', 'live-b')).toBeUndefined();
    expect(p.pair('cmd-1', 'live-a')).toBeUndefined();
    expect(p.pair('cmd-1', 'live-b')).toMatch(/recorded id cmd-1 was paired with live-a, now meets live-b/);
    expect(p.pair('cmd-3', 'live-a')).toMatch(/live id live-a is already paired with recorded id cmd-1/);
    expect(p.map('result/cmd-12 and cmd-1, not xcmd-1 or cmd-1x')).toBe('result/live-b and live-a, not xcmd-1 or cmd-1x');
  });

  it('reports the path of the first difference and ignores timestamps', () => {
    const pairs = new IdPairing();
    const recorded = { commandId: 'R', issuedAt: 'a', expiresAt: 'b', body: { kind: 'transfer', steps: [{ volume: 1 }, { volume: 2 }] } };
    expect(jsonDifference(recorded, { ...recorded, commandId: 'L', issuedAt: 'c', expiresAt: 'd' }, pairs)).toBeUndefined();
    expect(jsonDifference(recorded, { ...recorded, commandId: 'L', body: { kind: 'transfer', steps: [{ volume: 1 }, { volume: 3 }] } }, pairs)).toBe('body.steps.1.volume: recorded 2, live 3');
    expect(jsonDifference(recorded, { ...recorded, commandId: 'L', body: { kind: 'transfer', steps: [{ volume: 1 }] } }, pairs)).toBe('body.steps: recorded 2 items, live 1');
    expect(jsonDifference({ a: 1 }, { a: 1, b: 2 }, pairs)).toBe('b: live 2, not in the recording');
    expect(jsonDifference({ a: 1, c: 'x' }, { a: 1 }, pairs)).toBe('c: recorded "x", live has no such field');
    expect(jsonDifference({ ref: 'see R' }, { ref: 'see L' }, pairs)).toBeUndefined();
  });

  it('compares non-JSON payloads byte for byte (ids mapped)', () => {
    const pairs = new IdPairing();
    pairs.pair('R', 'L');
    expect(payloadDifference(Buffer.from('ready'), Buffer.from('ready'), pairs)).toBeUndefined();
    expect(payloadDifference(Buffer.from('{x'), Buffer.from('{y'), pairs)).toMatch(/payload: recorded "{x", live "{y"/);
    expect(payloadDifference(Buffer.from('{"a":{"b":true}}'), Buffer.from('{"a":{"b":false}}'), pairs)).toBe('payload.a.b: recorded true, live false');
  });
});
