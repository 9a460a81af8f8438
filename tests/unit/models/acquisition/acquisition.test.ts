import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/random.ts';
import { fromRows, zeros, type Matrix } from '../../../../models/linalg/index.ts';
import { createLogEI, createUCB, dLogH, logExpectedImprovement, logH, maxTrainingMean } from '../../../../models/acquisition/log-ei.ts';
import { createQLogNEI } from '../../../../models/acquisition/q-log-nei.ts';
import type { AcquisitionFunction } from '../../../../models/acquisition/types.ts';
import { normCdf, normPdf } from '../../../../models/stats/normal.ts';
import { fitGp } from '../../../../models/surrogates/gp.ts';

function randomX(n: number, d: number, rng: Rng): Matrix {
  const X = zeros(n, d);
  for (let i = 0; i < X.data.length; i++) X.data[i] = rng.next();
  return X;
}

function fdCheck(acq: AcquisitionFunction, x: Float64Array, tol: number): void {
  const g = new Float64Array(x.length);
  const v = acq.value(x, g);
  expect(v).toBeCloseTo(acq.value(x), 12);
  for (let j = 0; j < x.length; j++) {
    const h = 1e-6;
    const up = x.slice();
    const dn = x.slice();
    up[j] = (up[j] as number) + h;
    dn[j] = (dn[j] as number) - h;
    const fd = (acq.value(up) - acq.value(dn)) / (2 * h);
    expect(Math.abs((g[j] as number) - fd)).toBeLessThan(tol * Math.max(1, Math.abs(fd)));
  }
}

describe('LogEI', () => {
  it('equals log(EI) where EI is representable, to 1e-12', () => {
    for (const z of [-10, -5, -2, -1, -0.5, 0, 0.5, 2, 8]) {
      const ei = normPdf(z) + z * normCdf(z);
      expect(logH(z)).toBeCloseTo(Math.log(ei), 12 - Math.max(0, Math.floor(Math.log10(Math.abs(Math.log(ei))))));
      expect(Math.abs(logH(z) - Math.log(ei)) / Math.abs(Math.log(ei))).toBeLessThan(1e-12);
    }
    expect(logExpectedImprovement(1, 2, 0.5)).toBeCloseTo(Math.log(2 * (normPdf(0.25) + 0.25 * normCdf(0.25))), 14);
  });

  it('stays finite and follows the asymptote −z²/2 − log√(2π) − 2 log|z| far in the tail', () => {
    for (const z of [-40, -1e3, -1e6, -1e10]) {
      const v = logH(z);
      expect(Number.isFinite(v)).toBe(true);
      // h(z) = φ(z)/z²·(1 − 3/z² + O(z⁻⁴)) as z → −∞
      const asym = -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - 2 * Math.log(-z) + Math.log1p(-3 / (z * z));
      expect(Math.abs(v - asym) / Math.abs(asym)).toBeLessThan(1e-6);
    }
    // Continuity across the branch points.
    expect(logH(-1 - 1e-12)).toBeCloseTo(logH(-1 + 1e-12), 9);
    const zb = -1 / Math.sqrt(Number.EPSILON);
    expect(Math.abs(logH(zb * (1 + 1e-12)) - logH(zb * (1 - 1e-12))) / Math.abs(logH(zb))).toBeLessThan(1e-9);
  });

  it('d log h/dz matches finite differences in the body and the tail', () => {
    for (const z of [-30, -3, -1.1, -0.9, 0, 3]) {
      const h = 1e-6 * Math.max(1, Math.abs(z));
      const fd = (logH(z + h) - logH(z - h)) / (2 * h);
      expect(Math.abs(dLogH(z) - fd) / Math.abs(fd)).toBeLessThan(1e-6);
    }
  });

  it('GP LogEI and UCB gradients match finite differences', () => {
    const rng = new Rng(1);
    const X = randomX(20, 3, rng);
    const y = Array.from({ length: 20 }, (_, i) => Math.sin(4 * (X.data[3 * i] as number)) + (X.data[3 * i + 2] as number));
    const gp = fitGp(X, y, { seed: 1 });
    for (let t = 0; t < 3; t++) {
      const x = Float64Array.from({ length: 3 }, () => rng.next());
      fdCheck(createLogEI(gp), x, 1e-5);
      fdCheck(createUCB(gp), x, 1e-5);
    }
  });
});

describe('qLogNEI', () => {
  const rng = new Rng(2);
  const X = randomX(15, 2, rng);
  const y = Array.from({ length: 15 }, (_, i) => -(((X.data[2 * i] as number) - 0.3) ** 2) - ((X.data[2 * i + 1] as number) - 0.6) ** 2 + 0.01 * rng.normal());
  const gp = fitGp(X, y, { seed: 2 });

  it('at q = 1 with a fixed incumbent converges to analytic LogEI (QMC error ≤ 5e-5 at 65 536 samples)', () => {
    const best = maxTrainingMean(gp);
    const a = createLogEI(gp, { best });
    const coarse = createQLogNEI(gp, { bestF: best, samples: 4096, seed: 3 });
    const fine = createQLogNEI(gp, { bestF: best, samples: 65536, seed: 3 });
    // Points where EI is not negligible (the fat tail deliberately departs from EI where no sample improves).
    for (const x of [[0.3, 0.6], [0.5, 0.5], [0.2, 0.8], [0.35, 0.3]]) {
      const xv = Float64Array.from(x);
      const ei = Math.exp(a.value(xv));
      const errCoarse = Math.abs(Math.exp(coarse.value(xv)) - ei) / ei;
      const errFine = Math.abs(Math.exp(fine.value(xv)) - ei) / ei;
      expect(errCoarse).toBeLessThan(5e-4);
      expect(errFine).toBeLessThan(5e-5);
    }
  });

  it('at q = 1 with a fixed incumbent, EI from 2^18 QMC samples equals analytic EI to 1e-6 (standardised units)', () => {
    const best = maxTrainingMean(gp);
    const a = createLogEI(gp, { best });
    const q = createQLogNEI(gp, { bestF: best, samples: 1 << 18, seed: 3 });
    for (const x of [[0.3, 0.6], [0.5, 0.5], [0.2, 0.8], [0.35, 0.3]]) {
      const xv = Float64Array.from(x);
      const ei = Math.exp(a.value(xv));
      expect(ei).toBeGreaterThan(0.01);
      expect(Math.abs(Math.exp(q.value(xv)) - ei)).toBeLessThan(1e-6);
    }
  });

  it('analytic gradient matches finite differences, with and without pending points', () => {
    const pending = fromRows([[0.3, 0.62], [0.7, 0.2]]);
    for (const acq of [createQLogNEI(gp, { seed: 4 }), createQLogNEI(gp, { seed: 4, pending })]) {
      for (let t = 0; t < 3; t++) fdCheck(acq, Float64Array.from({ length: 2 }, () => rng.next()), 1e-4);
    }
  });

  it('a pending point at the optimum moves the maximiser away from it', () => {
    const argmax = (acq: AcquisitionFunction): number[] => {
      let best = [0, 0];
      let bestV = -Infinity;
      for (let i = 0; i <= 30; i++)
        for (let j = 0; j <= 30; j++) {
          const v = acq.value(Float64Array.from([i / 30, j / 30]));
          if (v > bestV) [bestV, best] = [v, [i / 30, j / 30]];
        }
      return best;
    };
    const free = argmax(createQLogNEI(gp, { seed: 5, samples: 128 }));
    const acqP = createQLogNEI(gp, { seed: 5, samples: 128, pending: fromRows([free]) });
    const withPending = argmax(acqP);
    expect(Math.hypot(withPending[0]! - free[0]!, withPending[1]! - free[1]!)).toBeGreaterThan(0.03);
    // The joint value of {x} ∪ P is never below that of P alone (reached at x = P, up to the smooth-max temperature).
    const floor = acqP.value(Float64Array.from(free));
    for (let t = 0; t < 20; t++) expect(acqP.value(Float64Array.from([rng.next(), rng.next()]))).toBeGreaterThan(floor - 0.02);
  });

  it('is deterministic for a seed', () => {
    const x = Float64Array.from([0.4, 0.4]);
    expect(createQLogNEI(gp, { seed: 9 }).value(x)).toBe(createQLogNEI(gp, { seed: 9 }).value(x));
  });
});

describe('batched evaluation', () => {
  it('evaluateBatch equals value() row by row for LogEI, UCB, qLogNEI (with pending) and constrained wrappers', async () => {
    const { withLogProbabilities, outcomeBoundTerm } = await import('../../../../models/acquisition/constrained.ts');
    const rng = new Rng(11);
    const X = randomX(40, 3, rng);
    const y = Array.from({ length: 40 }, (_, i) => Math.sin(4 * (X.data[3 * i] as number)) - (X.data[3 * i + 1] as number) ** 2 + 0.02 * rng.normal());
    const gp = fitGp(X, y, { seed: 11 });
    const Q = randomX(300, 3, rng);
    const acqs = [
      createLogEI(gp),
      createUCB(gp),
      createQLogNEI(gp, { seed: 1, samples: 64 }),
      createQLogNEI(gp, { seed: 1, samples: 64, pending: randomX(2, 3, rng) }),
      withLogProbabilities(createLogEI(gp), [outcomeBoundTerm(gp, 0)]),
    ];
    for (const acq of acqs) {
      const batch = acq.evaluateBatch!(Q);
      for (let r = 0; r < Q.n; r += 17) {
        const v = acq.value(Q.data.subarray(3 * r, 3 * r + 3));
        expect(Math.abs((batch[r] as number) - v)).toBeLessThan(1e-9 * Math.max(1, Math.abs(v)));
      }
    }
  });
});

describe('UCB with pending fantasies (GP-BUCB)', () => {
  const rng = new Rng(5);
  const X = randomX(12, 2, rng);
  const y = Array.from({ length: 12 }, (_, i) => Math.sin(3 * (X.data[2 * i] as number)) + (X.data[2 * i + 1] as number) ** 2);
  const gp = fitGp(X, y, { seed: 5, kernel: 'matern52' });

  it('keeps the posterior mean, collapses the variance at the pending point and reduces it nearby', () => {
    const pending = fromRows([[0.5, 0.5]]);
    const f = gp.fantasize(pending);
    for (const x of [[0.5, 0.5], [0.55, 0.5], [0.1, 0.9]]) {
      const before = gp.pointPosterior(Float64Array.from(x));
      const after = f.pointPosterior(Float64Array.from(x));
      expect(after.mean).toBeCloseTo(before.mean, 9);
      expect(after.variance).toBeLessThanOrEqual(before.variance + 1e-12);
    }
    expect(f.pointPosterior(Float64Array.from([0.5, 0.5])).variance).toBeLessThan(2 * f.hyperparameters.noise);
    expect(f.hyperparameters).toEqual(gp.hyperparameters);
    expect(gp.fantasize(zeros(0, 2))).toBe(gp);
  });

  it('a pending point at the UCB maximiser moves the next maximiser away', () => {
    const grid: number[][] = [];
    for (let i = 0; i <= 20; i++) for (let j = 0; j <= 20; j++) grid.push([i / 20, j / 20]);
    const argmax = (acq: AcquisitionFunction): number[] => {
      let best = grid[0] as number[];
      let bv = -Infinity;
      for (const x of grid) {
        const v = acq.value(Float64Array.from(x));
        if (v > bv) [bv, best] = [v, x];
      }
      return best;
    };
    const first = argmax(createUCB(gp));
    const second = argmax(createUCB(gp.fantasize(fromRows([first]))));
    expect(Math.hypot((second[0] as number) - (first[0] as number), (second[1] as number) - (first[1] as number))).toBeGreaterThan(0.05);
  });
});

