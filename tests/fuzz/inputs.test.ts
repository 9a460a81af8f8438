import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INPUT_SURFACES, type FuzzSurface } from '../helpers/input-fuzz.ts';
import type { CaseOutcome } from '../helpers/opcua-fuzz.ts';

/**
 * The input fuzz surfaces in CI: a fixed seed and a few hundred cases each (`npm run bench:fuzz` runs 10 000 per
 * surface). Every input must end, within the case timeout, accepted or refused with a typed error, and nothing the
 * strict schemas refuse may reach the instrument or the engine.
 */
const RUNS: Record<string, number> = { 'campaign-files': 400, 'stations-files': 400, 'mqtt-payloads': 200, 'console-events': 150 };
const SEED = 20261207;

async function fuzz<I>(surface: FuzzSurface<I>): Promise<Record<CaseOutcome['kind'], number>> {
  const counts: Record<CaseOutcome['kind'], number> = { accepted: 0, rejected: 0, untyped: 0, 'out-of-envelope': 0 };
  const target = await surface.open();
  try {
    await fc.assert(
      fc.asyncProperty(surface.arbitrary, async (input) => {
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          target.run(input),
          new Promise<{ kind: 'hang' }>((resolve) => (timer = setTimeout(() => resolve({ kind: 'hang' }), surface.caseTimeout_ms))),
        ]);
        clearTimeout(timer);
        expect(outcome, JSON.stringify(input, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v)).slice(0, 300)).toMatchObject({ kind: expect.stringMatching(/^(accepted|rejected)$/) });
        counts[outcome.kind as CaseOutcome['kind']]++;
      }),
      { seed: SEED, numRuns: RUNS[surface.name] ?? 100, endOnFailure: true },
    );
  } finally {
    await target.close();
  }
  return counts;
}

describe('fuzzing every input surface (fixed seed)', () => {
  for (const surface of INPUT_SURFACES)
    it(`${surface.name}: typed outcomes only, nothing out of the envelope`, async () => {
      const counts = await fuzz(surface as FuzzSurface<unknown>);
      // Both paths ran.
      expect(counts.rejected).toBeGreaterThan(10);
      if (surface.name !== 'stations-files') expect(counts.accepted).toBeGreaterThan(0);
    }, 240_000);
});
