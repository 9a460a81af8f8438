import { describe, expect, it } from 'vitest';
import { minimizeLbfgsb } from '../../../../models/optimizers/lbfgsb.ts';

const rosenbrock = (x: Float64Array, g: Float64Array): number => {
  let f = 0;
  g.fill(0);
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i] as number;
    const b = x[i + 1] as number;
    f += 100 * (b - a * a) ** 2 + (1 - a) ** 2;
    g[i] = (g[i] as number) - 400 * a * (b - a * a) - 2 * (1 - a);
    g[i + 1] = (g[i + 1] as number) + 200 * (b - a * a);
  }
  return f;
};

describe('minimizeLbfgsb', () => {
  it('finds the minimum of the 5-D Rosenbrock function', () => {
    const r = minimizeLbfgsb(rosenbrock, [-1.2, 1, -1.2, 1, 0.5], { maxIterations: 500, pgtol: 1e-8, ftol: 0 });
    expect(r.f).toBeLessThan(1e-10);
    for (const v of r.x) expect(v).toBeCloseTo(1, 4);
  });

  it('respects bounds and stops on the bound with an outward gradient', () => {
    // min (x0 − 3)² + (x1 + 2)² + (x0·x1) in [0, 1]×[−1, 1]: optimum on the corner-ish boundary.
    const fg = (x: Float64Array, g: Float64Array): number => {
      const [a, b] = [x[0] as number, x[1] as number];
      g[0] = 2 * (a - 3) + b;
      g[1] = 2 * (b + 2) + a;
      return (a - 3) ** 2 + (b + 2) ** 2 + a * b;
    };
    const r = minimizeLbfgsb(fg, [0.5, 0.5], { lower: [0, -1], upper: [1, 1] });
    expect(r.x[0]).toBe(1);
    expect(r.x[1]).toBe(-1);
    expect(r.converged).toBe(true);
  });

  it('finds an interior minimum of the bounded Rosenbrock function and never leaves the box', () => {
    const seen: number[][] = [];
    const r = minimizeLbfgsb(
      (x, g) => {
        seen.push(Array.from(x));
        return rosenbrock(x, g);
      },
      [0.1, 0.1],
      { lower: [-0.5, -0.5], upper: [0.8, 2], maxIterations: 300 },
    );
    for (const p of seen) {
      expect(p[0]).toBeGreaterThanOrEqual(-0.5);
      expect(p[0]).toBeLessThanOrEqual(0.8);
    }
    // constrained optimum: x0 = 0.8, x1 = 0.64
    expect(r.x[0]).toBeCloseTo(0.8, 6);
    expect(r.x[1]).toBeCloseTo(0.64, 4);
  });

  it('reports a non-finite start instead of iterating', () => {
    const r = minimizeLbfgsb(() => Number.NaN, [0]);
    expect(r.converged).toBe(false);
    expect(r.message).toMatch(/not finite/);
  });
});
