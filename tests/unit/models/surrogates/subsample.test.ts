import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/random.ts';
import { subsampleKeeping } from '../../../../models/surrogates/subsample.ts';

describe('subsampleKeeping (the row cap of the feasibility classifiers)', () => {
  const keep = [3, 10, 17];
  const rest = Array.from({ length: 40 }, (_, i) => i).filter((i) => !keep.includes(i));

  it('keeps every row of the protected class and fills the cap with a seeded share of the rest, in ascending order', () => {
    const a = subsampleKeeping(keep, rest, 10, new Rng(5));
    expect(a).toHaveLength(10);
    for (const k of keep) expect(a).toContain(k);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(new Set(a).size).toBe(10);
    expect(subsampleKeeping(keep, rest, 10, new Rng(5))).toEqual(a);
    expect(rest).toHaveLength(37); // the caller's array is not shuffled
  });

  it('caps the protected class itself when it alone exceeds the cap', () => {
    expect(subsampleKeeping([1, 2, 3, 4], [5, 6], 3, new Rng(1))).toEqual([1, 2, 3]);
  });
});
