import { describe, expect, it } from 'vitest';
import { replayAlarms, replayInjected, replayTrials } from '../../../bench/lab/batch-replay.ts';
import type { LabTrialRecord } from '../../../bench/lab/metrics.ts';

/** Two stations alternating, 24 trials each, η10 = prediction ± 4 mV; the first 4 trials have no prediction. */
function trials(): LabTrialRecord[] {
  return Array.from({ length: 48 }, (_, index) => ({
    index,
    status: 'completed',
    recipe: {},
    measured: 0.3 + (index % 4 < 2 ? 0.004 : -0.004),
    truth: 0.3,
    proposer: index < 4 ? 'sobol' : 'bo',
    failureCode: null,
    station: index % 2 ? 'pair2' : 'pair1',
    attempts: 0,
    ...(index >= 4 ? { predicted: { mean: 0.3, sd: 0.01 } } : {}),
  }));
}

describe('batch-check replay on recorded runs (ADR 0061)', () => {
  it('keeps completed trials with a prediction in campaign order, raises nothing on clean ones, finds an injected shift on the right station', () => {
    const t = replayTrials([...trials(), { ...trials()[5]!, index: 60, status: 'failed', measured: null }].reverse());
    expect(t).toHaveLength(44);
    expect(t.map((x) => x.index)).toEqual([...t.map((x) => x.index)].sort((a, b) => a - b));
    expect(replayAlarms(t, {})).toEqual([]);
    const found = replayInjected(t, 'pair1', 8, 0.05, {});
    expect(found?.wrong).toBe(false);
    expect(found?.delay).toBeGreaterThanOrEqual(1);
    expect(found?.delay).toBeLessThanOrEqual(8);
    // Below the 15 mV floor nothing is worth an alarm, however regular.
    expect(replayInjected(t, 'pair1', 8, 0.01, {})).toEqual({ delay: null, wrong: false });
    expect(replayInjected(t, 'pair1', 30, 0.05, {})).toBeUndefined();
  });
});
