import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobName } from '../../../../agents/planner/planner.ts';
import { adversarialReply, fuzzOnce } from '../../../helpers/planner-fuzz.ts';

/** A fixed seed and a small count in CI; `npm run bench:planner` runs 10 000 cases. */
const RUNS = 60;

describe('planner fuzz: adversarial model output through every job', () => {
  for (const job of ['draft', 'advise', 'triage', 'report'] as JobName[]) {
    it(`${job}: no crash, no recipe outside the envelope, no broken contract`, async () => {
      const sources = new Set<string>();
      await fc.assert(
        fc.asyncProperty(adversarialReply(job), async (reply) => {
          const outcome = await fuzzOnce(job, reply);
          sources.add(outcome.source);
          expect(outcome).toMatchObject({ crashed: false, outside: 0, broken: 0 });
        }),
        { seed: 20261207, numRuns: RUNS },
      );
      // Some answers survive validation and some fall back: the fuzz reaches both paths.
      expect(sources.has('rules')).toBe(true);
      expect(sources.has('llm')).toBe(true);
    }, 60_000);
  }
});
