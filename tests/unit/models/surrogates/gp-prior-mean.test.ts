import { describe, expect, it } from 'vitest';
import { centralDifference } from '../../../helpers/central-difference.ts';
import { Rng } from '../../../../src/domain/random.ts';
import { fromRows, type Matrix } from '../../../../models/linalg/index.ts';
import { GaussianProcess } from '../../../../models/surrogates/gp.ts';
import { posteriorRows } from '../../../../models/surrogates/gp-batch.ts';
import { fitKernelMean, type MeanBasis } from '../../../../models/surrogates/kernel-mean.ts';

/** The target: a ridge along a = b plus a bump; lower-dimensional than it looks so a 1-D prior explains most of it. */
const truth = (a: number, b: number): number => Math.exp(-8 * (a - b) ** 2) + 0.3 * Math.sin(3 * a);
const rows = (n: number, seed: number): Matrix => {
  const rng = new Rng(seed);
  return fromRows(Array.from({ length: n }, () => Float64Array.of(rng.next(), rng.next())));
};
const values = (X: Matrix, f: (a: number, b: number) => number): number[] => Array.from({ length: X.n }, (_, i) => f(X.data[2 * i] as number, X.data[2 * i + 1] as number));
/** A prior basis: a kernel regression of 400 rows of `f`. */
const basis = (f: (a: number, b: number) => number): MeanBasis => {
  const P = rows(400, 99);
  return fitKernelMean(P, values(P, f));
};

describe('GaussianProcess with a prior mean (ADR 0118)', () => {
  const X = rows(12, 1);
  const y = values(X, truth);

  it('a prior that explains the results gets a clear weight and predicts better where there are no results', () => {
    const right = basis((a, b) => 2 * truth(a, b) + 1);
    const gp = GaussianProcess.fit(X, y, { kernel: 'matern52', seed: 1, priorMean: right });
    const plain = GaussianProcess.fit(X, y, { kernel: 'matern52', seed: 1 });
    expect(gp.hyperparameters.priorWeight).toBeGreaterThan(0.3);
    expect(plain.hyperparameters.priorWeight).toBeUndefined();
    const T = rows(200, 7);
    const t = values(T, truth);
    const rmse = (g: GaussianProcess): number => Math.sqrt(g.predict(T).mean.reduce((s, m, i) => s + (m - (t[i] as number)) ** 2, 0) / T.n);
    expect(rmse(gp)).toBeLessThan(0.7 * rmse(plain));
  });

  it('a misleading prior (unrelated to the results, or upside down) fades to a weight near 0', () => {
    const upsideDown = GaussianProcess.fit(X, y, { kernel: 'matern52', seed: 1, priorMean: basis((a, b) => -truth(a, b)) });
    expect(upsideDown.hyperparameters.priorWeight).toBe(0);
    const unrelated = GaussianProcess.fit(X, y, { kernel: 'matern52', seed: 1, priorMean: basis((a, b) => Math.cos(17 * a) * Math.sin(13 * b)) });
    expect(unrelated.hyperparameters.priorWeight ?? 1).toBeLessThan(0.15);
  });

  it('posterior, batched rows, point gradients and fantasies all include the prior term', () => {
    const gp = GaussianProcess.fit(X, y, { kernel: 'matern52', seed: 1, priorMean: basis((a, b) => truth(a, b)) });
    const Q = rows(5, 3);
    const p = gp.posterior(Q);
    const batch = posteriorRows(gp, Q);
    for (let i = 0; i < Q.n; i++) {
      const x = Q.data.subarray(2 * i, 2 * i + 2);
      const pp = gp.pointPosterior(x, true);
      expect(pp.mean).toBeCloseTo(p.mean[i] as number, 10);
      expect(batch.mean[i]).toBeCloseTo(p.mean[i] as number, 10);
      expect(gp.jointPosterior(fromRows([Float64Array.from(x)])).mean[0]).toBeCloseTo(p.mean[i] as number, 10);
      for (let k = 0; k < 2; k++) expect(pp.dMean?.[k]).toBeCloseTo(centralDifference((v) => gp.pointPosterior(v).mean, x, k), 4);
    }
    // A fantasy at the posterior mean leaves the mean unchanged everywhere.
    const f = gp.fantasize(rows(2, 5));
    const pf = f.posterior(Q);
    for (let i = 0; i < Q.n; i++) expect(pf.mean[i]).toBeCloseTo(p.mean[i] as number, 8);
    // The warm start carries the weight; a fixed-hyper-parameter refit keeps it.
    const fixed = GaussianProcess.fit(X, y, { kernel: 'matern52', warmStart: gp.hyperparameters, fixedHyperparameters: true, priorMean: gp.priorMean as MeanBasis });
    expect(fixed.posterior(Q).mean[0]).toBeCloseTo(p.mean[0] as number, 10);
  });

  it('is deterministic for a seed', () => {
    const b = basis((a, c) => truth(a, c) + 0.2 * a);
    const one = GaussianProcess.fit(X, y, { kernel: 'matern52', seed: 4, priorMean: b });
    const two = GaussianProcess.fit(X, y, { kernel: 'matern52', seed: 4, priorMean: b });
    expect(two.hyperparameters).toEqual(one.hyperparameters);
  });
});
