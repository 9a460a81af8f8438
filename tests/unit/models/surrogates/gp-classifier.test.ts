import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/domain/random.ts';
import { zeros } from '../../../../models/linalg/index.ts';
import { evidenceWorkspace, fitGpClassifier, laplaceEvidence } from '../../../../models/surrogates/gp-classifier.ts';

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
