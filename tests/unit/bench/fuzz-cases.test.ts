import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyFailure, runFuzzCases } from '../../../bench/fuzz-cases.ts';
import type { CaseOutcome } from '../../helpers/opcua-fuzz.ts';

/** A surface whose target answers by the drawn integer: every verdict the loop knows occurs. */
function surface(closed: { n: number }) {
  return {
    name: 'ints',
    arbitrary: fc.integer({ min: 0, max: 5 }),
    caseTimeout_ms: 50,
    open: () =>
      Promise.resolve({
        run(i: number): Promise<CaseOutcome> {
          switch (i) {
            case 0:
              return Promise.resolve({ kind: 'accepted' });
            case 1:
              return Promise.resolve({ kind: 'rejected', reason: i % 2 ? 'odd' : 'even' });
            case 2:
              return Promise.resolve({ kind: 'untyped', detail: 'raw' });
            case 3:
              return new Promise<CaseOutcome>(() => undefined); // never settles: a hang
            case 4:
              return Promise.reject(new Error('boom')); // escapes the case: a crash
            default:
              return Promise.resolve({ kind: 'out-of-envelope', detail: 'too much' });
          }
        },
        close: () => {
          closed.n++;
          return Promise.resolve();
        },
      }),
  };
}

describe('the shared fuzz case loop', () => {
  it('classifies each case once, counts typed refusals by reason, keeps the first failures and closes the target', async () => {
    const closed = { n: 0 };
    const listeners = process.listenerCount('unhandledRejection') + process.listenerCount('uncaughtException');
    const r = await runFuzzCases(surface(closed), { cases: 60, seed: 7, progressEvery: 1000, progressLabel: 't', show: String });
    const inputs = fc.sample(fc.integer({ min: 0, max: 5 }), { seed: 7, numRuns: 60 });
    const expected = (i: number) => inputs.filter((x) => x === i).length;
    expect(r.counts).toEqual({ accepted: expected(0), rejected: expected(1), untyped: expected(2), hang: expected(3), crash: expected(4), 'out-of-envelope': expected(5) });
    expect(Object.values(r.counts).reduce((a, b) => a + b, 0)).toBe(60);
    expect(r.refusals).toEqual([['odd', expected(1)]]);
    expect(r.examples.length).toBe(10);
    expect(r.examples.every((e) => e.verdict !== 'accepted' && e.verdict !== 'rejected')).toBe(true);
    expect(r.examples.find((e) => e.verdict === 'crash')?.detail).toContain('boom');
    expect(anyFailure(r.counts)).toBe(true);
    expect(anyFailure({ accepted: 3, rejected: 2, untyped: 0, 'out-of-envelope': 0, hang: 0, crash: 0 })).toBe(false);
    expect(closed.n).toBe(1);
    // The loop's process listeners are gone afterwards.
    expect(process.listenerCount('unhandledRejection') + process.listenerCount('uncaughtException')).toBe(listeners);
  });
});
