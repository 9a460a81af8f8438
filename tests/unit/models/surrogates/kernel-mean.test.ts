import { describe, expect, it } from 'vitest';
import { centralDifference } from '../../../helpers/central-difference.ts';
import { fromRows } from '../../../../models/linalg/index.ts';
import { fitKernelMean, medianNearestNeighbour } from '../../../../models/surrogates/kernel-mean.ts';

/** A 11×11 grid on [0, 1]² with y = 3 + 2·(a − b): spacing 0.1, so h = 0.1. */
const grid: Float64Array[] = [];
for (let i = 0; i <= 10; i++) for (let j = 0; j <= 10; j++) grid.push(Float64Array.of(i / 10, j / 10));
const y = grid.map((x) => 3 + 2 * ((x[0] as number) - (x[1] as number)));

describe('fitKernelMean (ADR 0118)', () => {
  it('is standardised within the rows: ordered like y, about 0 on average, and 0 far from every row', () => {
    const m = fitKernelMean(fromRows(grid), y);
    expect(m.d).toBe(2);
    expect(m.value([0.9, 0.1])).toBeGreaterThan(1);
    expect(m.value([0.1, 0.9])).toBeLessThan(-1);
    expect(Math.abs(m.value([0.5, 0.5]))).toBeLessThan(1e-9);
    expect(m.value([5, 5])).toBe(0);
    // The offset of the row in a flat array.
    expect(m.value([9, 9, 0.9, 0.1], 2)).toBe(m.value([0.9, 0.1]));
  });

  it('has the gradient of its value (central differences)', () => {
    const m = fitKernelMean(fromRows(grid), y);
    const x = Float64Array.of(0.33, 0.71);
    const g = new Float64Array(2);
    expect(m.valueAndGradient(x, g)).toBeCloseTo(m.value(x), 12);
    for (let k = 0; k < 2; k++) expect(g[k]).toBeCloseTo(centralDifference((v) => m.value(v), x, k), 5);
  });

  it('bandwidth: the median nearest-neighbour distance, at least 0.1', () => {
    expect(medianNearestNeighbour(fromRows(grid))).toBeCloseTo(0.1, 12);
    expect(medianNearestNeighbour(fromRows([Float64Array.of(0, 0), Float64Array.of(0.5, 0)]))).toBe(0.5);
    expect(medianNearestNeighbour(fromRows([Float64Array.of(0, 0)]))).toBe(0.1);
    expect(() => fitKernelMean(fromRows([Float64Array.of(0, 0)]), [1, 2])).toThrow(RangeError);
  });
});
