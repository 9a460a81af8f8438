import { cholesky, solveLower, solveLowerTranspose, zeros } from '../linalg/index.ts';
import type { Matrix } from '../linalg/index.ts';
import { dLogNormCdf, logNormCdf } from '../stats/normal.ts';

/**
 * The Laplace approximation of a GP classifier with probit likelihood (Rasmussen & Williams, algorithm 3.1): Newton
 * iterations for the mode of p(f̃ | t), f = m0 + f̃, f̃ ~ GP(0, K), t_i = ±1, with B = I + W½KW½ factored once per
 * step (b = W f̃ + ∇log p, a = b − W½ B⁻¹ W½ K b, f̃ = K a). Shared by the isotropic feasibility model
 * (feasibility.ts) and the ARD classifier per failure code (gp-classifier.ts).
 */
export interface LaplaceMode {
  /** Latent values at the mode, without the prior mean m0. */
  fT: Float64Array;
  /** a = K⁻¹ f̃ at the mode (from the last Newton step). */
  a: Float64Array;
  /** ∇ log p(t | f) at the mode (equal to `a` at convergence). */
  gradLog: Float64Array;
  /** W½ at the mode. */
  sqrtW: Float64Array;
  /** ∂³ log p / ∂f³ at the mode (for the evidence gradient). */
  d3: Float64Array;
  /** Cholesky factor of B = I + W½ K W½ at the mode. */
  L: Matrix;
  /** Approximate log evidence: −½ aᵀf̃ + Σ log Φ(t_i f_i) − ½ log |B|. */
  logZ: number;
}

export interface LaplaceOptions {
  /** Newton steps at most (default 50). */
  maxIterations?: number;
  /** Halve a step (up to 8 times) when it does not increase the objective (default false). */
  damped?: boolean;
  /** Latent values f̃ to start from (length n; default 0). */
  start?: Float64Array;
  /**
   * n×n buffers for B and its factor, reused across calls (a hyper-parameter fit evaluates the mode hundreds of times);
   * the returned `L` is then the workspace's and is overwritten by the next call with the same workspace.
   */
  workspace?: { B: Matrix; L: Matrix };
}

/** Probit log-likelihood derivatives at latent f for label t = ±1: d1 = ∂/∂f, w = −∂²/∂f², d3 = ∂³/∂f³. */
export function probit(t: number, f: number): { d1: number; w: number; d3: number } {
  const z = t * f;
  const r = dLogNormCdf(z); // φ(z)/Φ(z)
  const d1 = t * r;
  const w = r * (r + z);
  const d3 = t * (r * (2 * r + z) * (z + r) - r);
  return { d1, w, d3 };
}

/** The mode and its Laplace quantities, or undefined when B cannot be factorised. K is n×n (both triangles). */
export function laplaceMode(K: Matrix, t: Float64Array, m0: number, opts: LaplaceOptions = {}): LaplaceMode | undefined {
  const n = t.length;
  let fT: Float64Array = opts.start && opts.start.length === n ? Float64Array.from(opts.start) : new Float64Array(n);
  const sqrtW = new Float64Array(n);
  const gradLog = new Float64Array(n);
  const d3 = new Float64Array(n);
  const B = opts.workspace?.B ?? zeros(n, n);
  // One buffer for the factor of every Newton step: only the latest factor is read.
  const L = opts.workspace?.L ?? zeros(n, n);
  let a = new Float64Array(n);
  /** Sets W½, ∇log p and ∇³log p at `fT` and factors B; false when B is not positive definite. */
  const factorAt = (): boolean => {
    for (let i = 0; i < n; i++) {
      const q = probit(t[i] as number, m0 + (fT[i] as number));
      gradLog[i] = q.d1;
      sqrtW[i] = Math.sqrt(Math.max(q.w, 1e-12));
      d3[i] = q.d3;
    }
    for (let i = 0; i < n; i++)
      for (let k = 0; k <= i; k++) B.data[i * n + k] = (i === k ? 1 : 0) + (sqrtW[i] as number) * (K.data[i * n + k] as number) * (sqrtW[k] as number);
    try {
      cholesky(B, {}, L);
      return true;
    } catch {
      return false;
    }
  };
  const matK = (v: Float64Array): Float64Array => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += (K.data[i * n + k] as number) * (v[k] as number);
      out[i] = s;
    }
    return out;
  };
  const psiOf = (aa: Float64Array, ff: Float64Array): number => {
    let psi = 0;
    for (let i = 0; i < n; i++) psi += -0.5 * (aa[i] as number) * (ff[i] as number) + logNormCdf((t[i] as number) * (m0 + (ff[i] as number)));
    return psi;
  };
  let psiOld = -Infinity;
  const maxIterations = opts.maxIterations ?? 50;
  for (let iter = 0; iter < maxIterations; iter++) {
    if (!factorAt()) return undefined;
    const b = Float64Array.from(fT, (v, i) => (sqrtW[i] as number) ** 2 * v + (gradLog[i] as number));
    const Kb = matK(b).map((v, i) => v * (sqrtW[i] as number));
    const c = solveLowerTranspose(L, solveLower(L, Kb));
    let aNew = Float64Array.from(b, (v, i) => v - (sqrtW[i] as number) * (c[i] as number));
    let fNew = matK(aNew);
    let psi = psiOf(aNew, fNew);
    if (opts.damped)
      for (let h = 0; h < 8 && psi < psiOld - 1e-12; h++) {
        aNew = Float64Array.from(aNew, (v, i) => 0.5 * (v + (a[i] as number)));
        fNew = matK(aNew);
        psi = psiOf(aNew, fNew);
      }
    a = aNew;
    fT = fNew;
    if (Math.abs(psi - psiOld) < 1e-10 * Math.max(1, Math.abs(psi))) break;
    psiOld = psi;
  }
  // W, the gradient and the factor at the mode.
  if (!factorAt()) return undefined;
  let logZ = 0;
  for (let i = 0; i < n; i++) logZ += -0.5 * (a[i] as number) * (fT[i] as number) + logNormCdf((t[i] as number) * (m0 + (fT[i] as number))) - Math.log(L.data[i * n + i] as number);
  return { fT, a, gradLog, sqrtW, d3, L, logZ };
}
