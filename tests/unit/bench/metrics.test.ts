import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/domain/random.ts';
import {
  accelerationFactor,
  axScore,
  bootstrapCi,
  censoredMedian,
  efCurve,
  efMax,
  experimentsTo,
  firstCrossing,
  liangAggregate,
  quantile,
  randomMeanExperiments,
  randomMedianExperiments,
  randomReachProbability,
  requiredHits,
  topCurve,
} from '../../../bench/harness/metrics.ts';

describe('Top%, EF and AF', () => {
  const isTop = Uint8Array.from([0, 1, 0, 1, 0, 0, 1, 0, 0, 0]); // N = 10, K = 3
  const order = [0, 3, 5, 1, 2, 6, 4, 7, 8, 9];

  it('counts the top points needed for a level', () => {
    expect(requiredHits(30, 0.8)).toBe(24);
    expect(requiredHits(30, 0.5)).toBe(15);
    expect(requiredHits(107, 0.5)).toBe(54);
    expect(requiredHits(3, 1)).toBe(3);
    expect(requiredHits(20, 0.05)).toBe(1);
  });

  it('Top% curve counts initial points and carries the last value forward', () => {
    const c = topCurve(order.slice(0, 6), isTop, 3, 8);
    expect(Array.from(c)).toEqual([0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1, 1, 1]);
    expect(experimentsTo(order, isTop, 3, 0.5)).toBe(4);
    expect(experimentsTo(order, isTop, 3, 0.8)).toBe(6);
    expect(experimentsTo(order.slice(0, 3), isTop, 3, 0.5)).toBeNull();
    expect(firstCrossing(c, 0.6)).toBe(4);
    expect(firstCrossing(c, 1.01)).toBeNull();
  });

  it('EF = Top%(i)·N/i and AF = a·N/i(a)', () => {
    const c = topCurve(order, isTop, 3);
    const ef = efCurve(c, 10);
    expect(ef[1]).toBeCloseTo((1 / 3) * 10 / 2, 12);
    expect(efMax(c, 10)).toEqual({ value: expect.closeTo(10 / 6, 12), at: 2 });
    expect(accelerationFactor(0.8, 600, 75)).toBeCloseTo(6.4, 12);
    expect(accelerationFactor(0.8, 600, null)).toBeNull();
    // An oracle finds the whole top-5 % set in 0.05·N steps: EF = AF = 20 at most.
    const N = 100;
    const top = Uint8Array.from({ length: N }, (_, i) => (i < 5 ? 1 : 0));
    const oracle = Array.from({ length: N }, (_, i) => i);
    expect(efMax(topCurve(oracle, top, 5), N).value).toBeCloseTo(20, 12);
  });

  it('medians treat never-reached campaigns as censored', () => {
    expect(censoredMedian([10, 20, null])).toBe(20);
    expect(censoredMedian([10, null, null])).toBeNull();
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, Infinity], 0.5)).toBe(Infinity);
  });
});

describe('exact random baseline', () => {
  it('matches brute-force enumeration of every draw order (N = 7, K = 2)', () => {
    const N = 7;
    const K = 2;
    const perms: number[][] = [];
    const permute = (prefix: number[], rest: number[]): void => {
      if (rest.length === 0) perms.push(prefix);
      rest.forEach((v, i) => permute([...prefix, v], [...rest.slice(0, i), ...rest.slice(i + 1)]));
    };
    permute([], Array.from({ length: N }, (_, i) => i));
    const isTop = Uint8Array.from({ length: N }, (_, i) => (i < K ? 1 : 0));
    for (const a of [0.5, 1]) {
      const needed = perms.map((p) => experimentsTo(p, isTop, K, a) as number).sort((x, y) => x - y);
      const lowerMedian = needed[Math.floor((needed.length - 1) / 2)] as number;
      // The smallest i with P(reached by i) ≥ 1/2 is the lower median of the exact distribution.
      expect(randomMedianExperiments(a, N, K)).toBe(lowerMedian);
      expect(randomMeanExperiments(a, N, K)).toBeCloseTo(needed.reduce((s, v) => s + v, 0) / needed.length, 10);
      for (let i = 1; i <= N; i++)
        expect(randomReachProbability(i, requiredHits(K, a), N, K)).toBeCloseTo(needed.filter((v) => v <= i).length / needed.length, 12);
    }
  });

  it('random sampling finds on average i/N of the top set after i draws', () => {
    const N = 60;
    const K = 3;
    const isTop = Uint8Array.from({ length: N }, (_, i) => (i < K ? 1 : 0));
    const rng = new Rng(3);
    const mean = new Float64Array(N);
    const runs = 4000;
    for (let r = 0; r < runs; r++) {
      const c = topCurve(rng.shuffle(Array.from({ length: N }, (_, i) => i)), isTop, K);
      c.forEach((v, i) => (mean[i] = (mean[i] as number) + v / runs));
    }
    for (const i of [6, 15, 30, 45]) expect(mean[i - 1]).toBeCloseTo(i / N, 1);
  });

  it('crossed barrel reference: 24 of 30 among 600 takes 480 draws on the expected curve', () => {
    expect(0.8 * 600).toBe(480);
    const med = randomMedianExperiments(0.8, 600, 30);
    expect(med).toBeGreaterThan(440);
    expect(med).toBeLessThan(480);
  });
});

describe('Liang aggregation', () => {
  it('is the identity for identical curves and uses splits × folds averages', () => {
    const curve = Float64Array.from([0, 0.2, 0.5, 1]);
    const agg = liangAggregate(Array.from({ length: 50 }, () => curve));
    expect(agg.averaged).toHaveLength(50);
    agg.median.forEach((v, i) => expect(v).toBeCloseTo(curve[i] as number, 12));
  });

  it('averages folds of ten campaigns before taking the median', () => {
    // Half the campaigns reach Top% 1 at step 2, half at step 4: every fold average is 0.5 at steps 2–3.
    const fast = Float64Array.from([0, 1, 1, 1]);
    const slow = Float64Array.from([0, 0, 0, 1]);
    const curves = Array.from({ length: 50 }, (_, i) => (i % 2 ? fast : slow));
    const agg = liangAggregate(curves, { seed: 5 });
    for (const avg of agg.averaged) expect(avg[3]).toBe(1);
    expect(agg.median[1]).toBeGreaterThan(0.3);
    expect(agg.median[1]).toBeLessThan(0.7);
    expect(firstCrossing(agg.median, 0.8)).toBe(4);
    expect(Array.from(liangAggregate(curves, { seed: 5 }).median)).toEqual(Array.from(agg.median));
  });
});

describe('Ax-style score and bootstrap', () => {
  it('is 100 at the optimum and 0 at the baseline, for minimisation', () => {
    expect(axScore(0.397887, 10, 0.397887)).toBeCloseTo(100, 10);
    expect(axScore(10, 10, 0.397887)).toBeCloseTo(0, 10);
    expect(axScore(5.2, 10, 0.4)).toBeCloseTo(50, 10);
    expect(axScore(-3.32, -2, -3.32)).toBeCloseTo(100, 10);
  });

  it('gives a reproducible interval around the median', () => {
    const values = Array.from({ length: 50 }, (_, i) => 100 + i);
    const ci = bootstrapCi(values, (s) => quantile(s, 0.5), { seed: 1 });
    expect(ci[0]).toBeLessThanOrEqual(124.5);
    expect(ci[1]).toBeGreaterThanOrEqual(124.5);
    expect(bootstrapCi(values, (s) => quantile(s, 0.5), { seed: 1 })).toEqual(ci);
  });
});
