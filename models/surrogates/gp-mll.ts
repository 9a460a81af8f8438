import { cholesky, choleskySolve, inverseFromCholesky, logDetFromCholesky, NotPositiveDefiniteError, zeros } from '../linalg/index.ts';
import type { Matrix } from '../linalg/index.ts';
import { kernelDerivR2, kernelValue, type KernelKind } from './kernels.ts';
import { lengthscalePrior, logNormalDLogPdfDLogV, logNormalLogPdf, NOISE_FLOOR, NOISE_PRIOR, type HyperPriors, type LogNormal } from './priors.ts';

/**
 * The MAP objective of an exact GP: −(log p(y | θ) + log p(θ)) / n, with its analytic gradient.
 *
 * θ layout (all unconstrained reals, bounded by the optimiser):
 *   [log ℓ_1 … log ℓ_G (one per lengthscale group: G = d for ARD, 1 when isotropic), mean c,
 *    (log(σ²_n − 1e-4) when noise is learned), (log s² when an outputscale is learned)].
 * Gradient: ∂ log p(y)/∂θ_k = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ_k), ∂/∂c = Σ α_i, with α = K⁻¹(y − c).
 */
export interface MllProblem {
  /** Training inputs, n×d. */
  X: Matrix;
  /** Standardised targets, length n. */
  y: Float64Array;
  kernel: KernelKind;
  /** Fixed per-point noise variances (standardised units), or undefined when a homoscedastic noise is learned. */
  fixedNoise?: Float64Array;
  learnOutputscale: boolean;
  /** Add the hyper-parameter priors (MAP, default) or fit the plain marginal likelihood (type-II ML). */
  usePriors?: boolean;
  /**
   * Lengthscale group of each input (values 0 … G−1, every group used): inputs of a group share one lengthscale.
   * Default: every input its own (ARD); all zeros is an isotropic kernel.
   */
  groups?: readonly number[];
  /** Replacements of the default priors (ADR 0052): per lengthscale group, noise variance, outputscale. */
  priors?: HyperPriors;
}

/** Validates lengthscale groups for d inputs; undefined means one group per input (ARD). Returns the group count. */
export function lengthscaleGroupCount(d: number, groups: readonly number[] | undefined): number {
  if (!groups) return d;
  if (groups.length !== d) throw new RangeError(`lengthscale groups: ${groups.length} entries for ${d} inputs`);
  const count = groups.length === 0 ? 0 : Math.max(...groups) + 1;
  const used = new Set(groups);
  for (const g of groups) if (!Number.isInteger(g) || g < 0) throw new RangeError(`lengthscale group ${g} is not a non-negative integer`);
  if (used.size !== count) throw new RangeError(`lengthscale groups must use every index 0 … ${count - 1}`);
  return count;
}

export interface ThetaLayout {
  d: number;
  /** Number of log-lengthscales at the start of θ: one per group (d for ARD, 1 when isotropic). */
  lengthscales: number;
  mean: number;
  noise: number | undefined;
  outputscale: number | undefined;
  size: number;
}

export function thetaLayout(d: number, learnNoise: boolean, learnOutputscale: boolean, groupCount = d): ThetaLayout {
  const lengthscales = groupCount;
  let size = lengthscales + 1;
  const noise = learnNoise ? size++ : undefined;
  const outputscale = learnOutputscale ? size++ : undefined;
  return { d, lengthscales, mean: lengthscales, noise, outputscale, size };
}

export interface MllEvaluator {
  layout: ThetaLayout;
  /** Loss and gradient (written into `grad` when given); +Infinity when K cannot be factorised. */
  loss(theta: Float64Array, grad?: Float64Array): number;
}

export function createMllEvaluator(problem: MllProblem): MllEvaluator {
  const { X, y, kernel } = problem;
  const { n, d } = X;
  const layout = thetaLayout(d, problem.fixedNoise === undefined, problem.learnOutputscale, lengthscaleGroupCount(d, problem.groups));
  const nLs = layout.lengthscales;
  const group = Int32Array.from({ length: d }, (_, j) => problem.groups?.[j] ?? j);
  const Xd = X.data;
  const lsPriors: LogNormal[] = Array.from({ length: nLs }, (_, g) => problem.priors?.lengthscale?.[g] ?? lengthscalePrior(d));
  const noisePrior = problem.priors?.noise ?? NOISE_PRIOR;
  const outputscalePrior = problem.priors?.outputscale;
  const usePriors = problem.usePriors ?? true;
  const K = zeros(n, n);
  const Lbuf = zeros(n, n);
  const work = zeros(n, n);
  const KinvBuf = zeros(n, n);
  const Kf = new Float64Array((n * (n - 1)) / 2); // unit-outputscale kernel values per pair
  const Kd = new Float64Array((n * (n - 1)) / 2); // k'(r²) per pair
  const invL2 = new Float64Array(d);
  const r = new Float64Array(n);

  const loss = (theta: Float64Array, grad?: Float64Array): number => {
    for (let j = 0; j < d; j++) invL2[j] = Math.exp(-2 * (theta[group[j] as number] as number));
    const c = theta[layout.mean] as number;
    const noiseExcess = layout.noise !== undefined ? Math.exp(theta[layout.noise] as number) : 0;
    const noise = NOISE_FLOOR + noiseExcess;
    const s2 = layout.outputscale !== undefined ? Math.exp(theta[layout.outputscale] as number) : 1;
    let p = 0;
    for (let i = 1; i < n; i++) {
      for (let k = 0; k < i; k++) {
        // Squared differences are recomputed per evaluation: storing them for every pair took (n(n−1)/2)·d doubles
        // (5 MB at n = 300, d = 14) per fit, allocated anew for every fit of a campaign (issue 14's memory).
        let r2 = 0;
        const oi = i * d;
        const ok = k * d;
        for (let j = 0; j < d; j++) {
          const diff = (Xd[oi + j] as number) - (Xd[ok + j] as number);
          r2 += diff * diff * (invL2[j] as number);
        }
        const kv = kernelValue(kernel, r2);
        Kf[p] = kv;
        if (grad) Kd[p] = kernelDerivR2(kernel, r2);
        K.data[i * n + k] = s2 * kv;
        p++;
      }
    }
    for (let i = 0; i < n; i++) K.data[i * n + i] = s2 + (problem.fixedNoise ? (problem.fixedNoise[i] as number) : noise);
    let L;
    try {
      L = cholesky(K, { maxRelativeJitter: 1e-6 }, Lbuf).L;
    } catch (e) {
      if (e instanceof NotPositiveDefiniteError) return Infinity;
      throw e;
    }
    for (let i = 0; i < n; i++) r[i] = (y[i] as number) - c;
    const alpha = choleskySolve(L, r);
    let quad = 0;
    for (let i = 0; i < n; i++) quad += (r[i] as number) * (alpha[i] as number);
    const logMl = -0.5 * quad - 0.5 * logDetFromCholesky(L) - 0.5 * n * Math.log(2 * Math.PI);
    let logPrior = 0;
    if (usePriors) {
      for (let j = 0; j < nLs; j++) logPrior += logNormalLogPdf(lsPriors[j] as LogNormal, Math.exp(theta[j] as number));
      if (layout.noise !== undefined) logPrior += logNormalLogPdf(noisePrior, noise);
      if (layout.outputscale !== undefined && outputscalePrior) logPrior += logNormalLogPdf(outputscalePrior, s2);
    }
    const value = -(logMl + logPrior) / n;
    if (!grad) return value;

    // W = ααᵀ − K⁻¹ (only the lower triangle and diagonal are used).
    const Kinv = inverseFromCholesky(L, work, KinvBuf);
    grad.fill(0);
    let trW = 0;
    let sumWKf = 0;
    for (let i = 0; i < n; i++) trW += (alpha[i] as number) ** 2 - (Kinv.data[i * n + i] as number);
    p = 0;
    const gl = new Float64Array(d);
    for (let i = 1; i < n; i++) {
      const ai = alpha[i] as number;
      for (let k = 0; k < i; k++) {
        const w = ai * (alpha[k] as number) - (Kinv.data[i * n + k] as number);
        // Off-diagonal pairs count twice in the trace.
        const coef = 2 * w * s2 * (Kd[p] as number);
        sumWKf += 2 * w * (Kf[p] as number);
        const oi = i * d;
        const ok = k * d;
        for (let j = 0; j < d; j++) {
          const diff = (Xd[oi + j] as number) - (Xd[ok + j] as number);
          gl[j] = (gl[j] as number) + coef * (diff * diff);
        }
        p++;
      }
    }
    // ∂K/∂log ℓ_j = −k'(r²)·2Δ_j²/ℓ_j² ⇒ ½ tr(W ∂K) = −Σ W k' Δ² / ℓ²; a shared lengthscale sums over its inputs.
    for (let j = 0; j < nLs; j++) grad[j] = 0;
    for (let j = 0; j < d; j++) {
      const t = group[j] as number;
      grad[t] = (grad[t] as number) + (gl[j] as number) * (invL2[j] as number) / n;
    }
    if (usePriors) for (let j = 0; j < nLs; j++) grad[j] = (grad[j] as number) - logNormalDLogPdfDLogV(lsPriors[j] as LogNormal, Math.exp(theta[j] as number)) / n;
    let sumAlpha = 0;
    for (let i = 0; i < n; i++) sumAlpha += alpha[i] as number;
    grad[layout.mean] = -sumAlpha / n;
    if (layout.noise !== undefined) {
      const dMl = 0.5 * trW * noiseExcess;
      const dPrior = usePriors ? logNormalDLogPdfDLogV(noisePrior, noise) * (noiseExcess / noise) : 0;
      grad[layout.noise] = -(dMl + dPrior) / n;
    }
    if (layout.outputscale !== undefined) {
      // ∂K/∂log s² = s²·K_f (diagonal K_f = 1).
      let diag = 0;
      for (let i = 0; i < n; i++) diag += (alpha[i] as number) ** 2 - (Kinv.data[i * n + i] as number);
      const dPrior = usePriors && outputscalePrior ? logNormalDLogPdfDLogV(outputscalePrior, s2) : 0;
      grad[layout.outputscale] = -(0.5 * s2 * (sumWKf + diag) + dPrior) / n;
    }
    return value;
  };
  return { layout, loss };
}
