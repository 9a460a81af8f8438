import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opcuaCallsSurface, type OpcuaFuzzTarget } from '../helpers/opcua-fuzz.ts';

/**
 * The OPC UA fuzz surface in CI: a fixed seed and a few hundred cases (`npm run bench:fuzz-opcua` runs 10 000).
 * Every call must end in a typed outcome — Good, or a Bad status code that is not an internal error — within the
 * case timeout, and no run may reach the station core outside the instrument's envelope.
 */
describe('fuzzing the station twin’s OPC UA methods', () => {
  let target: OpcuaFuzzTarget;
  beforeAll(async () => {
    target = await opcuaCallsSurface.open();
  });
  afterAll(async () => {
    await target?.close();
  });

  it('answers every call with a typed status and lets nothing out of the envelope reach the instrument (seed 20261206)', async () => {
    const counts = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(opcuaCallsSurface.arbitrary, async (call) => {
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          target.run(call),
          new Promise<{ kind: 'hang' }>((resolve) => (timer = setTimeout(() => resolve({ kind: 'hang' }), opcuaCallsSurface.caseTimeout_ms))),
        ]);
        clearTimeout(timer);
        expect(outcome, JSON.stringify(call).slice(0, 300)).toMatchObject({ kind: expect.stringMatching(/^(accepted|rejected)$/) });
        if (outcome.kind === 'accepted' || outcome.kind === 'rejected') counts[outcome.kind]++;
      }),
      { seed: 20261206, numRuns: 300, endOnFailure: true },
    );
    // Both paths ran: some programs started, most hostile calls were refused.
    expect(counts.accepted).toBeGreaterThan(20);
    expect(counts.rejected).toBeGreaterThan(100);
  });
});
