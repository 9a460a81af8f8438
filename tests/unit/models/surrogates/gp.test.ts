import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/random.ts';
import { cholesky, choleskySolve, fromRows, zeros, type Matrix } from '../../../../models/linalg/index.ts';
import { createMllEvaluator } from '../../../../models/surrogates/gp-mll.ts';
import { GaussianProcess, fitGp } from '../../../../models/surrogates/gp.ts';
import { kernelValue } from '../../../../models/surrogates/kernels.ts';

function randomX(n: number, d: number, rng: Rng): Matrix {
  const X = zeros(n, d);
  for (let i = 0; i < X.data.length; i++) X.data[i] = rng.next();
  return X;
}

describe('GaussianProcess posterior', () => {
  it('matches a hand-computed two-point posterior to 1e-12', () => {
    const X = fromRows([[0], [1]]);
    const y = [1, -1]; // standardised: ±1/√2
    const hyper = { kernel: 'rbf' as const, lengthscales: [0.5], outputscale: 1, noise: 0.01, mean: 0 };
    const gp = GaussianProcess.fit(X, y, { warmStart: hyper, fixedHyperparameters: true });
    const z = [1 / Math.SQRT2, -1 / Math.SQRT2];
    const k01 = Math.exp(-0.5 * 4); // r² = (1/0.5)²
    const a = 1.01;
    const det = a * a - k01 * k01;
    const Kinv = [
      [a / det, -k01 / det],
      [-k01 / det, a / det],
    ];
    for (const x of [0.25, 0.5, 0.9, 2]) {
      const k = [Math.exp(-0.5 * (x / 0.5) ** 2), Math.exp(-0.5 * ((x - 1) / 0.5) ** 2)];
      const w = [Kinv[0]![0]! * k[0]! + Kinv[0]![1]! * k[1]!, Kinv[1]![0]! * k[0]! + Kinv[1]![1]! * k[1]!];
      const meanModel = w[0]! * z[0]! + w[1]! * z[1]!;
      const varModel = 1 - (k[0]! * w[0]! + k[1]! * w[1]!);
      const p = gp.pointPosterior([x]);
      expect(p.mean).toBeCloseTo(meanModel, 12);
      expect(p.variance).toBeCloseTo(varModel, 12);
      const pr = gp.predict(fromRows([[x]]));
      expect(pr.mean[0]).toBeCloseTo(meanModel * Math.SQRT2, 12);
      expect(pr.sd[0]).toBeCloseTo(Math.sqrt(varModel) * Math.SQRT2, 12);
    }
  });

  it('joint posterior agrees with the marginal posterior and is symmetric', () => {
    const rng = new Rng(1);
    const X = randomX(20, 3, rng);
    const y = Array.from({ length: 20 }, (_, i) => Math.sin(5 * (X.data[i * 3] as number)) + (X.data[i * 3 + 1] as number));
    const gp = fitGp(X, y, { seed: 1 });
    const Xq = randomX(5, 3, rng);
    const joint = gp.jointPosterior(Xq);
    const marg = gp.posterior(Xq);
    for (let i = 0; i < 5; i++) {
      expect(joint.mean[i]).toBeCloseTo(marg.mean[i] as number, 10);
      expect(joint.cov.data[i * 5 + i]).toBeCloseTo(marg.variance[i] as number, 10);
      for (let j = 0; j < 5; j++) expect(joint.cov.data[i * 5 + j]).toBeCloseTo(joint.cov.data[j * 5 + i] as number, 14);
    }
  });

  it('input gradients of mean and variance match finite differences (RBF and Matérn-5/2)', () => {
    const rng = new Rng(2);
    const X = randomX(15, 4, rng);
    const y = Array.from({ length: 15 }, () => rng.normal());
    for (const kernel of ['rbf', 'matern52'] as const) {
      const gp = fitGp(X, y, { kernel, seed: 2 });
      const x = Float64Array.from({ length: 4 }, () => rng.next());
      const p = gp.pointPosterior(x, true);
      for (let j = 0; j < 4; j++) {
        const h = 1e-6;
        const up = x.slice();
        const dn = x.slice();
        up[j] = (up[j] as number) + h;
        dn[j] = (dn[j] as number) - h;
        const pu = gp.pointPosterior(up);
        const pd = gp.pointPosterior(dn);
        expect(p.dMean![j]).toBeCloseTo((pu.mean - pd.mean) / (2 * h), 6);
        expect(p.dVariance![j]).toBeCloseTo((pu.variance - pd.variance) / (2 * h), 6);
      }
    }
  });

  it('closed-form leave-one-out equals conditioning on the other points (to 1e-9)', () => {
    const rng = new Rng(3);
    const X = randomX(10, 2, rng);
    const y = Array.from({ length: 10 }, (_, i) => Math.cos(3 * (X.data[2 * i] as number)) + 0.1 * rng.normal());
    const gp = fitGp(X, y, { seed: 3 });
    const loo = gp.leaveOneOut();
    const n = 10;
    const K = zeros(n, n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) K.data[a * n + b] = gp.kernel(X.data, 2 * a, X.data, 2 * b) + (a === b ? (gp.noiseModel[a] as number) : 0);
    for (const i of [0, 4, 9]) {
      const idx = Array.from({ length: n }, (_, k) => k).filter((k) => k !== i);
      const Ks = zeros(n - 1, n - 1);
      idx.forEach((a, r) => idx.forEach((b, c) => (Ks.data[r * (n - 1) + c] = K.data[a * n + b] as number)));
      const { L } = cholesky(Ks);
      const c = gp.hyperparameters.mean;
      const alpha = choleskySolve(L, idx.map((k) => (gp.yModel[k] as number) - c));
      const kx = idx.map((k) => K.data[i * n + k] as number);
      const meanModel = c + kx.reduce((s, v, r) => s + v * (alpha[r] as number), 0);
      const v = choleskySolve(L, kx);
      const varModel = (K.data[i * n + i] as number) - kx.reduce((s, val, r) => s + val * (v[r] as number), 0);
      expect(loo.mean[i]).toBeCloseTo(gp.standardizer.backward(meanModel), 9);
      expect(loo.sd[i]).toBeCloseTo(gp.standardizer.backwardSd(Math.sqrt(varModel)), 9);
    }
    expect(loo.observed[2]).toBeCloseTo(y[2] as number, 12);
  });
});

describe('marginal likelihood', () => {
  it('analytic gradient matches central finite differences (learned noise, outputscale, both kernels, ARD, grouped and isotropic lengthscales)', () => {
    const rng = new Rng(4);
    const X = randomX(25, 3, rng);
    const y = Float64Array.from({ length: 25 }, () => rng.normal());
    for (const kernel of ['rbf', 'matern52'] as const) {
      const cases: [boolean, boolean, number[] | undefined][] = [[false, true, undefined], [true, true, undefined], [true, false, undefined], [false, true, [0, 0, 0]], [true, false, [0, 0, 0]], [false, true, [0, 1, 0]]];
      for (const [learnOutputscale, usePriors, groups] of cases) {
        const ev = createMllEvaluator({ X, y, kernel, learnOutputscale, usePriors, groups });
        expect(ev.layout.lengthscales).toBe(groups ? Math.max(...groups) + 1 : 3);
        const theta = Float64Array.from({ length: ev.layout.size }, () => 0.3 * rng.normal());
        const g = new Float64Array(ev.layout.size);
        ev.loss(theta, g);
        for (let k = 0; k < theta.length; k++) {
          const h = 1e-5;
          const up = theta.slice();
          const dn = theta.slice();
          up[k] = (up[k] as number) + h;
          dn[k] = (dn[k] as number) - h;
          const fd = (ev.loss(up) - ev.loss(dn)) / (2 * h);
          expect(Math.abs((g[k] as number) - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
        }
      }
    }
  });

  it('an isotropic fit has one lengthscale for every input and matches the ARD loss at tied lengthscales', () => {
    const rng = new Rng(6);
    const X = randomX(30, 3, rng);
    const y = Float64Array.from({ length: 30 }, (_, i) => Math.sin(4 * (X.data[i * 3] as number)) + 0.5 * (X.data[i * 3 + 1] as number));
    const gp = fitGp(X, y, { kernel: 'matern52', isotropic: true, seed: 1 });
    const ls = gp.hyperparameters.lengthscales;
    expect(ls).toHaveLength(3);
    expect(new Set(ls).size).toBe(1);
    const ard = createMllEvaluator({ X, y: Float64Array.from(y), kernel: 'matern52', learnOutputscale: false, usePriors: false });
    const iso = createMllEvaluator({ X, y: Float64Array.from(y), kernel: 'matern52', learnOutputscale: false, usePriors: false, groups: [0, 0, 0] });
    expect(iso.loss(Float64Array.of(-0.4, 0.1, -3))).toBeCloseTo(ard.loss(Float64Array.of(-0.4, -0.4, -0.4, 0.1, -3)), 12);
    const grouped = fitGp(X, y, { kernel: 'matern52', lengthscaleGroups: [0, 1, 0], seed: 1 }).hyperparameters.lengthscales;
    expect(grouped[0]).toBe(grouped[2]);
    expect(() => fitGp(X, y, { lengthscaleGroups: [0, 2, 0] })).toThrow(/every index/);
    expect(() => fitGp(X, y, { lengthscaleGroups: [0, 1] })).toThrow(/2 entries for 3 inputs/);
  });

  it("isotropic 'auto' keeps the structure that predicts held-out points better: ARD when one input is irrelevant", () => {
    const rng = new Rng(7);
    const X = randomX(40, 3, rng);
    // Depends strongly on x0 only; x1 and x2 are irrelevant, so one shared lengthscale must compromise.
    const y = Float64Array.from({ length: 40 }, (_, i) => Math.sin(9 * (X.data[i * 3] as number)));
    const ard = fitGp(X, y, { kernel: 'matern52', isotropic: false, seed: 1 });
    const iso = fitGp(X, y, { kernel: 'matern52', isotropic: true, seed: 1 });
    const auto = fitGp(X, y, { kernel: 'matern52', isotropic: 'auto', seed: 1 });
    expect(ard.looLogDensity()).toBeGreaterThan(iso.looLogDensity());
    expect(auto.hyperparameters.lengthscales).toEqual(ard.hyperparameters.lengthscales);
    // The LOO log density is the sum of the closed-form LOO predictive densities.
    const loo = ard.leaveOneOut();
    let direct = 0;
    for (let i = 0; i < 40; i++) {
      const z = ((loo.observed[i] as number) - (loo.mean[i] as number)) / (loo.sd[i] as number);
      direct += -0.5 * z * z - Math.log((loo.sd[i] as number) / ard.standardizer.std) - 0.5 * Math.log(2 * Math.PI);
    }
    expect(ard.looLogDensity()).toBeCloseTo(direct, 8);
  });

  it('fixed-noise gradient matches finite differences', () => {
    const rng = new Rng(5);
    const X = randomX(12, 2, rng);
    const y = Float64Array.from({ length: 12 }, () => rng.normal());
    const ev = createMllEvaluator({ X, y, kernel: 'rbf', fixedNoise: new Float64Array(12).fill(0.05), learnOutputscale: false });
    const theta = Float64Array.from({ length: ev.layout.size }, () => 0.2 * rng.normal());
    const g = new Float64Array(ev.layout.size);
    ev.loss(theta, g);
    for (let k = 0; k < theta.length; k++) {
      const up = theta.slice();
      const dn = theta.slice();
      up[k] = (up[k] as number) + 1e-5;
      dn[k] = (dn[k] as number) - 1e-5;
      expect(g[k]).toBeCloseTo((ev.loss(up) - ev.loss(dn)) / 2e-5, 7);
    }
  });
});

describe('GP fitting', () => {
  it('learns a short lengthscale for a relevant input and a long one for an irrelevant input', () => {
    const rng = new Rng(6);
    const X = randomX(40, 2, rng);
    const y = Array.from({ length: 40 }, (_, i) => Math.sin(8 * (X.data[2 * i] as number)));
    const gp = fitGp(X, y, { seed: 6 });
    const [l0, l1] = gp.hyperparameters.lengthscales as [number, number];
    expect(l0).toBeLessThan(0.5);
    expect(l1).toBeGreaterThan(3 * l0);
    expect(gp.hyperparameters.noise).toBeLessThan(0.01);
    const test = fromRows([[0.3, 0.5]]);
    expect(gp.predict(test).mean[0]).toBeCloseTo(Math.sin(2.4), 1);
  });

  it('handles a single observation, duplicates and constant outcomes without NaN', () => {
    const one = fitGp(fromRows([[0.5, 0.5]]), [3.2], { seed: 1 });
    const p1 = one.predict(fromRows([[0.1, 0.9]]));
    expect(Number.isFinite(p1.mean[0])).toBe(true);
    expect(Number.isFinite(p1.sd[0])).toBe(true);
    const dup = fitGp(fromRows([[0.2, 0.2], [0.2, 0.2], [0.2, 0.2], [0.8, 0.1]]), [1, 1.1, 0.9, 2], { seed: 1 });
    expect(Number.isFinite(dup.predict(fromRows([[0.2, 0.2]])).mean[0])).toBe(true);
    const flat = fitGp(fromRows([[0.1], [0.5], [0.9]]), [2, 2, 2], { seed: 1 });
    const pf = flat.predict(fromRows([[0.3]]));
    expect(pf.mean[0]).toBeCloseTo(2, 6);
    expect(Number.isFinite(pf.sd[0])).toBe(true);
  });

  it('warm start reproduces the optimum and is deterministic for a seed', () => {
    const rng = new Rng(7);
    const X = randomX(30, 3, rng);
    const y = Array.from({ length: 30 }, (_, i) => (X.data[3 * i] as number) ** 2 + 0.05 * rng.normal());
    const a = fitGp(X, y, { seed: 9 });
    const b = fitGp(X, y, { seed: 9 });
    expect(b.hyperparameters).toEqual(a.hyperparameters);
    const warm = fitGp(X, y, { seed: 10, warmStart: a.hyperparameters });
    expect(warm.fitLoss).toBeLessThanOrEqual(a.fitLoss + 1e-6);
    expect(kernelValue('matern52', 0)).toBe(1);
  });

  it('uses known replicate noise variances instead of learning the noise', () => {
    const X = fromRows([[0.1], [0.4], [0.6], [0.9]]);
    const y = [1, 2, 1.5, 0.5];
    const quiet = fitGp(X, y, { noiseVariance: [1e-6, 1e-6, 1e-6, 1e-6], seed: 1 });
    const loud = fitGp(X, y, { noiseVariance: [0.5, 0.5, 0.5, 0.5], seed: 1 });
    // Noise is floored at 1e-4 in model space and scaled by the outcome variance.
    expect(quiet.noiseModel[0]).toBeCloseTo(1e-4, 12);
    expect(loud.noiseModel[0]).toBeCloseTo(0.5 / loud.standardizer.std ** 2, 12);
    const at = fromRows([[0.4]]);
    expect(quiet.predict(at).mean[0]).toBeCloseTo(2, 2);
    expect(Math.abs((loud.predict(at).mean[0] as number) - 2)).toBeGreaterThan(0.05);
    expect(() => fitGp(X, y, { noiseVariance: [1, 1, 1] })).toThrow(/one entry per observation/);
    expect(() => fitGp(X, y, { noiseVariance: [1, 1, -1, 1] })).toThrow(/noise variance/);
  });
});

describe('independent multi-output GPs', () => {
  it('fits each output separately and matches single-output fits', async () => {
    const { fitIndependentGps, predictIndependent } = await import('../../../../models/surrogates/multi-output.ts');
    const rng = new Rng(12);
    const X = randomX(20, 2, rng);
    const y1 = Array.from({ length: 20 }, (_, i) => Math.sin(5 * (X.data[2 * i] as number)));
    const y2 = Array.from({ length: 20 }, (_, i) => 100 + 10 * (X.data[2 * i + 1] as number));
    const gps = fitIndependentGps(X, [y1, y2], { seed: 4 });
    expect(gps).toHaveLength(2);
    const single = fitGp(X, y2, { seed: 5 });
    expect(gps[1]!.hyperparameters).toEqual(single.hyperparameters);
    const p = predictIndependent(gps, fromRows([[0.5, 0.5]]));
    expect(p.mean[1]![0]).toBeCloseTo(105, 0);
    expect(p.mean[0]![0]).toBeCloseTo(Math.sin(2.5), 1);
  });
});

describe('fantasies by a block Cholesky append', () => {
  it('match a full refactorisation of the augmented covariance (factor, weights and posterior)', () => {
    const rng = new Rng(21);
    const X = randomX(40, 3, rng);
    const y = Array.from({ length: 40 }, (_, i) => Math.sin(5 * (X.data[3 * i] as number)) + (X.data[3 * i + 1] as number));
    const gp = fitGp(X, y, { seed: 2, kernel: 'matern52' });
    const Xp = randomX(4, 3, rng);
    const f = gp.fantasize(Xp);
    const N = f.n;
    const K = zeros(N, N);
    for (let i = 0; i < N; i++) for (let k = 0; k <= i; k++) K.data[i * N + k] = f.kernel(f.X.data, i * 3, f.X.data, k * 3) + (i === k ? (f.noiseModel[i] as number) : 0);
    const L = cholesky(K).L;
    let maxDiff = 0;
    for (let i = 0; i < N * N; i++) maxDiff = Math.max(maxDiff, Math.abs((L.data[i] as number) - (f.L.data[i] as number)));
    expect(maxDiff).toBeLessThan(1e-8);
    const alpha = choleskySolve(L, Float64Array.from(f.yModel, (v) => v - f.hyperparameters.mean));
    for (let i = 0; i < N; i++) expect(f.alpha[i]).toBeCloseTo(alpha[i] as number, 8);
    // The mean is unchanged; the variance shrinks at the pending points.
    const Xq = randomX(5, 3, rng);
    const before = gp.posterior(Xq);
    const after = f.posterior(Xq);
    for (let i = 0; i < 5; i++) {
      expect(after.mean[i]).toBeCloseTo(before.mean[i] as number, 8);
      expect(after.variance[i] as number).toBeLessThanOrEqual((before.variance[i] as number) + 1e-12);
    }
    expect(f.posterior(Xp).variance[0] as number).toBeLessThan(gp.posterior(Xp).variance[0] as number);
  });
});
