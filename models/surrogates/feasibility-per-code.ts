import { fromRows, zeros, type Matrix } from '../linalg/index.ts';
import type { DerivedFeatureMap } from '../transforms/derived-features.ts';
import { fitGpClassifier, type GpClassifier, type GpClassifierHyper } from './gp-classifier.ts';

/**
 * Probability that a recipe succeeds as a product over failure codes (ADR 0048): one ARD GP classifier per code,
 * trained on the feasible observations (class "not this failure") and the failures with that code (observations that
 * failed with another code say nothing about this one and are left out). Each classifier sees the GP features plus the
 * campaign's derived features, so it can find the few inputs a failure depends on (e.g. anneal temperature ×
 * deposition charge, or the complexant/metal ratio). Hyper-parameters can be carried over between rounds and refitted
 * only when a code gains failures (or on a schedule): `previous` and `refit`.
 */
export interface FailureRow {
  features: ArrayLike<number>;
  feasible: boolean;
  /** Failure code of an infeasible row ('UNKNOWN' when none was given). */
  code?: string;
}

export interface PerCodeFeasibility {
  /** log P(feasible) = Σ_codes log P(not this failure) at x (GP features); writes ∂/∂x into `grad` when given. */
  logProbability(x: ArrayLike<number>, grad?: Float64Array): number;
  /** `logProbability` at every row of X (m×D GP features), batched per classifier. */
  logProbabilityBatch(X: Matrix): Float64Array;
  /** Per code: hyper-parameters, training rows, failures. */
  readonly codes: ReadonlyMap<string, { hyper: GpClassifierHyper; n: number; failures: number }>;
  readonly n: number;
}

export interface PerCodeOptions {
  derived: DerivedFeatureMap;
  /** Hyper-parameters of an earlier round per code. */
  previous?: ReadonlyMap<string, GpClassifierHyper>;
  /** Whether a code's hyper-parameters are refitted (default: always); otherwise `previous` is reused when present. */
  refit?: (code: string, failures: number) => boolean;
  /** Training rows per code (failures kept, feasible rows subsampled; default 200). */
  maxPoints?: number;
  seed?: number;
}

export function fitPerCodeFeasibility(rows: readonly FailureRow[], opts: PerCodeOptions): PerCodeFeasibility {
  const codeOf = (r: FailureRow): string => r.code ?? 'UNKNOWN';
  const codes = [...new Set(rows.filter((r) => !r.feasible).map(codeOf))].sort();
  const aug = rows.map((r) => opts.derived.augment(r.features));
  const models: { code: string; model: GpClassifier; failures: number }[] = [];
  codes.forEach((code, k) => {
    const idx = rows.map((r, i) => [r, i] as const).filter(([r]) => r.feasible || codeOf(r) === code);
    const X = fromRows(idx.map(([, i]) => aug[i] as Float64Array));
    const ok = idx.map(([r]) => r.feasible);
    const failures = ok.filter((v) => !v).length;
    const prev = opts.previous?.get(code);
    const reuse = prev !== undefined && opts.refit !== undefined && !opts.refit(code, failures);
    const common = { maxPoints: opts.maxPoints ?? 200, seed: (opts.seed ?? 0) + 31 * k, maxIterations: 30 };
    const model = reuse ? fitGpClassifier(X, ok, { ...common, hyper: prev }) : fitGpClassifier(X, ok, { ...common, ...(prev ? { warmStart: prev } : {}) });
    models.push({ code, model, failures });
  });
  const D = rows[0]?.features.length ?? 0;
  const dim = D + opts.derived.dim;
  const xa = new Float64Array(dim);
  const ga = new Float64Array(dim);
  const gSum = new Float64Array(dim);
  const gz = new Float64Array(D);
  return {
    n: rows.length,
    codes: new Map(models.map((m) => [m.code, { hyper: m.model.hyper, n: m.model.n, failures: m.failures }])),
    logProbability(x, grad) {
      opts.derived.augment(x, xa);
      let lp = 0;
      if (grad) gSum.fill(0);
      for (const m of models) {
        lp += m.model.logProbability(xa, grad ? ga : undefined);
        if (grad) for (let j = 0; j < dim; j++) gSum[j] = (gSum[j] as number) + (ga[j] as number);
      }
      if (grad) {
        opts.derived.pullback(x, gSum, gz);
        for (let j = 0; j < D; j++) grad[j] = gz[j] as number;
      }
      return lp;
    },
    logProbabilityBatch(X) {
      const aug = zeros(X.n, dim);
      for (let r = 0; r < X.n; r++) opts.derived.augment(X.data.subarray(r * X.d, (r + 1) * X.d), aug.data.subarray(r * dim, (r + 1) * dim));
      const lp = new Float64Array(X.n);
      for (const m of models) {
        const v = m.model.logProbabilityBatch(aug);
        for (let r = 0; r < X.n; r++) lp[r] = (lp[r] as number) + (v[r] as number);
      }
      return lp;
    },
  };
}
