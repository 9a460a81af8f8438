import { Rng } from '../../src/domain/random.ts';
import { cholesky, selectRows, solveLower, solveLowerMatrix, solveLowerTranspose, solveLowerTransposeMatrix, vstack, zeros } from '../linalg/index.ts';
import type { Matrix } from '../linalg/index.ts';
import { sobolNormal } from '../sobol.ts';
import type { GaussianProcess } from '../surrogates/gp.ts';
import { kernelDerivR2 } from '../surrogates/kernels.ts';
import type { AcquisitionFunction } from './types.ts';

/**
 * qLogNEI by quasi-Monte Carlo, for one new point x evaluated jointly with the pending points P (sequential greedy
 * batches pass the batch members chosen so far as pending):
 *
 *   a(x) = log mean_s fatplus_τ( smax_τmax(f_x^s, max_p f_P^s) − max_b f_B^s )
 *
 * where B is the (pruned) set of observed inputs (or a fixed incumbent `bestF`, giving qLogEI), and the joint samples
 * come from fixed quasi-random base samples: f_S^s = μ_S + L_S·z_S^s for S = B ∪ P, then
 * f_x^s = μ_x + aᵀz_S^s + σ_c·z_x^s with a = L_S⁻¹·cov(S, x) and σ_c² = var(x) − |a|² (exact conditional sampling,
 * so samples of S are shared across all x and the value is smooth in x). Gradients are analytic.
 *
 * fatplus_τ(t) = τ·(softplus(t/τ) + α/(1 + (t/τ)²)) keeps a heavy (polynomial) tail so that log-values and their
 * gradients stay informative where every sample shows no improvement.
 */
export interface QLogNeiOptions {
  /** Pending / already chosen points (p×d GP features). */
  pending?: Matrix;
  /** Quasi-MC samples (default 256). */
  samples?: number;
  /** Fixed incumbent in model space (qLogEI); otherwise noisy baseline from the training inputs. */
  bestF?: number;
  /** Largest baseline set after pruning (default 24). */
  maxBaseline?: number;
  tauRelu?: number;
  tauMax?: number;
  seed?: number;
}

const FAT_ALPHA = 0.1;

function logFatplus(t: number): { v: number; d: number } {
  // log(softplus(t) + α/(1+t²)) and its derivative in t.
  const sp = t > 30 ? t : t < -700 ? 0 : Math.log1p(Math.exp(t));
  const sig = t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
  const c = FAT_ALPHA / (1 + t * t);
  const f = sp + c;
  const df = sig - (2 * FAT_ALPHA * t) / ((1 + t * t) * (1 + t * t));
  return { v: Math.log(f), d: df / f };
}

/** Training inputs most likely to be the best: top posterior means, then those that win at least one joint sample. */
export function selectBaseline(gp: GaussianProcess, maxBaseline: number, rng: Rng): Matrix {
  const n = gp.n;
  const means = Array.from({ length: n }, (_, i) => ({ i, m: (gp.yModel[i] as number) - (gp.noiseModel[i] as number) * (gp.alpha[i] as number) }));
  means.sort((a, b) => b.m - a.m);
  const pre = means.slice(0, Math.min(n, 2 * maxBaseline)).map((e) => e.i);
  const Xpre = selectRows(gp.X, pre);
  if (pre.length <= maxBaseline) return Xpre;
  const { mean, cov } = gp.jointPosterior(Xpre);
  const m = pre.length;
  const { L } = cholesky(cov, { maxRelativeJitter: 1e-2 });
  const wins = new Float64Array(m);
  const f = new Float64Array(m);
  for (let s = 0; s < 256; s++) {
    const z = Float64Array.from({ length: m }, () => rng.normal());
    let best = 0;
    for (let a = 0; a < m; a++) {
      let v = mean[a] as number;
      for (let b = 0; b <= a; b++) v += (L.data[a * m + b] as number) * (z[b] as number);
      f[a] = v;
      if (v > (f[best] as number)) best = a;
    }
    wins[best] = (wins[best] as number) + 1;
  }
  const order = Array.from({ length: m }, (_, a) => a)
    .filter((a) => (wins[a] as number) > 0)
    .sort((a, b) => (wins[b] as number) - (wins[a] as number) || a - b)
    .slice(0, maxBaseline);
  return selectRows(Xpre, order);
}

export function createQLogNEI(gp: GaussianProcess, opts: QLogNeiOptions = {}): AcquisitionFunction {
  const d = gp.d;
  const n = gp.n;
  const rng = new Rng(opts.seed ?? 0);
  const M = opts.samples ?? 256;
  const tauRelu = opts.tauRelu ?? 1e-6;
  const tauMax = opts.tauMax ?? 1e-2;
  const pending = opts.pending ?? zeros(0, d);
  const baseline = opts.bestF !== undefined ? zeros(0, d) : selectBaseline(gp, opts.maxBaseline ?? 24, rng.fork('baseline'));
  const S = vstack([baseline, pending], d);
  const nB = baseline.n;
  const m = S.n;

  // Joint posterior of S and the matrices needed for cross-covariances with a new x.
  const Z = sobolNormal(M, m + 1, rng.fork('base-samples'));
  let LS = zeros(0, 0);
  const G = zeros(n, m); // K⁻¹ k(X, S)
  const bestS = new Float64Array(M); // max over baseline samples (or bestF)
  const pendS = new Float64Array(M).fill(-Infinity); // max over pending samples
  const zS = zeros(M, m);
  const zx = new Float64Array(M);
  for (let s = 0; s < M; s++) {
    for (let a = 0; a < m; a++) zS.data[s * m + a] = Z.data[s * (m + 1) + a] as number;
    zx[s] = Z.data[s * (m + 1) + m] as number;
  }
  if (m > 0) {
    const joint = gp.jointPosterior(S);
    LS = cholesky(joint.cov, { maxRelativeJitter: 1e-2 }).L;
    const KS = zeros(n, m);
    for (let i = 0; i < n; i++) for (let l = 0; l < m; l++) KS.data[i * m + l] = gp.kernel(gp.X.data, i * d, S.data, l * d);
    G.data.set(solveLowerTransposeMatrix(gp.L, solveLowerMatrix(gp.L, KS)).data);
    for (let s = 0; s < M; s++) {
      let best = -Infinity;
      let pend = -Infinity;
      for (let a = 0; a < m; a++) {
        let v = joint.mean[a] as number;
        for (let b = 0; b <= a; b++) v += (LS.data[a * m + b] as number) * (zS.data[s * m + b] as number);
        if (a < nB) best = Math.max(best, v);
        else pend = Math.max(pend, v);
      }
      bestS[s] = best;
      pendS[s] = pend;
    }
  }
  if (opts.bestF !== undefined) bestS.fill(opts.bestF);
  else if (nB === 0) bestS.fill(-Infinity);

  const logU = new Float64Array(M);
  const dLogU = new Float64Array(M);
  const c = new Float64Array(m);
  const zeta = new Float64Array(m);
  const invL2 = gp.inverseSquaredLengthscales;
  const logTauRelu = Math.log(tauRelu);

  /** Sample loop for a point with posterior (mean, variance) and cross-covariance c with S; fills logU/dLogU. */
  const sampleValue = (mean: number, variance: number): { value: number; a: Float64Array; sdC: number; varC: number; maxLog: number; sum: number } => {
    const a = m > 0 ? solveLower(LS, c) : c;
    let aa = 0;
    for (let l = 0; l < m; l++) aa += (a[l] as number) ** 2;
    const varC = Math.max(variance - aa, 1e-12);
    const sdC = Math.sqrt(varC);
    let maxLog = -Infinity;
    for (let s = 0; s < M; s++) {
      let f = mean + sdC * (zx[s] as number);
      const off = s * m;
      for (let l = 0; l < m; l++) f += (a[l] as number) * (zS.data[off + l] as number);
      const b = bestS[s] as number;
      const pe = pendS[s] as number;
      // Smooth max of (f, pending max) with temperature tauMax; wf is the weight of f in it.
      let imp: number;
      let wf = 1;
      if (pe === -Infinity) imp = f - b;
      else {
        const hi = Math.max(f, pe);
        const ef = Math.exp((f - hi) / tauMax);
        const ep = Math.exp((pe - hi) / tauMax);
        imp = hi + tauMax * Math.log(ef + ep) - b;
        wf = ef / (ef + ep);
      }
      if (b === -Infinity) imp = f; // nothing observed: no baseline
      const lf = logFatplus(imp / tauRelu);
      logU[s] = logTauRelu + lf.v;
      dLogU[s] = (lf.d / tauRelu) * wf;
      if ((logU[s] as number) > maxLog) maxLog = logU[s] as number;
    }
    let sum = 0;
    for (let s = 0; s < M; s++) sum += Math.exp((logU[s] as number) - maxLog);
    return { value: maxLog + Math.log(sum / M), a, sdC, varC, maxLog, sum };
  };

  return {
    name: opts.bestF !== undefined ? 'qLogEI' : 'qLogNEI',
    value(x, grad) {
      const withGrad = grad !== undefined;
      const p = gp.pointPosterior(x, withGrad);
      // Cross-covariance with S: c = k(x, S) − k(X, x)ᵀ·G.
      const k = p.k ?? gp.crossCovariance(x);
      for (let l = 0; l < m; l++) {
        let v = gp.kernel(x, 0, S.data, l * d);
        for (let i = 0; i < n; i++) v -= (k[i] as number) * (G.data[i * m + l] as number);
        c[l] = v;
      }
      const { value, a, sdC, varC, maxLog, sum } = sampleValue(p.mean, p.variance);
      if (!withGrad || !p.dMean || !p.dVariance || !p.kd) return value;

      // ω_s = ∂value/∂f_x^s; gradient = Σω·dμ + dcᵀ(L_S⁻ᵀζ) + dσ_c·Σ ω_s z_x^s, ζ = Σ_s ω_s z_S^s.
      let sumW = 0;
      let sumWz = 0;
      zeta.fill(0);
      for (let s = 0; s < M; s++) {
        const w = (Math.exp((logU[s] as number) - maxLog) / sum) * (dLogU[s] as number);
        sumW += w;
        sumWz += w * (zx[s] as number);
        for (let l = 0; l < m; l++) zeta[l] = (zeta[l] as number) + w * (zS.data[s * m + l] as number);
      }
      const xi = m > 0 ? solveLowerTranspose(LS, zeta) : zeta;
      const aT = m > 0 ? solveLowerTranspose(LS, a) : a;
      // dc_j = ∂k(x,S)/∂x_j − Σ_i ∂k(X_i,x)/∂x_j · G_i·
      const dcXi = new Float64Array(d); // dc_jᵀ ξ
      const dcA = new Float64Array(d); // dc_jᵀ (L_S⁻ᵀ a)
      if (m > 0) {
        const kdS = new Float64Array(m);
        for (let l = 0; l < m; l++) {
          let r2 = 0;
          for (let j = 0; j < d; j++) r2 += ((x[j] as number) - (S.data[l * d + j] as number)) ** 2 * (invL2[j] as number);
          kdS[l] = gp.hyperparameters.outputscale * kernelDerivR2(gp.hyperparameters.kernel, r2);
        }
        for (let l = 0; l < m; l++) {
          for (let j = 0; j < d; j++) {
            const dk = (kdS[l] as number) * 2 * ((x[j] as number) - (S.data[l * d + j] as number)) * (invL2[j] as number);
            dcXi[j] = (dcXi[j] as number) + dk * (xi[l] as number);
            dcA[j] = (dcA[j] as number) + dk * (aT[l] as number);
          }
        }
        // Training-point part: Σ_i kd_i·2(x_j − X_ij)/ℓ_j²·(G_i·ξ) and likewise with aT.
        for (let i = 0; i < n; i++) {
          let gXi = 0;
          let gA = 0;
          for (let l = 0; l < m; l++) {
            gXi += (G.data[i * m + l] as number) * (xi[l] as number);
            gA += (G.data[i * m + l] as number) * (aT[l] as number);
          }
          const kdi = p.kd[i] as number;
          if (kdi === 0) continue;
          for (let j = 0; j < d; j++) {
            const dk = kdi * 2 * ((x[j] as number) - (gp.X.data[i * d + j] as number)) * (invL2[j] as number);
            dcXi[j] = (dcXi[j] as number) - dk * gXi;
            dcA[j] = (dcA[j] as number) - dk * gA;
          }
        }
      }
      for (let j = 0; j < d; j++) {
        const dSdC = varC > 1e-10 ? ((p.dVariance[j] as number) - 2 * (dcA[j] as number)) / (2 * sdC) : 0;
        grad[j] = sumW * (p.dMean[j] as number) + (dcXi[j] as number) + dSdC * sumWz;
      }
      return value;
    },
    evaluateBatch(X) {
      const post = gp.posterior(X, { withCrossCovariance: m > 0 });
      const out = new Float64Array(X.n);
      const b = X.n;
      // C (b×m) = k(X_q, S) − k(X, X_q)ᵀ·G, accumulated row by row of the training set (contiguous reads).
      const C = new Float64Array(b * m);
      for (let r = 0; r < b; r++) for (let l = 0; l < m; l++) C[r * m + l] = gp.kernel(X.data, r * d, S.data, l * d);
      const Kx = post.crossCov;
      if (Kx)
        for (let i = 0; i < n; i++) {
          const gi = i * m;
          for (let r = 0; r < b; r++) {
            const kx = Kx.data[i * b + r] as number;
            if (kx === 0) continue;
            const cr = r * m;
            for (let l = 0; l < m; l++) C[cr + l] = (C[cr + l] as number) - kx * (G.data[gi + l] as number);
          }
        }
      for (let r = 0; r < b; r++) {
        for (let l = 0; l < m; l++) c[l] = C[r * m + l] as number;
        out[r] = sampleValue(post.mean[r] as number, post.variance[r] as number).value;
      }
      return out;
    },
  };
}
