import { describe, expect, it } from 'vitest';
import { consoleCommandSchema, describeIssues, mayAct, subscribeSchema } from '../../../src/console/index.ts';

describe('console wire contract', () => {
  it('accepts every well-formed command', () => {
    const ok = [
      { action: 'pause', campaignId: 'c-1' },
      { action: 'resume', campaignId: 'c-1' },
      { action: 'abort', campaignId: 'c-1', reason: 'bad batch' },
      { action: 'approve', campaignId: 'c-1', trialId: '01ABC' },
      { action: 'reject', campaignId: 'c-1', trialId: '01ABC', reason: 'too much Ce' },
      { action: 'recover', campaignId: 'c-1', trialId: '01ABC', decision: 'retry' },
      { action: 'quarantine', campaignId: 'c-1', station: 'pair1', message: 'leak' },
      { action: 'release', campaignId: 'c-1', station: 'pair1' },
      { action: 'lift-region', campaignId: 'c-1', regionId: 'region-01ABC', reason: 'substrate batch was bad' },
      { action: 'refill-stock', campaignId: 'c-1', stock: 'complexant', volume_uL: 50_000 },
      { action: 'refill-stock', campaignId: 'c-1', stock: 'complexant', toListed: true, reason: 'new bottle' },
    ];
    for (const c of ok) expect(consoleCommandSchema.safeParse(c).success, JSON.stringify(c)).toBe(true);
  });

  it('refuses malformed commands and names the bad field', () => {
    const cases: [unknown, RegExp][] = [
      [{ action: 'explode', campaignId: 'c' }, /action/],
      [{ action: 'pause' }, /campaignId/],
      [{ action: 'pause', campaignId: 'c', extra: 1 }, /extra/],
      [{ action: 'recover', campaignId: 'c', trialId: 't', decision: 'maybe' }, /decision/],
      [{ action: 'approve', campaignId: 'c', trialId: '../../etc' }, /trialId/],
      [{ action: 'abort', campaignId: 'c', reason: 'x'.repeat(600) }, /reason/],
      [{ action: 'lift-region', campaignId: 'c' }, /regionId/],
      [{ action: 'lift-region', campaignId: 'c', regionId: 'r', radius: 0.2 }, /radius/],
      [{ action: 'refill-stock', campaignId: 'c', volume_uL: 10 }, /stock/],
      [{ action: 'refill-stock', campaignId: 'c', stock: 'Ni' }, /either volume_uL or toListed/],
      [{ action: 'refill-stock', campaignId: 'c', stock: 'Ni', volume_uL: 10, toListed: true }, /either volume_uL or toListed/],
      [{ action: 'refill-stock', campaignId: 'c', stock: 'Ni', volume_uL: -5 }, /volume_uL/],
      [{ action: 'refill-stock', campaignId: 'c', stock: 'Ni', toListed: false }, /toListed/],
      ['pause', /expected object|Invalid input/i],
      [null, /expected object|Invalid input/i],
    ];
    for (const [raw, pattern] of cases) {
      const r = consoleCommandSchema.safeParse(raw);
      expect(r.success, JSON.stringify(raw)).toBe(false);
      if (!r.success) expect(describeIssues(r.error)).toMatch(pattern);
    }
  });

  it('subscribe defaults afterSeq to 0 and refuses negative or fractional seqs', () => {
    expect(subscribeSchema.parse({ campaignId: 'c' })).toEqual({ campaignId: 'c', afterSeq: 0 });
    expect(subscribeSchema.safeParse({ campaignId: 'c', afterSeq: -1 }).success).toBe(false);
    expect(subscribeSchema.safeParse({ campaignId: 'c', afterSeq: 1.5 }).success).toBe(false);
  });

  it('ranks roles: viewers watch, operators and admins act', () => {
    expect(mayAct('viewer', 'operator')).toBe(false);
    expect(mayAct('operator', 'operator')).toBe(true);
    expect(mayAct('admin', 'operator')).toBe(true);
  });
});
