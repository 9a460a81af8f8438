import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/random.ts';
import { solveLower, solveLowerTranspose, zeros, type Matrix } from '../../../../models/linalg/index.ts';
import { dLogNormCdf, logNormCdf, normQuantile } from '../../../../models/stats/normal.ts';
import { evidenceWorkspace, fitGpClassifier, laplaceEvidence, type GpClassifierHyper } from '../../../../models/surrogates/gp-classifier.ts';

function data(n: number, d: number, seed: number, fail: (x: number[]) => boolean): { X: ReturnType<typeof zeros>; ok: boolean[] } {
  const rng = new Rng(seed);
  const X = zeros(n, d);
  const ok: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: d }, () => rng.next());
    X.data.set(x, i * d);
    ok.push(!fail(x));
  }
  return { X, ok };
}

describe('ARD GP classifier (Laplace)', () => {
  it('evidence gradient matches finite differences', () => {
    const { X, ok } = data(30, 3, 1, (x) => (x[0] as number) + 0.3 * (x[1] as number) > 0.8);
    const t = Float64Array.from(ok, (v) => (v ? 1 : -1));
    const problem = { X, t, m0: 0.4 };
    const theta = Float64Array.of(Math.log(0.4), Math.log(0.9), Math.log(2), Math.log(3));
    const r = laplaceEvidence(problem, theta, true);
    expect(r?.grad).toBeDefined();
    for (let j = 0; j < theta.length; j++) {
      const h = 1e-5;
      const tp = Float64Array.from(theta);
      const tm = Float64Array.from(theta);
      tp[j] = (tp[j] as number) + h;
      tm[j] = (tm[j] as number) - h;
      const fd = ((laplaceEvidence(problem, tp, false)?.logZ as number) - (laplaceEvidence(problem, tm, false)?.logZ as number)) / (2 * h);
      expect(Math.abs((r?.grad?.[j] as number) - fd)).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
    }
  });

  it('a reused workspace gives the same evidence, gradient and mode as fresh buffers, call after call', () => {
    const { X, ok } = data(40, 3, 4, (x) => (x[0] as number) > 0.55);
    const problem = { X, t: Float64Array.from(ok, (v) => (v ? 1 : -1)), m0: 0.2 };
    const ws = evidenceWorkspace(40);
    for (const theta of [Float64Array.of(-1, -0.5, 0, 0.7), Float64Array.of(0.3, -1.2, 0.4, 1.1), Float64Array.of(-1, -0.5, 0, 0.7)]) {
      const fresh = laplaceEvidence(problem, theta, true);
      const reused = laplaceEvidence(problem, theta, true, undefined, ws);
      expect(reused?.logZ).toBe(fresh?.logZ);
      expect(Array.from(reused?.grad ?? [])).toEqual(Array.from(fresh?.grad ?? []));
      expect(Array.from(reused?.mode.L.data ?? [])).toEqual(Array.from(fresh?.mode.L.data ?? []));
      expect(reused?.mode.L).toBe(ws.L);
    }
  });

  it('learns an axis-aligned failure region: relevant inputs get short lengthscales, predictions separate the classes', () => {
    const fail = (x: number[]): boolean => (x[0] as number) > 0.6 && (x[1] as number) > 0.5;
    const { X, ok } = data(80, 5, 2, fail);
    const model = fitGpClassifier(X, ok, { seed: 3 });
    const ls = model.hyper.lengthscales;
    expect(Math.max(ls[0] as number, ls[1] as number)).toBeLessThan(Math.min(ls[2] as number, ls[3] as number, ls[4] as number));
    const test = data(200, 5, 9, fail);
    let correct = 0;
    for (let i = 0; i < 200; i++) {
      const p = Math.exp(model.logProbability(test.X.data.subarray(i * 5, i * 5 + 5)));
      if (p > 0.5 === test.ok[i]) correct++;
    }
    expect(correct / 200).toBeGreaterThan(0.85);
    // Input gradient of log P against finite differences.
    const x = Float64Array.of(0.55, 0.5, 0.3, 0.7, 0.2);
    const g = new Float64Array(5);
    model.logProbability(x, g);
    for (let j = 0; j < 5; j++) {
      const xp = Float64Array.from(x);
      const xm = Float64Array.from(x);
      xp[j] = (xp[j] as number) + 1e-6;
      xm[j] = (xm[j] as number) - 1e-6;
      expect(g[j]).toBeCloseTo((model.logProbability(xp) - model.logProbability(xm)) / 2e-6, 5);
    }
    // Fixed hyper-parameters reproduce the fitted model.
    const again = fitGpClassifier(X, ok, { hyper: model.hyper });
    expect(again.logProbability(x)).toBeCloseTo(model.logProbability(x), 10);
  });
});

/**
 * log P(positive) and its input gradient by the plain formulas (new vectors, `solveLower` / `solveLowerTranspose`),
 * from the Laplace mode at the classifier's hyper-parameters: the reference that `logProbability`'s allocation-free
 * loops must reproduce to the bit.
 */
function referenceLogProbability(X: Matrix, ok: boolean[], hyper: GpClassifierHyper, x: ArrayLike<number>, grad?: Float64Array): number {
  const { n, d } = X;
  const t = Float64Array.from(ok, (v) => (v ? 1 : -1));
  const nPos = ok.filter((v) => v).length;
  const m0 = normQuantile((nPos + 1) / (n + 2)) * Math.SQRT2;
  const theta = Float64Array.from([...hyper.lengthscales.map(Math.log), Math.log(hyper.outputscale)]);
  const fit = laplaceEvidence({ X, t, m0 }, theta, false);
  if (!fit) throw new Error('Laplace approximation failed');
  const { gradLog, sqrtW, L } = fit.mode;
  const ls = theta.subarray(0, d).map(Math.exp);
  const invL2 = ls.map((l) => 1 / (l * l));
  const s2 = Math.exp(theta[d] as number);
  const k = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let r2 = 0;
    for (let j = 0; j < d; j++) r2 += ((x[j] as number) - (X.data[i * d + j] as number)) ** 2 * (invL2[j] as number);
    k[i] = s2 * Math.exp(-0.5 * r2);
  }
  let mean = m0;
  for (let i = 0; i < n; i++) mean += (k[i] as number) * (gradLog[i] as number);
  const v = solveLower(L, Float64Array.from(k, (kv, i) => kv * (sqrtW[i] as number)));
  let vv = 0;
  for (let i = 0; i < n; i++) vv += (v[i] as number) ** 2;
  const variance = Math.max(s2 - vv, 1e-12);
  const denom = Math.sqrt(1 + variance);
  const zeta = mean / denom;
  if (grad) {
    const u = solveLowerTranspose(L, v);
    for (let i = 0; i < n; i++) u[i] = (u[i] as number) * (sqrtW[i] as number);
    grad.fill(0);
    const dMean = new Float64Array(d);
    const dVar = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const gm = (gradLog[i] as number) * (k[i] as number);
      const gv = -2 * (u[i] as number) * (k[i] as number);
      for (let j = 0; j < d; j++) {
        const dk = -((x[j] as number) - (X.data[i * d + j] as number)) * (invL2[j] as number);
        dMean[j] = (dMean[j] as number) + gm * dk;
        dVar[j] = (dVar[j] as number) + gv * dk;
      }
    }
    const dl = dLogNormCdf(zeta);
    for (let j = 0; j < d; j++) grad[j] = dl * ((dMean[j] as number) / denom - (mean * (dVar[j] as number)) / (2 * denom * (1 + variance)));
  }
  return logNormCdf(zeta);
}

/** Object.is on every entry, reporting the first index that differs. */
function expectSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) if (!Object.is(actual[i], expected[i])) expect.fail(`${what}[${i}]: ${actual[i]} !== ${expected[i]}`);
}

describe('logProbability without per-call allocations', () => {
  it('gives bit for bit the values and gradients of the plain formulas, call after call', () => {
    const d = 6;
    const { X, ok } = data(60, d, 11, (x) => (x[0] as number) + (x[3] as number) > 1.1);
    // Hyper-parameters inside the fit's bounds, so the classifier's θ is their logarithm exactly as the reference's.
    const hyper = { lengthscales: [0.3, 0.9, 1.7, 0.45, 2.5, 1.1], outputscale: 2.3 };
    const model = fitGpClassifier(X, ok, { hyper });
    const rng = new Rng(5);
    for (let trial = 0; trial < 200; trial++) {
      // Inside the unit cube, and some points well outside it (tiny kernel values, variance near s²).
      const spread = trial % 4 === 3 ? 4 : 1;
      const x = Float64Array.from({ length: d }, () => spread * rng.next() - (spread - 1) / 2);
      const expectedGrad = new Float64Array(d);
      const expected = referenceLogProbability(X, ok, hyper, x, expectedGrad);
      expectSameBits([model.logProbability(x)], [expected], 'value without grad');
      const grad = new Float64Array(d).fill(NaN);
      expectSameBits([model.logProbability(x, grad)], [expected], 'value with grad');
      expectSameBits(grad, expectedGrad, 'grad');
      // A second call (a number[] query this time) must not see the first call's scratch, nor change its gradient.
      const again = new Float64Array(d);
      expectSameBits([model.logProbability(Array.from(x), again)], [expected], 'repeated value');
      expectSameBits(again, expectedGrad, 'repeated grad');
      expectSameBits(grad, expectedGrad, 'first grad after the repeat');
    }
  });
});
