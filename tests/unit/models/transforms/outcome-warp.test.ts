import { describe, expect, it } from 'vitest';
import { AUTO_WARP_SKEWNESS, resolveWarp, skewness, warpOutcomes } from '../../../../models/transforms/outcome.ts';
import { normQuantile } from '../../../../models/stats/normal.ts';

describe('outcome warps', () => {
  it('copula: normal scores of the ranks, ties sharing their mean rank; invariant to monotone changes', () => {
    const w = warpOutcomes([3, 1, 2, 2], 'copula');
    // Ranks 4, 1, 2.5, 2.5 of n = 4 → Φ⁻¹((r − ½)/4).
    expect(Array.from(w)).toEqual([3.5, 0.5, 2, 2].map((r) => normQuantile(r / 4)));
    const y = [0.1, 5, -3, 2.2, 7.5];
    expect(Array.from(warpOutcomes(y.map((v) => Math.exp(v)), 'copula'))).toEqual(Array.from(warpOutcomes(y, 'copula')));
  });

  it('log: log(y − min + 1e-3·range), order kept', () => {
    const w = warpOutcomes([1, 11, 3], 'log');
    expect(w[0]).toBeCloseTo(Math.log(0.01), 12);
    expect(w[1]).toBeCloseTo(Math.log(10.01), 12);
    expect(warpOutcomes([2], 'log')[0]).toBe(2);
  });

  it('skewness matches the population formula; degenerate inputs give 0', () => {
    // y = 0, 0, 0, 4: mean 1, m2 = 3, m3 = 6 → 6 / 3^1.5.
    expect(skewness([0, 0, 0, 4])).toBeCloseTo(6 / 3 ** 1.5, 12);
    expect(skewness([1, 2])).toBe(0);
    expect(skewness([5, 5, 5])).toBe(0);
  });

  it('auto warps a long tail of poor results (left skew), not a long tail of good ones', () => {
    const badTail = [0, -0.01, -0.02, -0.03, -0.05, -0.04, -0.9, -0.6]; // maximised: a few very poor results
    const goodTail = badTail.map((v) => -v);
    expect(skewness(badTail)).toBeLessThan(AUTO_WARP_SKEWNESS);
    expect(resolveWarp(badTail, 'auto')).toBe('copula');
    expect(resolveWarp(goodTail, 'auto')).toBe('none');
    expect(Array.from(warpOutcomes(badTail, 'auto'))).toEqual(Array.from(warpOutcomes(badTail, 'copula')));
    expect(Array.from(warpOutcomes(goodTail, 'auto'))).toEqual(goodTail);
    expect(resolveWarp(goodTail, 'copula')).toBe('copula');
  });
});
