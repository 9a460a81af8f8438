import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/random.ts';
import { zeros } from '../../../../models/linalg/index.ts';
import { createLogEI } from '../../../../models/acquisition/log-ei.ts';
import { feasibilityTerm, outcomeBoundTerm, withLogProbabilities } from '../../../../models/acquisition/constrained.ts';
import { fitFeasibility } from '../../../../models/surrogates/feasibility.ts';
import { fitGp } from '../../../../models/surrogates/gp.ts';

describe('feasibility classifier', () => {
  const rng = new Rng(1);
  const n = 60;
  const X = zeros(n, 2);
  for (let i = 0; i < X.data.length; i++) X.data[i] = rng.next();
  // Recipes fail when x0 > 0.7 (e.g. no film forms).
  const feasible = Array.from({ length: n }, (_, i) => (X.data[2 * i] as number) <= 0.7);
  const model = fitFeasibility(X, feasible, { seed: 1 });

  it('learns where recipes fail', () => {
    expect(Math.exp(model.logProbability([0.2, 0.5]))).toBeGreaterThan(0.8);
    expect(Math.exp(model.logProbability([0.95, 0.5]))).toBeLessThan(0.2);
  });

  it('log-probability gradient matches finite differences', () => {
    for (const x of [[0.65, 0.3], [0.2, 0.8], [0.9, 0.1]]) {
      const g = new Float64Array(2);
      model.logProbability(x, g);
      for (let j = 0; j < 2; j++) {
        const up = x.slice();
        const dn = x.slice();
        up[j]! += 1e-6;
        dn[j]! -= 1e-6;
        const fd = (model.logProbability(up) - model.logProbability(dn)) / 2e-6;
        expect(Math.abs((g[j] as number) - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  it('a failed-region model lowers the acquisition there', () => {
    // Objective rises towards x0 = 1, exactly where recipes fail.
    const good = Array.from({ length: n }, (_, i) => i).filter((i) => feasible[i]);
    const Xg = zeros(good.length, 2);
    good.forEach((i, r) => Xg.data.set(X.data.subarray(2 * i, 2 * i + 2), 2 * r));
    const y = good.map((i) => X.data[2 * i] as number);
    const gp = fitGp(Xg, y, { seed: 2 });
    const plain = createLogEI(gp);
    const constrained = withLogProbabilities(plain, [feasibilityTerm(model)]);
    const inside = Float64Array.from([0.95, 0.5]);
    const safe = Float64Array.from([0.6, 0.5]);
    const penaltyInside = plain.value(inside) - constrained.value(inside);
    const penaltySafe = plain.value(safe) - constrained.value(safe);
    expect(penaltyInside).toBeGreaterThan(1.5);
    expect(penaltySafe).toBeLessThan(0.5);
  });

  it('falls back to the base rate far from the data and handles all-feasible labels', () => {
    const allGood = fitFeasibility(X, new Array(n).fill(true), { seed: 3 });
    expect(Math.exp(allGood.logProbability([0.5, 0.5]))).toBeGreaterThan(0.9);
    const single = fitFeasibility(zeros(1, 2), [false]);
    expect(Number.isFinite(single.logProbability([0.5, 0.5]))).toBe(true);
  });
});

describe('outcome threshold term', () => {
  it('is log Φ((μ − bound)/σ) with a correct gradient', () => {
    const rng = new Rng(4);
    const X = zeros(10, 1);
    for (let i = 0; i < 10; i++) X.data[i] = i / 9;
    const gp = fitGp(X, Array.from({ length: 10 }, (_, i) => Math.sin(3 * (i / 9)) + 0.01 * rng.normal()), { seed: 4 });
    const term = outcomeBoundTerm(gp, 0.2);
    const x = Float64Array.from([0.37]);
    const g = new Float64Array(1);
    const v = term(x, g);
    const up = term(Float64Array.from([0.37 + 1e-6]));
    const dn = term(Float64Array.from([0.37 - 1e-6]));
    expect(g[0]).toBeCloseTo((up - dn) / 2e-6, 5);
    expect(v).toBeLessThanOrEqual(0);
  });
});
