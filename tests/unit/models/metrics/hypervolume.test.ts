import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/random.ts';
import { hypervolume, paretoFront } from '../../../../models/metrics/hypervolume.ts';

/** Brute force: the union volume over the grid of all distinct coordinates. */
function bruteForce(points: number[][], ref: number[]): number {
  const m = ref.length;
  const axes = ref.map((r, k) => [r, ...new Set(points.map((p) => p[k]!).filter((v) => v > r))].sort((a, b) => a - b));
  let total = 0;
  const idx = new Array(m).fill(0);
  const rec = (k: number): void => {
    if (k === m) {
      const lo = idx.map((i, a) => axes[a]![i]!);
      const hi = idx.map((i, a) => axes[a]![i + 1]!);
      const covered = points.some((p) => p.every((v, a) => v >= hi[a]!));
      if (covered) total += hi.reduce((s, h, a) => s * (h - lo[a]!), 1);
      return;
    }
    for (let i = 0; i + 1 < axes[k]!.length; i++) {
      idx[k] = i;
      rec(k + 1);
    }
  };
  rec(0);
  return total;
}

describe('hypervolume', () => {
  it('matches hand-computed values', () => {
    expect(hypervolume([[1, 3], [2, 2], [3, 1]], [0, 0])).toBe(6);
    expect(hypervolume([[1, 1, 1]], [0, 0, 0])).toBe(1);
    expect(hypervolume([[2, 1, 1], [1, 2, 1], [1, 1, 2]], [0, 0, 0])).toBe(4);
    expect(hypervolume([[-1, 5]], [0, 0])).toBe(0);
  });

  it('agrees with brute force on random 2- and 3-objective sets to 1e-12', () => {
    const rng = new Rng(1);
    for (const m of [2, 3]) {
      for (let t = 0; t < 10; t++) {
        const pts = Array.from({ length: 12 }, () => Array.from({ length: m }, () => Math.round(rng.next() * 20) / 20));
        const ref = new Array(m).fill(0.1);
        expect(Math.abs(hypervolume(pts, ref) - bruteForce(pts, ref))).toBeLessThan(1e-12);
      }
    }
  });

  it('finds the Pareto front', () => {
    expect(paretoFront([[1, 3], [2, 2], [1, 1], [3, 1], [2, 2]])).toEqual([0, 1, 3, 4]);
  });
});
