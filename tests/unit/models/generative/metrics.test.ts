import { describe, expect, it } from 'vitest';
import { coverage, nearestDistances, uniqueness, wasserstein1d } from '../../../../models/generative/metrics.ts';

describe('generation metrics', () => {
  it('W1 of two samples: a shift by c costs c; identical samples cost 0; unequal sizes work', () => {
    expect(wasserstein1d([0, 1, 2], [0, 1, 2])).toBeCloseTo(0, 12);
    expect(wasserstein1d([0, 1, 2, 3], [0.5, 1.5, 2.5, 3.5])).toBeCloseTo(0.5, 12);
    expect(wasserstein1d([0, 1], [0, 0, 1, 1])).toBeCloseTo(0, 12);
    expect(wasserstein1d([0], [0, 1])).toBeCloseTo(0.5, 12);
  });

  it('uniqueness, nearest distances and coverage on a known layout', () => {
    // F = 1: generated {0, 0, 0.5}, reference {0, 1}.
    const gen = [0, 0, 0.5];
    const ref = [0, 1];
    expect(uniqueness(gen, 3, 1)).toBeCloseTo(2 / 3, 12);
    expect(Array.from(nearestDistances(gen, 3, ref, 2, 1))).toEqual([0, 0, 0.5]);
    const cov = coverage(gen, 3, ref, 2, 1, 0.1);
    expect(cov.recall).toBeCloseTo(0.5, 12); // 1 has no generated neighbour
    expect(cov.precision).toBeCloseTo(2 / 3, 12); // 0.5 is far from both
  });
});
