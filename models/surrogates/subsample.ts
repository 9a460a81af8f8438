import type { Rng } from '../../src/domain/random.ts';

/**
 * Row indices for a classifier capped at `maxPoints` rows: every row of `keep` (the class that must not be thinned,
 * up to the cap), then a seeded random share of `rest` filling the remaining places; in ascending order.
 */
export function subsampleKeeping(keep: readonly number[], rest: readonly number[], maxPoints: number, rng: Rng): number[] {
  return [...keep.slice(0, maxPoints), ...rng.shuffle([...rest]).slice(0, Math.max(0, maxPoints - keep.length))].sort((a, b) => a - b);
}
