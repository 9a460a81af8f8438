import { describe, expect, it } from 'vitest';
import { augmentedChebyshev, randomSimplexWeights } from '../../../../models/transforms/scalarise.ts';
import { Rng } from '../../../../src/domain/random.ts';

describe('ParEGO scalarisation', () => {
  it('draws weights on the simplex, reproducibly per seed', () => {
    const a = new Rng(3);
    const b = new Rng(3);
    for (let k = 0; k < 50; k++) {
      const w = randomSimplexWeights(3, () => a.next());
      expect(w.every((v) => v >= 0)).toBe(true);
      expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
      expect(randomSimplexWeights(3, () => b.next())).toEqual(w);
    }
    expect(() => randomSimplexWeights(0, Math.random)).toThrow(/at least one objective/);
  });

  it('computes min_k w_k v_k + ρ Σ w_k v_k on min–max normalised objectives', () => {
    // Objective 1 spans [0, 10], objective 2 spans [1, 3].
    const s = augmentedChebyshev([[0, 10, 5], [3, 1, 2]], [0.25, 0.75], 0.05);
    // Row 0: v = (0, 1): min(0, 0.75) + 0.05·0.75; row 1: v = (1, 0): 0 + 0.05·0.25; row 2: v = (0.5, 0.5).
    expect(s[0]).toBeCloseTo(0.0375, 12);
    expect(s[1]).toBeCloseTo(0.0125, 12);
    expect(s[2]).toBeCloseTo(0.125 + 0.05 * 0.5, 12);
  });

  it('counts a constant objective as 0.5 and rejects mismatched shapes', () => {
    expect(augmentedChebyshev([[2, 2], [0, 1]], [0.5, 0.5], 0)).toEqual([0, 0.25]);
    expect(() => augmentedChebyshev([[1, 2], [1]], [0.5, 0.5])).toThrow(/every objective/);
    expect(() => augmentedChebyshev([[1, 2]], [0.5, 0.5])).toThrow(/2 weights for 1 objectives/);
  });
});
