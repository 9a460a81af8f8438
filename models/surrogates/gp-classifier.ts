import { Rng } from '../../src/domain/random.ts';
import { axpyRange, inverseFromCholesky, selectRows, zeros } from '../linalg/index.ts';
import type { Matrix } from '../linalg/index.ts';
import { minimizeLbfgsb } from '../optimizers/lbfgsb.ts';
import { forwardSolveMatrix, forwardSquaredNorm, lowerFactor } from '../linalg/lower-factor.ts';
import { kernelColumn, scaledRow, scaleRows } from './gp-batch.ts';
import { dLogNormCdf, logNormCdf, normQuantile } from '../stats/normal.ts';
import { laplaceMode } from './laplace.ts';
import { subsampleKeeping } from './subsample.ts';
import { lengthscalePrior, logNormalDLogPdfDLogV, logNormalLogPdf, type LogNormal } from './priors.ts';

/**
 * Binary Gaussian-process classifier with an ARD RBF kernel (one lengthscale per input and an outputscale), probit
 * likelihood and the Laplace approximation (Rasmussen & Williams, algorithms 3.1, 3.2 and 5.1). The latent prior mean
 * is a constant m0 = Φ⁻¹(smoothed positive rate)·√2, so far from the data the probability returns to the base rate.
 * Hyper-parameters are fitted by maximising the approximate log evidence plus log priors (lengthscales: the
 * dimension-scaled LogNormal of the regression GP; outputscale LogNormal(ln 2, 1)), with its analytic gradient, by
 * bounded L-BFGS — or given (`hyper`), e.g. reused from an earlier round.
 *
 * X: n×d, inputs roughly in the unit cube; `positive[i]` the class of row i (true = +1).
 */
export interface GpClassifierHyper {
  lengthscales: number[];
  outputscale: number;
}

export interface GpClassifier {
  /** log P(positive) at x (length d); writes ∂/∂x into `grad` when given. */
  logProbability(x: ArrayLike<number>, grad?: Float64Array): number;
  /** log P(positive) at every row of X (m×d), fused per row without allocations (models/surrogates/gp-batch.ts); same values as `logProbability`. */
  logProbabilityBatch(X: Matrix): Float64Array;
  readonly hyper: GpClassifierHyper;
  /** Approximate log evidence at `hyper`. */
  readonly logEvidence: number;
  readonly n: number;
}

export interface GpClassifierOptions {
  /** Use these hyper-parameters instead of fitting. */
  hyper?: GpClassifierHyper;
  /** Start the fit from these hyper-parameters (besides the prior's). */
  warmStart?: GpClassifierHyper;
  /** Train on at most this many rows (every positive... every row of the rarer class kept; default 300). */
  maxPoints?: number;
  /** L-BFGS iterations of the hyper-parameter fit (default 50). */
  maxIterations?: number;
  seed?: number;
}

const LOG_LS_MIN = Math.log(0.03);
const LOG_LS_MAX = Math.log(30);
const LOG_S2_MIN = Math.log(0.1);
const LOG_S2_MAX = Math.log(30);
export const OUTPUTSCALE_PRIOR: LogNormal = { mu: Math.log(2), sigma: 1 };

interface Problem {
  X: Matrix;
  t: Float64Array;
  m0: number;
}

export interface EvidenceResult {
  logZ: number;
  /** ∂ log Z / ∂θ, θ = [log ℓ_1 … log ℓ_d, log s²] (when requested). */
  grad?: Float64Array;
  /** Laplace quantities at the mode, for predictions. */
  mode: { fT: Float64Array; gradLog: Float64Array; sqrtW: Float64Array; L: Matrix };
}

/**
 * The n×n buffers of one evaluation of the evidence and its gradient. A hyper-parameter fit evaluates it a few hundred
 * times at the same n; reusing one workspace keeps those blocks (≈ 0.7 MB each at n = 300) from churning the
 * allocator's heap (issue 14's memory, ADR 0117).
 */
export interface EvidenceWorkspace {
  K: Matrix;
  B: Matrix;
  L: Matrix;
  inverseWork: Matrix;
  Binv: Matrix;
  R: Matrix;
  WK: Matrix;
  C: Matrix;
  dK: Float64Array;
}

export function evidenceWorkspace(n: number): EvidenceWorkspace {
  const m = (): Matrix => zeros(n, n);
  return { K: m(), B: m(), L: m(), inverseWork: m(), Binv: m(), R: m(), WK: m(), C: m(), dK: new Float64Array(n * n) };
}

/** RBF kernel matrix s²·exp(−½ Σ_j (x_ij − x_kj)²/ℓ_j²), written into `out` when given. */
function kernelMatrix(X: Matrix, invL2: Float64Array, s2: number, out?: Matrix): Matrix {
  const { n, d } = X;
  const K = out ?? zeros(n, n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k <= i; k++) {
      let r2 = 0;
      for (let j = 0; j < d; j++) r2 += ((X.data[i * d + j] as number) - (X.data[k * d + j] as number)) ** 2 * (invL2[j] as number);
      const v = s2 * Math.exp(-0.5 * r2);
      K.data[i * n + k] = v;
      K.data[k * n + i] = v;
    }
  return K;
}

/**
 * Laplace approximation at θ: Newton iterations for the mode of p(f̃ | t) (f = m0 + f̃, f̃ ~ GP(0, K)), the
 * approximate log evidence and, when asked, its gradient (R&W algorithm 5.1). With a workspace the result's `mode.L`
 * is the workspace's and the next call with it overwrites it.
 */
export function laplaceEvidence(p: Problem, theta: ArrayLike<number>, withGrad: boolean, start?: Float64Array, ws?: EvidenceWorkspace): EvidenceResult | undefined {
  const { X, t, m0 } = p;
  const { n, d } = X;
  const invL2 = Float64Array.from({ length: d }, (_, j) => Math.exp(-2 * (theta[j] as number)));
  const s2 = Math.exp(theta[d] as number);
  const K = kernelMatrix(X, invL2, s2, ws?.K);
  const lm = laplaceMode(K, t, m0, { maxIterations: 60, damped: true, ...(start ? { start } : {}), ...(ws ? { workspace: ws } : {}) });
  if (!lm) return undefined;
  const { fT, gradLog, sqrtW, d3, L, logZ } = lm;
  const mode = { fT, gradLog, sqrtW, L };
  if (!withGrad) return { logZ, mode };

  // R = W½ B⁻¹ W½; C = L⁻¹ W½ K; s2v = ∂log q/∂f̂ = ½ (diag K − diag CᵀC) ∘ ∇³ log p (−½ log|B| depends on f̂
  // through W = −∇∇ log p, so ∂W/∂f̂ = −∇³ log p: the sign is +, as the finite-difference test confirms).
  const Binv = inverseFromCholesky(L, ws?.inverseWork, ws?.Binv);
  const R = ws?.R ?? zeros(n, n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) R.data[i * n + k] = (sqrtW[i] as number) * (Binv.data[i * n + k] as number) * (sqrtW[k] as number);
  const WK = ws?.WK ?? zeros(n, n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) WK.data[i * n + k] = (sqrtW[i] as number) * (K.data[i * n + k] as number);
  const C = forwardSolveMatrix(lowerFactor(L), WK, ws?.C);
  const s2v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let cc = 0;
    for (let k = 0; k < n; k++) cc += (C.data[k * n + i] as number) ** 2;
    s2v[i] = 0.5 * ((K.data[i * n + i] as number) - cc) * (d3[i] as number);
  }
  // The gradient uses a = ∇log p at the mode (equal to K⁻¹f̃ there).
  const grad = new Float64Array(d + 1);
  const dK = ws?.dK ?? new Float64Array(n * n);
  for (let j = 0; j <= d; j++) {
    if (j < d) {
      for (let i = 0; i < n; i++)
        for (let k = 0; k < n; k++) {
          const diff = (X.data[i * d + j] as number) - (X.data[k * d + j] as number);
          dK[i * n + k] = (K.data[i * n + k] as number) * diff * diff * (invL2[j] as number);
        }
    } else dK.set(K.data);
    let aCa = 0;
    let trRC = 0;
    const bvec = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const v = dK[i * n + k] as number;
        s += v * (gradLog[k] as number);
        trRC += (R.data[i * n + k] as number) * v;
      }
      bvec[i] = s;
      aCa += (gradLog[i] as number) * s;
    }
    const s1 = 0.5 * aCa - 0.5 * trRC;
    const Rb = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += (R.data[i * n + k] as number) * (bvec[k] as number);
      Rb[i] = s;
    }
    let s23 = 0;
    for (let i = 0; i < n; i++) {
      let kRb = 0;
      for (let k = 0; k < n; k++) kRb += (K.data[i * n + k] as number) * (Rb[k] as number);
      s23 += (s2v[i] as number) * ((bvec[i] as number) - kRb);
    }
    grad[j] = s1 + s23;
  }
  return { logZ, grad, mode };
}

/**
 * Solves Lᵀ·x = b in place (x holds b on entry) for a lower-triangular n×n L: the loop of `solveLowerTranspose` on
 * a factor without appended rows, so the same operations in the same order, without its result allocation.
 */
function backSolveInPlace(L: Matrix, x: Float64Array): void {
  const n = L.n;
  const l = L.data;
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    const xi = (x[i] as number) / (l[ri + i] as number);
    x[i] = xi;
    axpyRange(x, 0, -xi, l, ri, i);
  }
}

export function fitGpClassifier(X: Matrix, positive: ArrayLike<boolean>, opts: GpClassifierOptions = {}): GpClassifier {
  if (X.n !== positive.length) throw new RangeError('one label per row is needed');
  if (X.n === 0) throw new RangeError('a classifier needs observations');
  const rng = new Rng(opts.seed ?? 0);
  let idx = Array.from({ length: X.n }, (_, i) => i);
  const maxPoints = opts.maxPoints ?? 300;
  if (idx.length > maxPoints) {
    const pos = idx.filter((i) => positive[i]);
    const neg = idx.filter((i) => !positive[i]);
    const [rare, common] = pos.length <= neg.length ? [pos, neg] : [neg, pos];
    idx = subsampleKeeping(rare, common, maxPoints, rng);
  }
  const Xt = selectRows(X, idx);
  const t = Float64Array.from(idx, (i) => (positive[i] ? 1 : -1));
  const n = Xt.n;
  const d = Xt.d;
  const nPos = t.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
  const m0 = normQuantile((nPos + 1) / (n + 2)) * Math.SQRT2;
  const problem: Problem = { X: Xt, t, m0 };
  const lsPrior = lengthscalePrior(d);
  const toTheta = (h: GpClassifierHyper): Float64Array =>
    Float64Array.from({ length: d + 1 }, (_, j) =>
      j < d ? Math.min(LOG_LS_MAX, Math.max(LOG_LS_MIN, Math.log(h.lengthscales[j] ?? 1))) : Math.min(LOG_S2_MAX, Math.max(LOG_S2_MIN, Math.log(h.outputscale))),
    );
  const fromTheta = (th: ArrayLike<number>): GpClassifierHyper => ({
    lengthscales: Array.from({ length: d }, (_, j) => Math.exp(th[j] as number)),
    outputscale: Math.exp(th[d] as number),
  });

  let theta: Float64Array;
  if (opts.hyper) theta = toTheta(opts.hyper);
  else {
    let warmF: Float64Array | undefined;
    const ws = evidenceWorkspace(n);
    const loss = (th: Float64Array, g?: Float64Array): number => {
      const r = laplaceEvidence(problem, th, g !== undefined, warmF, ws);
      if (!r) return Infinity;
      warmF = r.mode.fT;
      let f = -r.logZ;
      for (let j = 0; j < d; j++) f -= logNormalLogPdf(lsPrior, Math.exp(th[j] as number));
      f -= logNormalLogPdf(OUTPUTSCALE_PRIOR, Math.exp(th[d] as number));
      if (g && r.grad) {
        for (let j = 0; j < d; j++) g[j] = -(r.grad[j] as number) - logNormalDLogPdfDLogV(lsPrior, Math.exp(th[j] as number));
        g[d] = -(r.grad[d] as number) - logNormalDLogPdfDLogV(OUTPUTSCALE_PRIOR, Math.exp(th[d] as number));
      }
      return f;
    };
    const starts: Float64Array[] = [];
    if (opts.warmStart && opts.warmStart.lengthscales.length === d) starts.push(toTheta(opts.warmStart));
    // Moderate lengthscales (≈ 0.3·√d) and outputscale 2; then one random draw around it.
    starts.push(toTheta({ lengthscales: new Array(d).fill(0.3 * Math.sqrt(d)), outputscale: 2 }));
    starts.push(toTheta({ lengthscales: Array.from({ length: d }, () => 0.3 * Math.sqrt(d) * Math.exp(0.7 * rng.normal())), outputscale: 2 }));
    const lower = Float64Array.from({ length: d + 1 }, (_, j) => (j < d ? LOG_LS_MIN : LOG_S2_MIN));
    const upper = Float64Array.from({ length: d + 1 }, (_, j) => (j < d ? LOG_LS_MAX : LOG_S2_MAX));
    const screened = starts.map((s) => ({ s, f: loss(s) })).filter((e) => Number.isFinite(e.f)).sort((a, b) => a.f - b.f);
    let best: { x: Float64Array; f: number } | undefined;
    for (const st of screened.slice(0, opts.warmStart ? 1 : 2)) {
      warmF = undefined;
      const res = minimizeLbfgsb(loss, st.s, { lower, upper, maxIterations: opts.maxIterations ?? 50, pgtol: 1e-4, ftol: 1e-8 });
      if (Number.isFinite(res.f) && (!best || res.f < best.f)) best = { x: res.x, f: res.f };
    }
    theta = best ? best.x : (screened[0]?.s ?? toTheta({ lengthscales: new Array(d).fill(Math.sqrt(d)), outputscale: 1 }));
  }
  const fit = laplaceEvidence(problem, theta, false);
  if (!fit) throw new Error('GP classifier: Laplace approximation failed');
  const hyper = fromTheta(theta);
  const invL2 = Float64Array.from(hyper.lengthscales, (l) => 1 / (l * l));
  const s2 = hyper.outputscale;
  const { gradLog, sqrtW, L } = fit.mode;
  // Scratch of `logProbability`, owned by this classifier: only numbers and the caller's `grad` leave a call, so no
  // result aliases them.
  const factor = lowerFactor(L);
  const query = new Float64Array(d);
  const k = new Float64Array(n);
  const sqrtWk = new Float64Array(n);
  const v = new Float64Array(n);
  const u = new Float64Array(n);
  const meanSlope = new Float64Array(n);
  const varianceSlope = new Float64Array(n);

  return {
    hyper,
    logEvidence: fit.logZ,
    n,
    logProbability(x, grad) {
      // The acquisition optimiser calls this at every L-BFGS step through its feasibility term, so it writes into the
      // scratch vectors above instead of allocating. The arithmetic is that of the plain formulas (solveLower,
      // solveLowerTranspose, term by term in the same order), so values and gradients are unchanged to the bit.
      // x copied once, so the inner loops read one array type whatever the caller passes.
      for (let j = 0; j < d; j++) query[j] = x[j] as number;
      let mean = m0;
      for (let i = 0; i < n; i++) {
        const row = i * d;
        let r2 = 0;
        for (let j = 0; j < d; j++) {
          // diff * diff has the bits of diff ** 2 (V8's pow squares by one multiplication; checked on 2·10⁷ random pairs).
          const diff = (query[j] as number) - (Xt.data[row + j] as number);
          r2 += diff * diff * (invL2[j] as number);
        }
        const ki = s2 * Math.exp(-0.5 * r2);
        k[i] = ki;
        mean += ki * (gradLog[i] as number);
        sqrtWk[i] = ki * (sqrtW[i] as number);
      }
      // v = L⁻¹ W½ k (left in `v` for the gradient), vv = ‖v‖².
      const vv = forwardSquaredNorm(factor, sqrtWk, v);
      const variance = Math.max(s2 - vv, 1e-12);
      const denom = Math.sqrt(1 + variance);
      const zeta = mean / denom;
      const value = logNormCdf(zeta);
      if (grad) {
        // u = W½ L⁻ᵀ v.
        u.set(v);
        backSolveInPlace(L, u);
        grad.fill(0);
        for (let i = 0; i < n; i++) {
          const ui = (u[i] as number) * (sqrtW[i] as number);
          meanSlope[i] = (gradLog[i] as number) * (k[i] as number);
          varianceSlope[i] = -2 * ui * (k[i] as number);
        }
        const dl = dLogNormCdf(zeta);
        const varianceScale = 2 * denom * (1 + variance);
        // ∂k_i/∂x_j = −k_i (x_j − X_ij)/ℓ_j². Input by input, so the two sums stay in registers; each is still added up
        // over i = 0 … n − 1 from 0, the order of the row-by-row loop it replaces.
        for (let j = 0; j < d; j++) {
          const xj = query[j] as number;
          const invL2j = invL2[j] as number;
          let dMean = 0;
          let dVar = 0;
          for (let i = 0; i < n; i++) {
            const dk = -(xj - (Xt.data[i * d + j] as number)) * invL2j;
            dMean += (meanSlope[i] as number) * dk;
            dVar += (varianceSlope[i] as number) * dk;
          }
          grad[j] = dl * (dMean / denom - (mean * dVar) / varianceScale);
        }
      }
      return value;
    },
    logProbabilityBatch(Xq) {
      const out = new Float64Array(Xq.n);
      const k = new Float64Array(n);
      const wk = new Float64Array(n);
      const v = new Float64Array(n);
      const w = invL2.map(Math.sqrt);
      const Xs = scaleRows(Xt.data, n, invL2);
      const q = new Float64Array(d);
      const Lf = lowerFactor(L);
      for (let r = 0; r < Xq.n; r++) {
        scaledRow(Xq, r, w, q);
        kernelColumn('rbf', s2, d, Xs, n, q, k);
        let mean = m0;
        for (let i = 0; i < n; i++) {
          mean += (k[i] as number) * (gradLog[i] as number);
          wk[i] = (k[i] as number) * (sqrtW[i] as number);
        }
        const variance = Math.max(s2 - forwardSquaredNorm(Lf, wk, v), 1e-12);
        out[r] = logNormCdf(mean / Math.sqrt(1 + variance));
      }
      return out;
    },
  };
}
