/**
 * Bounded limited-memory BFGS (projected L-BFGS with an active set), for small smooth problems: GP
 * hyper-parameters (d + 2 variables) and acquisition functions (≤ a few dozen variables).
 *
 * Each iteration fixes the variables that sit on a bound with the gradient pushing outwards, builds the L-BFGS
 * direction on the free variables (two-loop recursion), and backtracks along the projected path
 * x(t) = P(x + t·d) until the Armijo condition holds. Curvature pairs with sᵀy ≤ 0 are skipped, so the inverse-Hessian
 * approximation stays positive definite. See docs/decisions/0010-bounded-lbfgs.md for why this is ours.
 */

/** Objective: returns f(x) and writes ∇f(x) into `grad` (same length as x). */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsbOptions {
  lower?: ArrayLike<number>;
  upper?: ArrayLike<number>;
  /** Maximum iterations (default 100). */
  maxIterations?: number;
  /** Maximum objective evaluations (default 4 × maxIterations). */
  maxEvaluations?: number;
  /** Number of stored curvature pairs (default 10). */
  memory?: number;
  /** Stop when the projected gradient's largest entry falls below this (default 1e-5). */
  pgtol?: number;
  /** Stop when the relative decrease of f in one iteration falls below this (default 1e-10). */
  ftol?: number;
}

export interface LbfgsbResult {
  x: Float64Array;
  f: number;
  grad: Float64Array;
  iterations: number;
  evaluations: number;
  converged: boolean;
  message: string;
}

export function minimizeLbfgsb(fg: ObjectiveWithGradient, x0: ArrayLike<number>, opts: LbfgsbOptions = {}): LbfgsbResult {
  const n = x0.length;
  const lower = Float64Array.from({ length: n }, (_, i) => (opts.lower?.[i] as number | undefined) ?? -Infinity);
  const upper = Float64Array.from({ length: n }, (_, i) => (opts.upper?.[i] as number | undefined) ?? Infinity);
  const maxIter = opts.maxIterations ?? 100;
  const maxEval = opts.maxEvaluations ?? 4 * maxIter;
  const m = opts.memory ?? 10;
  const pgtol = opts.pgtol ?? 1e-5;
  const ftol = opts.ftol ?? 1e-10;

  const project = (v: Float64Array): void => {
    for (let i = 0; i < n; i++) v[i] = Math.min(upper[i] as number, Math.max(lower[i] as number, v[i] as number));
  };
  let x = Float64Array.from(x0);
  project(x);
  let g = new Float64Array(n);
  let f = fg(x, g);
  let evaluations = 1;
  if (!Number.isFinite(f)) return { x, f, grad: g, iterations: 0, evaluations, converged: false, message: 'objective not finite at the start point' };

  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const free = new Uint8Array(n);
  const d = new Float64Array(n);
  const xt = new Float64Array(n);
  let gt = new Float64Array(n);
  const alpha = new Float64Array(m);

  let iterations = 0;
  for (; iterations < maxIter; iterations++) {
    let pgMax = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i] as number;
      const atLower = (x[i] as number) <= (lower[i] as number) && gi > 0;
      const atUpper = (x[i] as number) >= (upper[i] as number) && gi < 0;
      free[i] = atLower || atUpper ? 0 : 1;
      if (free[i]) pgMax = Math.max(pgMax, Math.abs(gi));
    }
    if (pgMax < pgtol) return { x, f, grad: g, iterations, evaluations, converged: true, message: 'projected gradient below tolerance' };

    // Two-loop recursion on the free variables.
    for (let i = 0; i < n; i++) d[i] = free[i] ? (g[i] as number) : 0;
    const k = S.length;
    for (let j = k - 1; j >= 0; j--) {
      const s = S[j] as Float64Array;
      const y = Y[j] as Float64Array;
      let a = 0;
      for (let i = 0; i < n; i++) if (free[i]) a += (s[i] as number) * (d[i] as number);
      a *= rho[j] as number;
      alpha[j] = a;
      for (let i = 0; i < n; i++) if (free[i]) d[i] = (d[i] as number) - a * (y[i] as number);
    }
    if (k > 0) {
      const s = S[k - 1] as Float64Array;
      const y = Y[k - 1] as Float64Array;
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < n; i++) {
        sy += (s[i] as number) * (y[i] as number);
        yy += (y[i] as number) ** 2;
      }
      const gamma = yy > 0 ? sy / yy : 1;
      for (let i = 0; i < n; i++) d[i] = (d[i] as number) * gamma;
    }
    for (let j = 0; j < k; j++) {
      const s = S[j] as Float64Array;
      const y = Y[j] as Float64Array;
      let b = 0;
      for (let i = 0; i < n; i++) if (free[i]) b += (y[i] as number) * (d[i] as number);
      b *= rho[j] as number;
      const c = (alpha[j] as number) - b;
      for (let i = 0; i < n; i++) if (free[i]) d[i] = (d[i] as number) + c * (s[i] as number);
    }
    let gd = 0;
    let dNorm = 0;
    for (let i = 0; i < n; i++) {
      d[i] = free[i] ? -(d[i] as number) : 0;
      gd += (g[i] as number) * (d[i] as number);
      dNorm = Math.max(dNorm, Math.abs(d[i] as number));
    }
    if (!(gd < 0) || !Number.isFinite(gd)) {
      // Not a descent direction: forget the curvature pairs and use steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      gd = 0;
      dNorm = 0;
      for (let i = 0; i < n; i++) {
        d[i] = free[i] ? -(g[i] as number) : 0;
        gd += (g[i] as number) * (d[i] as number);
        dNorm = Math.max(dNorm, Math.abs(d[i] as number));
      }
    }

    // Backtracking Armijo search along the projected path.
    let t = S.length === 0 ? Math.min(1, 1 / Math.max(dNorm, 1e-300)) : 1;
    let ft = NaN;
    let accepted = false;
    for (let ls = 0; ls < 40 && evaluations < maxEval; ls++) {
      let decrease = 0;
      for (let i = 0; i < n; i++) xt[i] = (x[i] as number) + t * (d[i] as number);
      project(xt);
      for (let i = 0; i < n; i++) decrease += (g[i] as number) * ((xt[i] as number) - (x[i] as number));
      ft = fg(xt, gt);
      evaluations++;
      if (Number.isFinite(ft) && ft <= f + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      t *= Number.isFinite(ft) ? 0.5 : 0.1;
    }
    if (!accepted) {
      if (S.length > 0) {
        S.length = 0;
        Y.length = 0;
        rho.length = 0;
        continue;
      }
      return { x, f, grad: g, iterations, evaluations, converged: false, message: 'line search failed' };
    }

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = (xt[i] as number) - (x[i] as number);
      y[i] = (gt[i] as number) - (g[i] as number);
      sy += (s[i] as number) * (y[i] as number);
      yy += (y[i] as number) ** 2;
    }
    if (sy > 1e-10 * yy && sy > 0) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const fPrev = f;
    x = Float64Array.from(xt);
    const tmp = g;
    g = gt;
    gt = tmp;
    f = ft;
    if (fPrev - f <= ftol * Math.max(Math.abs(fPrev), Math.abs(f), 1)) {
      return { x, f, grad: g, iterations: iterations + 1, evaluations, converged: true, message: 'relative decrease below ftol' };
    }
    if (evaluations >= maxEval) break;
  }
  return { x, f, grad: g, iterations, evaluations, converged: false, message: 'iteration or evaluation limit reached' };
}
