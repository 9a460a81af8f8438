import { Rng } from '../../src/domain/random.ts';
import { choleskyInPlace, cholesky, invertLower, selectRows, zeros } from '../linalg/index.ts';
import { appendBlock, backSolve, forwardSolve, forwardSolveMatrix, lowerFactor, toMatrix, type LowerFactor } from '../linalg/lower-factor.ts';
import type { Matrix } from '../linalg/index.ts';
import { minimizeLbfgsb } from '../optimizers/lbfgsb.ts';
import { fitStandardizer, type Standardizer } from '../transforms/outcome.ts';
import { createMllEvaluator, lengthscaleGroupCount, thetaLayout } from './gp-mll.ts';
import { kernelDerivR2, kernelValue, scaledSqDist, type KernelKind } from './kernels.ts';
import { priorWeight } from './gp-prior-weight.ts';
import type { MeanBasis } from './kernel-mean.ts';
import { LENGTHSCALE_MIN, lengthscalePrior, logNormalMode, NOISE_FLOOR, NOISE_PRIOR, type HyperPriors, type LogNormal } from './priors.ts';

/**
 * Exact Gaussian-process regression with today's BoTorch defaults: standardised outcomes, constant mean, ARD RBF
 * (or Matérn-5/2) kernel with the dimension-scaled LogNormal lengthscale prior, Gaussian noise with a LogNormal(−4, 1)
 * prior and a 1e-4 floor (or fixed known noise), hyper-parameters by MAP with analytic gradients and bounded L-BFGS.
 *
 * Shapes: X is n×d with inputs in the unit cube; y has length n (outcome units). "Model space" means standardised
 * outcome units: (y − mean)/std. Posterior variances are of the latent function (no observation noise).
 */
export interface GpHyperparameters {
  kernel: KernelKind;
  lengthscales: number[];
  /** Kernel variance in model space (1 unless an outputscale is learned). */
  outputscale: number;
  /** Homoscedastic noise variance in model space (ignored when fixed noise variances are given). */
  noise: number;
  /** Constant mean in model space. */
  mean: number;
  /**
   * Weight a of the prior-mean basis h (ADR 0118): the prior mean is mean + a·h(x). Present only on a GP fitted with
   * `priorMean`.
   */
  priorWeight?: number;
}

export interface GpFitOptions {
  kernel?: KernelKind;
  /** Known noise variance per observation, in outcome units²; when given, no noise is learned. */
  noiseVariance?: ArrayLike<number>;
  /** Learn a kernel outputscale (default false: outcomes are standardised, as in BoTorch's SingleTaskGP). */
  learnOutputscale?: boolean;
  /** MAP with the lengthscale and noise priors (default true); false fits the plain marginal likelihood. */
  usePriors?: boolean;
  /**
   * One lengthscale for all inputs (true); per `lengthscaleGroups`, or ARD without them (false / undefined); or 'auto':
   * fit both and keep the model with the higher leave-one-out predictive log density.
   */
  isotropic?: boolean | 'auto';
  /** Lengthscale group of each input (e.g. the components of one mixture share one); ignored when `isotropic` is true. */
  lengthscaleGroups?: readonly number[];
  /** Previous hyper-parameters to start from (warm start). */
  warmStart?: GpHyperparameters;
  /** Candidate starts drawn from the prior and screened by their loss (default 8, or 4 with a warm start). */
  priorSamples?: number;
  /** L-BFGS runs from the best screened starts (default: 1 with a warm start; otherwise 2 for n ≤ 100, else 1). */
  restarts?: number;
  /** Also run L-BFGS from the prior mode (smooth, long lengthscales) and keep the better optimum (default false). */
  modeStart?: boolean;
  /** L-BFGS iteration cap per run (default 60). */
  maxIterations?: number;
  /** Fit hyper-parameters on at most this many points (a seeded random subset), then condition on all (default 300). */
  maxFitPoints?: number;
  /** Replacements of the default hyper-parameter priors (per lengthscale group, noise, outputscale; ADR 0052). */
  priors?: HyperPriors;
  /** Skip the MAP fit and use `warmStart` as is. */
  fixedHyperparameters?: boolean;
  /**
   * A prior mean from related data (ADR 0118): the GP's mean becomes c + a·h(x). The kernel hyper-parameters are fitted
   * to y − a₀·h (a₀ the warm start's `priorWeight`, else 0), then c and a by generalised least squares under that
   * kernel, a ~ N(0, 1) clipped to [0, 4] (`priorWeight`): a basis that does not explain the results fades to 0.
   */
  priorMean?: MeanBasis;
  seed?: number;
}

/** Bounds of the constant mean (model space). */
const MEAN_BOUNDS = [-5, 5] as const;
/** Prior sd and largest value of a prior-mean basis's weight (ADR 0118). */
const PRIOR_WEIGHT = { sd: 1, max: 4 };

export interface PointPosterior {
  /** Model-space posterior mean and latent variance. */
  mean: number;
  variance: number;
  /** ∂mean/∂x and ∂variance/∂x (length d), when requested. */
  dMean?: Float64Array;
  dVariance?: Float64Array;
  /** k(X_train, x) (length n), when gradients are requested. */
  k?: Float64Array;
  /** ∂k(X_i, x)/∂r² · outputscale per training point (length n), when gradients are requested. */
  kd?: Float64Array;
}

const LOG_LS_MAX = Math.log(200);
const LOG_NOISE_EXCESS_MIN = -25;
const LOG_NOISE_EXCESS_MAX = Math.log(10);

export class GaussianProcess {
  readonly X: Matrix;
  /** Standardised training targets. */
  readonly yModel: Float64Array;
  readonly standardizer: Standardizer;
  readonly hyperparameters: GpHyperparameters;
  /** Noise variance per training point, model space. */
  readonly noiseModel: Float64Array;
  /** Cholesky factor of K + noise: the fitted one, plus appended rows for fantasies (see lower-factor.ts). */
  readonly factor: LowerFactor;
  /** K⁻¹(y − c). */
  readonly alpha: Float64Array;
  /** MAP loss −(log p(y|θ) + log p(θ))/n of the fitted hyper-parameters on the fit set (NaN when not fitted). */
  readonly fitLoss: number;
  /** The prior-mean basis h (ADR 0118), weighted by `hyperparameters.priorWeight`; undefined for a constant mean. */
  readonly priorMean: MeanBasis | undefined;
  private readonly invL2: Float64Array;
  private wholeFactor: Matrix | undefined;

  private constructor(
    X: Matrix,
    yModel: Float64Array,
    standardizer: Standardizer,
    hyper: GpHyperparameters,
    noiseModel: Float64Array,
    fitLoss: number,
    factor?: { L: LowerFactor; alpha: Float64Array },
    priorMean?: MeanBasis,
  ) {
    this.priorMean = priorMean;
    this.X = X;
    this.yModel = yModel;
    this.standardizer = standardizer;
    this.hyperparameters = hyper;
    this.noiseModel = noiseModel;
    this.fitLoss = fitLoss;
    this.invL2 = Float64Array.from(hyper.lengthscales, (l) => 1 / (l * l));
    if (factor) {
      this.factor = factor.L;
      this.alpha = factor.alpha;
      return;
    }
    // Factorised where it is built (one n×n block instead of two); with jitter from a fresh copy when that fails.
    const K = this.covariance();
    this.factor = lowerFactor(choleskyInPlace(K) ? K : cholesky(this.covariance()).L);
    const r = Float64Array.from(yModel, (v, i) => v - hyper.mean - this.meanOffset(X.data, i * X.d));
    this.alpha = backSolve(this.factor, forwardSolve(this.factor, r));
  }

  /** The prior-mean term a·h(x) at the row of `x` starting at `off` (model space); 0 without a prior mean. */
  meanOffset(x: ArrayLike<number>, off = 0): number {
    return this.priorMean ? (this.hyperparameters.priorWeight ?? 0) * this.priorMean.value(x, off) : 0;
  }

  /** K + noise of the training inputs (lower triangle and diagonal). */
  private covariance(): Matrix {
    const { X, noiseModel } = this;
    const n = X.n;
    const K = zeros(n, n);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < i; k++) K.data[i * n + k] = this.kernel(X.data, i * X.d, X.data, k * X.d);
      K.data[i * n + i] = this.hyperparameters.outputscale + (noiseModel[i] as number);
    }
    return K;
  }

  /** Cholesky factor of K + noise as one n×n matrix (built on the first request for a fantasised model). */
  get L(): Matrix {
    this.wholeFactor ??= toMatrix(this.factor);
    return this.wholeFactor;
  }

  /** Fits hyper-parameters by MAP (unless `fixedHyperparameters`) and conditions on (X, y). */
  static fit(X: Matrix, y: ArrayLike<number>, opts: GpFitOptions = {}): GaussianProcess {
    if (X.n !== y.length) throw new RangeError(`X has ${X.n} rows but y has ${y.length} values`);
    if (X.n === 0) throw new RangeError('a GP needs at least one observation');
    for (let i = 0; i < X.data.length; i++) if (!Number.isFinite(X.data[i] as number)) throw new RangeError(`X has a non-finite entry at row ${Math.floor(i / X.d)}`);
    const standardizer = fitStandardizer(y);
    const yModel = Float64Array.from(y as ArrayLike<number>, (v) => standardizer.forward(v));
    const kernel = opts.kernel ?? opts.warmStart?.kernel ?? 'rbf';
    let fixedNoise: Float64Array | undefined;
    if (opts.noiseVariance) {
      if (opts.noiseVariance.length !== X.n) throw new RangeError('noiseVariance must have one entry per observation');
      fixedNoise = Float64Array.from(opts.noiseVariance, (v) => {
        if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`noise variance ${v} is not a finite non-negative number`);
        return Math.max(NOISE_FLOOR, v / standardizer.std ** 2);
      });
    }
    if (opts.isotropic === 'auto' && !opts.fixedHyperparameters) {
      const ard = GaussianProcess.fit(X, y, { ...opts, isotropic: false });
      const iso = GaussianProcess.fit(X, y, { ...opts, isotropic: true });
      return iso.looLogDensity() > ard.looLogDensity() ? iso : ard;
    }
    let hyper: GpHyperparameters;
    let fitLoss = NaN;
    const basis = opts.priorMean;
    // The basis at the training inputs, evaluated once per fit (fixed hyper-parameters keep the warm start's weight).
    const h = basis && !opts.fixedHyperparameters ? Float64Array.from({ length: X.n }, (_, i) => basis.value(X.data, i * X.d)) : undefined;
    if (opts.fixedHyperparameters) {
      if (!opts.warmStart) throw new Error('fixedHyperparameters needs warmStart hyper-parameters');
      const { priorWeight: a, ...rest } = opts.warmStart;
      hyper = { ...rest, kernel, ...(basis ? { priorWeight: a ?? 0 } : {}) };
    } else if (h) {
      const a0 = opts.warmStart?.priorWeight ?? 0;
      const yFit = Float64Array.from(yModel, (v, i) => v - a0 * (h[i] as number));
      ({ hyper, loss: fitLoss } = fitHyperparameters(X, yFit, kernel, fixedNoise, opts));
    } else {
      ({ hyper, loss: fitLoss } = fitHyperparameters(X, yModel, kernel, fixedNoise, opts));
    }
    const noiseModel = fixedNoise ?? new Float64Array(X.n).fill(hyper.noise);
    if (!h) return new GaussianProcess(X, yModel, standardizer, hyper, noiseModel, fitLoss, undefined, basis);
    // c and a by generalised least squares under the fitted kernel: only the factor is needed, which depends on neither.
    const first = new GaussianProcess(X, yModel, standardizer, hyper, noiseModel, fitLoss);
    const { weight, mean } = priorWeight(first.factor, yModel, h, { ...PRIOR_WEIGHT, meanBounds: MEAN_BOUNDS });
    const r = Float64Array.from(yModel, (v, i) => v - mean - weight * (h[i] as number));
    const alpha = backSolve(first.factor, forwardSolve(first.factor, r));
    return new GaussianProcess(X, yModel, standardizer, { ...hyper, mean, priorWeight: weight }, noiseModel, fitLoss, { L: first.factor, alpha }, basis);
  }

  /**
   * The same model conditioned on extra points `Xp` observed at its own posterior mean ("kriging believer"
   * fantasies): the mean is unchanged everywhere, the variance shrinks near the pending points. UCB on the result is
   * GP-BUCB (Desautels et al. 2014), the batch form of UCB. Hyper-parameters and standardisation are kept.
   */
  fantasize(Xp: Matrix): GaussianProcess {
    if (Xp.n === 0) return this;
    if (Xp.d !== this.d) throw new RangeError(`pending points have ${Xp.d} columns, the model ${this.d}`);
    const { mean } = this.posterior(Xp);
    const X = zeros(this.n + Xp.n, this.d);
    X.data.set(this.X.data);
    X.data.set(Xp.data, this.X.data.length);
    const y = new Float64Array(this.n + Xp.n);
    y.set(this.yModel);
    y.set(mean, this.n);
    const noise = new Float64Array(this.n + Xp.n).fill(this.hyperparameters.noise);
    noise.set(this.noiseModel);
    // The factor of the augmented covariance by a block append (O(n²·p) instead of O((n + p)³)); with targets at the
    // posterior mean the weights are α' = [α; 0] exactly (k_pᵀα = μ(x_p) − c).
    let factor: { L: LowerFactor; alpha: Float64Array } | undefined;
    try {
      const m = Xp.n;
      const C = zeros(this.n, m);
      for (let i = 0; i < this.n; i++) for (let a = 0; a < m; a++) C.data[i * m + a] = this.kernel(this.X.data, i * this.d, Xp.data, a * Xp.d);
      const S = zeros(m, m);
      for (let a = 0; a < m; a++) {
        for (let b = 0; b < a; b++) S.data[a * m + b] = this.kernel(Xp.data, a * Xp.d, Xp.data, b * Xp.d);
        S.data[a * m + a] = this.hyperparameters.outputscale + this.hyperparameters.noise;
      }
      const alpha = new Float64Array(this.n + m);
      alpha.set(this.alpha);
      factor = { L: appendBlock(this.factor, C, S), alpha };
    } catch {
      factor = undefined; // numerically indefinite: refactorise from scratch below
    }
    return new GaussianProcess(X, y, this.standardizer, this.hyperparameters, noise, NaN, factor, this.priorMean);
  }

  /** The same model (hyper-parameters, standardisation) conditioned on the given training rows only. */
  subset(indices: ArrayLike<number>): GaussianProcess {
    const idx = Array.from(indices as ArrayLike<number>);
    return new GaussianProcess(
      selectRows(this.X, idx),
      Float64Array.from(idx, (i) => this.yModel[i] as number),
      this.standardizer,
      this.hyperparameters,
      Float64Array.from(idx, (i) => this.noiseModel[i] as number),
      this.fitLoss,
      undefined,
      this.priorMean,
    );
  }

  get n(): number {
    return this.X.n;
  }
  get d(): number {
    return this.X.d;
  }

  /** k(a, b) with the fitted outputscale. */
  kernel(a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, bOff: number): number {
    return this.hyperparameters.outputscale * kernelValue(this.hyperparameters.kernel, scaledSqDist(a, aOff, b, bOff, this.invL2));
  }

  /** Inverse squared lengthscales 1/ℓ_j² (length d). */
  get inverseSquaredLengthscales(): Float64Array {
    return this.invL2;
  }

  /** Cross-covariances k(X_train, x) for one point x (length n). */
  crossCovariance(x: ArrayLike<number>, xOff = 0): Float64Array {
    const k = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) k[i] = this.kernel(this.X.data, i * this.d, x, xOff);
    return k;
  }

  /** Model-space posterior at one point x (length d), with input gradients when `withGradient`. */
  pointPosterior(x: ArrayLike<number>, withGradient = false): PointPosterior {
    const { n, d } = this;
    const s2 = this.hyperparameters.outputscale;
    const kind = this.hyperparameters.kernel;
    const k = new Float64Array(n);
    const kd = withGradient ? new Float64Array(n) : undefined;
    const Xd = this.X.data;
    for (let i = 0; i < n; i++) {
      const r2 = scaledSqDist(Xd, i * d, x, 0, this.invL2);
      k[i] = s2 * kernelValue(kind, r2);
      if (kd) kd[i] = s2 * kernelDerivR2(kind, r2);
    }
    let mean = this.hyperparameters.mean;
    const dPrior = kd && this.priorMean ? new Float64Array(d) : undefined;
    if (this.priorMean) mean += (this.hyperparameters.priorWeight ?? 0) * (dPrior ? this.priorMean.valueAndGradient(x, dPrior) : this.priorMean.value(x));
    for (let i = 0; i < n; i++) mean += (k[i] as number) * (this.alpha[i] as number);
    const v = forwardSolve(this.factor, k);
    let vv = 0;
    for (let i = 0; i < n; i++) vv += (v[i] as number) ** 2;
    const variance = Math.max(s2 - vv, 1e-12 * s2);
    if (!kd) return { mean, variance };
    const w = backSolve(this.factor, v);
    const dMean = new Float64Array(d);
    const dVariance = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const gm = (this.alpha[i] as number) * (kd[i] as number);
      const gv = -2 * (w[i] as number) * (kd[i] as number);
      const off = i * d;
      for (let j = 0; j < d; j++) {
        const diff2 = 2 * ((x[j] as number) - (Xd[off + j] as number)) * (this.invL2[j] as number);
        dMean[j] = (dMean[j] as number) + gm * diff2;
        dVariance[j] = (dVariance[j] as number) + gv * diff2;
      }
    }
    if (dPrior) for (let j = 0; j < d; j++) dMean[j] = (dMean[j] as number) + (this.hyperparameters.priorWeight ?? 0) * (dPrior[j] as number);
    return { mean, variance, dMean, dVariance, k, kd };
  }

  /**
   * Model-space marginal posterior at the rows of Xq (m×d): means and latent variances (length m). Rows are processed
   * in blocks with one multi-right-hand-side triangular solve per block, so L is streamed once per block rather than
   * once per row (several times faster than `pointPosterior` per row at large n). `crossCov`, when requested, is
   * k(X_train, Xq) (n×m).
   */
  posterior(Xq: Matrix, opts: { withCrossCovariance?: boolean } = {}): { mean: Float64Array; variance: Float64Array; crossCov?: Matrix } {
    const m = Xq.n;
    const n = this.n;
    const mean = new Float64Array(m);
    const variance = new Float64Array(m);
    const crossCov = opts.withCrossCovariance ? zeros(n, m) : undefined;
    const s2 = this.hyperparameters.outputscale;
    const block = 128;
    // One pair of n×block buffers for every block (the last one uses a prefix of them).
    const kxData = new Float64Array(n * Math.min(block, m));
    const vData = new Float64Array(kxData.length);
    for (let start = 0; start < m; start += block) {
      const b = Math.min(block, m - start);
      const Kx = { n, d: b, data: kxData.subarray(0, n * b) };
      for (let i = 0; i < n; i++) for (let c = 0; c < b; c++) Kx.data[i * b + c] = this.kernel(this.X.data, i * this.d, Xq.data, (start + c) * Xq.d);
      const V = forwardSolveMatrix(this.factor, Kx, { n, d: b, data: vData.subarray(0, n * b) });
      for (let c = 0; c < b; c++) {
        let mu = this.hyperparameters.mean;
        if (this.priorMean) mu += this.meanOffset(Xq.data, (start + c) * Xq.d);
        let vv = 0;
        for (let i = 0; i < n; i++) {
          mu += (Kx.data[i * b + c] as number) * (this.alpha[i] as number);
          vv += (V.data[i * b + c] as number) ** 2;
        }
        mean[start + c] = mu;
        variance[start + c] = Math.max(s2 - vv, 1e-12 * s2);
      }
      if (crossCov) for (let i = 0; i < n; i++) crossCov.data.set(Kx.data.subarray(i * b, (i + 1) * b), i * m + start);
    }
    return { mean, variance, crossCov };
  }

  /** Model-space joint posterior at the rows of Xq (m×d): mean (m) and covariance (m×m). */
  jointPosterior(Xq: Matrix): { mean: Float64Array; cov: Matrix } {
    const m = Xq.n;
    const Kx = zeros(this.n, m);
    for (let i = 0; i < this.n; i++) for (let c = 0; c < m; c++) Kx.data[i * m + c] = this.kernel(this.X.data, i * this.d, Xq.data, c * Xq.d);
    const V = forwardSolveMatrix(this.factor, Kx);
    const mean = new Float64Array(m);
    for (let c = 0; c < m; c++) {
      let s = this.hyperparameters.mean;
      if (this.priorMean) s += this.meanOffset(Xq.data, c * Xq.d);
      for (let i = 0; i < this.n; i++) s += (Kx.data[i * m + c] as number) * (this.alpha[i] as number);
      mean[c] = s;
    }
    const cov = zeros(m, m);
    for (let a = 0; a < m; a++)
      for (let b = 0; b <= a; b++) {
        let s = this.kernel(Xq.data, a * Xq.d, Xq.data, b * Xq.d);
        for (let i = 0; i < this.n; i++) s -= (V.data[i * m + a] as number) * (V.data[i * m + b] as number);
        cov.data[a * m + b] = s;
        cov.data[b * m + a] = s;
      }
    return { mean, cov };
  }

  /** Posterior in outcome units at the rows of Xq: mean and latent standard deviation. */
  predict(Xq: Matrix): { mean: Float64Array; sd: Float64Array } {
    const p = this.posterior(Xq);
    return {
      mean: p.mean.map((v) => this.standardizer.backward(v)),
      sd: p.variance.map((v) => this.standardizer.backwardSd(Math.sqrt(v))),
    };
  }

  /**
   * Closed-form leave-one-out predictions in outcome units (Rasmussen & Williams eq. 5.12): mean_i = y_i − α_i/[K⁻¹]_ii,
   * predictive sd_i = 1/√[K⁻¹]_ii (observation noise included).
   */
  leaveOneOut(): { observed: Float64Array; mean: Float64Array; sd: Float64Array } {
    const n = this.n;
    const diag = this.precisionDiagonal();
    const observed = this.yModel.map((v) => this.standardizer.backward(v));
    const mean = new Float64Array(n);
    const sd = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      mean[i] = this.standardizer.backward((this.yModel[i] as number) - (this.alpha[i] as number) / (diag[i] as number));
      sd[i] = this.standardizer.backwardSd(Math.sqrt(1 / (diag[i] as number)));
    }
    return { observed, mean, sd };
  }

  /**
   * Σ_i log N(y_i; LOO mean_i, LOO variance_i) in model space (Rasmussen & Williams eq. 5.10–5.12): how well the model
   * predicts each point from the others. Used to choose between model structures fitted to the same data.
   */
  looLogDensity(): number {
    const diag = this.precisionDiagonal();
    let sum = 0;
    for (let i = 0; i < this.n; i++) {
      const p = diag[i] as number;
      const a = this.alpha[i] as number;
      sum += 0.5 * Math.log(p) - (0.5 * a * a) / p - 0.5 * Math.log(2 * Math.PI);
    }
    return sum;
  }

  /** Diagonal of (K + noise)⁻¹ from the Cholesky factor. */
  private precisionDiagonal(): Float64Array {
    const n = this.n;
    const Li = invertLower(this.L);
    const diag = new Float64Array(n);
    for (let k = 0; k < n; k++) for (let i = 0; i <= k; i++) diag[i] = (diag[i] as number) + (Li.data[k * n + i] as number) ** 2;
    return diag;
  }
}

function fitHyperparameters(
  X: Matrix,
  yModel: Float64Array,
  kernel: KernelKind,
  fixedNoise: Float64Array | undefined,
  opts: GpFitOptions,
): { hyper: GpHyperparameters; loss: number } {
  const rng = new Rng(opts.seed ?? 0);
  const d = X.d;
  const learnOutputscale = opts.learnOutputscale ?? false;
  const groups = opts.isotropic === true ? new Array<number>(d).fill(0) : opts.lengthscaleGroups;
  const layout = thetaLayout(d, fixedNoise === undefined, learnOutputscale, lengthscaleGroupCount(d, groups));
  const nLs = layout.lengthscales;
  const group = (j: number): number => groups?.[j] ?? j;
  // Hyper-parameters are fitted on a seeded random subset when n is large (the O(n³) gradient dominates).
  const maxFit = opts.maxFitPoints ?? 300;
  let Xf = X;
  let yf = yModel;
  let noiseF = fixedNoise;
  if (X.n > maxFit) {
    const idx = rng.shuffle(Array.from({ length: X.n }, (_, i) => i)).slice(0, maxFit).sort((a, b) => a - b);
    Xf = selectRows(X, idx);
    yf = Float64Array.from(idx, (i) => yModel[i] as number);
    if (fixedNoise) noiseF = Float64Array.from(idx, (i) => fixedNoise[i] as number);
  }
  const evaluator = createMllEvaluator({ X: Xf, y: yf, kernel, fixedNoise: noiseF, learnOutputscale, usePriors: opts.usePriors, groups, priors: opts.priors });
  const lower = new Float64Array(layout.size);
  const upper = new Float64Array(layout.size);
  for (let j = 0; j < nLs; j++) {
    lower[j] = Math.log(LENGTHSCALE_MIN);
    upper[j] = LOG_LS_MAX;
  }
  lower[layout.mean] = MEAN_BOUNDS[0];
  upper[layout.mean] = MEAN_BOUNDS[1];
  if (layout.noise !== undefined) {
    lower[layout.noise] = LOG_NOISE_EXCESS_MIN;
    upper[layout.noise] = LOG_NOISE_EXCESS_MAX;
  }
  if (layout.outputscale !== undefined) {
    lower[layout.outputscale] = Math.log(0.01);
    upper[layout.outputscale] = Math.log(100);
  }
  const clampTheta = (t: Float64Array): Float64Array => t.map((v, i) => Math.min(upper[i] as number, Math.max(lower[i] as number, v)));
  const toTheta = (h: Pick<GpHyperparameters, 'lengthscales' | 'noise' | 'mean' | 'outputscale'>): Float64Array => {
    const t = new Float64Array(layout.size);
    // A shared lengthscale starts at the geometric mean of its inputs' (a warm start from an ARD fit stays sensible).
    const sums = new Float64Array(nLs);
    const counts = new Float64Array(nLs);
    for (let j = 0; j < d; j++) {
      sums[group(j)] = (sums[group(j)] as number) + Math.log(h.lengthscales[j] ?? 1);
      counts[group(j)] = (counts[group(j)] as number) + 1;
    }
    for (let g = 0; g < nLs; g++) t[g] = (sums[g] as number) / Math.max(1, counts[g] as number);
    t[layout.mean] = h.mean;
    if (layout.noise !== undefined) t[layout.noise] = Math.log(Math.max(h.noise - NOISE_FLOOR, 1e-11));
    if (layout.outputscale !== undefined) t[layout.outputscale] = Math.log(h.outputscale);
    return clampTheta(t);
  };
  const fromTheta = (t: Float64Array): GpHyperparameters => ({
    kernel,
    lengthscales: Array.from({ length: d }, (_, j) => Math.exp(t[group(j)] as number)),
    outputscale: layout.outputscale !== undefined ? Math.exp(t[layout.outputscale] as number) : 1,
    noise: layout.noise !== undefined ? NOISE_FLOOR + Math.exp(t[layout.noise] as number) : NOISE_FLOOR,
    mean: t[layout.mean] as number,
  });

  const lsPrior = lengthscalePrior(d);
  const groupPrior = (g: number): LogNormal => opts.priors?.lengthscale?.[g] ?? lsPrior;
  const noisePrior = opts.priors?.noise ?? NOISE_PRIOR;
  const osPrior = opts.priors?.outputscale;
  const starts: Float64Array[] = [];
  if (opts.warmStart && opts.warmStart.lengthscales.length === d) starts.push(toTheta(opts.warmStart));
  const modeIndex = starts.length;
  starts.push(
    toTheta({
      lengthscales: Array.from({ length: d }, (_, j) => logNormalMode(groupPrior(group(j)))),
      noise: logNormalMode(noisePrior) + NOISE_FLOOR,
      mean: 0,
      outputscale: osPrior ? Math.exp(osPrior.mu) : 1,
    }),
  );
  const nSamples = opts.priorSamples ?? (opts.warmStart ? 4 : 8);
  for (let s = 0; s < nSamples; s++) {
    starts.push(
      toTheta({
        lengthscales: ((draws) => Array.from({ length: d }, (_, j) => draws[group(j)] as number))(Array.from({ length: nLs }, (_, g) => Math.exp(groupPrior(g).mu + groupPrior(g).sigma * rng.normal()))),
        noise: NOISE_FLOOR + Math.exp(noisePrior.mu + noisePrior.sigma * rng.normal()),
        mean: 0,
        outputscale: osPrior ? Math.exp(osPrior.mu + osPrior.sigma * rng.normal()) : 1,
      }),
    );
  }
  const screened = starts.map((t) => ({ t, f: evaluator.loss(t) })).filter((s) => Number.isFinite(s.f));
  screened.sort((a, b) => a.f - b.f);
  // The warm start (when given) always gets a run: it is usually already near the optimum.
  const runs = opts.restarts ?? (opts.warmStart || Xf.n > 100 ? 1 : 2);
  const chosen = screened.slice(0, runs);
  if (opts.warmStart && screened.length > 0 && !chosen.some((c) => c.t === starts[0])) {
    const warm = screened.find((s) => s.t === starts[0]);
    if (warm) chosen.push(warm);
  }
  if (opts.modeStart && !chosen.some((c) => c.t === starts[modeIndex])) {
    const mode = screened.find((s) => s.t === starts[modeIndex]);
    if (mode) chosen.push(mode);
  }
  let best: { t: Float64Array; f: number } | undefined;
  for (const start of chosen) {
    const res = minimizeLbfgsb((t, g) => evaluator.loss(t, g), start.t, {
      lower,
      upper,
      maxIterations: opts.maxIterations ?? 60,
      pgtol: 1e-4,
      ftol: 1e-8,
    });
    if (Number.isFinite(res.f) && (!best || res.f < best.f)) best = { t: res.x, f: res.f };
  }
  if (!best) {
    // Every start failed to factorise: fall back to a heavily regularised model rather than crash.
    const t = toTheta({ lengthscales: new Array(d).fill(logNormalMode(lsPrior)), noise: 0.1, mean: 0, outputscale: 1 });
    return { hyper: fromTheta(t), loss: evaluator.loss(t) };
  }
  return { hyper: fromTheta(best.t), loss: best.f };
}

/** Convenience: fit a GP (X: n×d in the unit cube, y: n outcomes). */
export function fitGp(X: Matrix, y: ArrayLike<number>, opts: GpFitOptions = {}): GaussianProcess {
  return GaussianProcess.fit(X, y, opts);
}
