import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/random.ts';
import { fromRows } from '../../../../models/linalg/index.ts';
import { createMllEvaluator } from '../../../../models/surrogates/gp-mll.ts';
import { fitGp } from '../../../../models/surrogates/gp.ts';

const randomX = (n: number, d: number, rng: Rng) => fromRows(Array.from({ length: n }, () => Array.from({ length: d }, () => rng.next())));

describe('stated hyper-parameter priors (ADR 0052)', () => {
  it('the MAP gradient with replaced lengthscale, noise and outputscale priors matches central finite differences', () => {
    const rng = new Rng(11);
    const X = randomX(20, 3, rng);
    const y = Float64Array.from({ length: 20 }, () => rng.normal());
    const priors = { lengthscale: [{ mu: Math.log(0.15), sigma: 0.5 }, undefined], noise: { mu: 2 * Math.log(0.3), sigma: 0.5 }, outputscale: { mu: 0, sigma: 1 } };
    for (const learnOutputscale of [false, true]) {
      const ev = createMllEvaluator({ X, y, kernel: 'matern52', learnOutputscale, groups: [0, 0, 1], priors });
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
  });

  it('a noise prior at the true noise level moves the fitted noise there, where the default prior interpolates', () => {
    const rng = new Rng(3);
    const X = randomX(40, 2, rng);
    // A function with structure at a short scale plus noise of SD 0.3 (model units after standardising ≈ 0.3 / SD(y)).
    const y = Array.from({ length: 40 }, (_, i) => Math.sin(9 * (X.data[2 * i] as number)) + Math.cos(7 * (X.data[2 * i + 1] as number)) + 0.3 * rng.normal());
    const sd = Math.sqrt(y.reduce((s, v) => s + v * v, 0) / y.length - (y.reduce((s, v) => s + v, 0) / y.length) ** 2);
    const f = 0.3 / sd;
    const stated = fitGp(X, y, { kernel: 'matern52', seed: 1, priors: { noise: { mu: 2 * Math.log(f), sigma: 0.25 } } });
    expect(Math.sqrt(stated.hyperparameters.noise)).toBeGreaterThan(0.6 * f);
    expect(Math.sqrt(stated.hyperparameters.noise)).toBeLessThan(1.6 * f);
  });

  it('a learnt outputscale with a prior is fitted (not 1) and a narrow lengthscale prior shortens the lengthscale', () => {
    const rng = new Rng(5);
    const X = randomX(30, 2, rng);
    const y = Array.from({ length: 30 }, (_, i) => 3 * Math.sin(6 * (X.data[2 * i] as number)) + 0.05 * rng.normal());
    const os = fitGp(X, y, { kernel: 'matern52', seed: 2, learnOutputscale: true, priors: { outputscale: { mu: 0, sigma: 1 } } });
    expect(os.hyperparameters.outputscale).not.toBe(1);
    const wide = fitGp(X, y, { kernel: 'matern52', seed: 2, isotropic: true });
    const narrow = fitGp(X, y, { kernel: 'matern52', seed: 2, isotropic: true, priors: { lengthscale: [{ mu: Math.log(0.05), sigma: 0.1 }] } });
    expect(narrow.hyperparameters.lengthscales[0]).toBeLessThan(wide.hyperparameters.lengthscales[0] as number);
    expect(narrow.hyperparameters.lengthscales[0]).toBeLessThan(0.08);
  });
});
