import { warpOutcomes } from '../../models/transforms/outcome.ts';
import { Rng } from '../../src/domain/random.ts';
import { selectRows, zeros, type Matrix } from '../../models/linalg/index.ts';
import { createLogEI, createUCB } from '../../models/acquisition/log-ei.ts';
import { createQLogNEI } from '../../models/acquisition/q-log-nei.ts';
import type { AcquisitionFunction } from '../../models/acquisition/types.ts';
import { selectFromPool } from '../../models/optimizers/pool.ts';
import { thompsonSelect } from '../../models/acquisition/thompson.ts';
import { GaussianProcess, type GpHyperparameters } from '../../models/surrogates/gp.ts';
import { augmentedChebyshev, randomSimplexWeights } from '../../models/transforms/scalarise.ts';
import { PRESENCE_THRESHOLD } from '../../models/transforms/search-space.ts';
import type { GpArm, RandomArm } from './arms.ts';
import type { Pool } from './pool.ts';

/**
 * Pool-mode proposers: the acquisition is maximised over the remaining unevaluated rows of the pool (every row
 * scored, nothing snapped). One proposer per campaign; it keeps the previous hyper-parameters for warm starts.
 */
export interface PoolProposal {
  picks: number[];
  /** Milliseconds spent fitting the GP (0 for random) and choosing the rows. */
  fitMs: number;
  acqMs: number;
}

export interface PoolProposer {
  propose(evaluated: readonly number[], q: number): PoolProposal;
}

export function createPoolProposer(arm: GpArm | RandomArm, pool: Pool, seed: number): PoolProposer {
  return arm.kind === 'random' ? randomProposer(pool, seed) : gpProposer(arm, pool, seed);
}

function randomProposer(pool: Pool, seed: number): PoolProposer {
  const rng = new Rng(seed).fork('random-arm');
  return {
    propose(evaluated, q) {
      const t0 = performance.now();
      const done = new Uint8Array(pool.N);
      for (const i of evaluated) done[i] = 1;
      const remaining: number[] = [];
      for (let i = 0; i < pool.N; i++) if (!done[i]) remaining.push(i);
      const picks: number[] = [];
      for (let j = 0; j < q && remaining.length > 0; j++) {
        const k = rng.int(remaining.length);
        picks.push(remaining[k] as number);
        remaining[k] = remaining[remaining.length - 1] as number;
        remaining.pop();
      }
      return { picks, fitMs: 0, acqMs: performance.now() - t0 };
    },
  };
}

/** Pool mean and population standard deviation of the oriented objective (the Liang notebooks' scaling). */
function poolScaling(pool: Pool): { mean: number; std: number } {
  let mean = 0;
  for (const v of pool.y) mean += v;
  mean /= pool.N;
  let ss = 0;
  for (const v of pool.y) ss += (v - mean) ** 2;
  return { mean, std: Math.sqrt(ss / pool.N) || 1 };
}

/**
 * μ + λ·σ² with μ and σ² in pool-standardised units (y − mean_pool)/std_pool: the "LCB" of the published Liang et al.
 * notebooks, which pass GPy's predictive variance where the formula has a standard deviation.
 */
function createVarianceLcb(gp: GaussianProcess, lambda: number, scale: { mean: number; std: number }): AcquisitionFunction {
  const s = gp.standardizer;
  const toPool = (mu: number, variance: number): number => {
    const m = (s.backward(mu) - scale.mean) / scale.std;
    const v = variance * (s.std / scale.std) ** 2;
    return m + lambda * v;
  };
  return {
    name: 'varianceLcb',
    value(x) {
      const p = gp.pointPosterior(x);
      return toPool(p.mean, p.variance);
    },
    evaluateBatch(X) {
      const p = gp.posterior(X);
      return p.mean.map((mu, i) => toPool(mu, p.variance[i] as number));
    },
  };
}

/**
 * The GP's inputs: the pool's features, plus with `arm.presence` one indicator per simplex fraction (1 when the
 * component is in the mixture). The indicators of one simplex group share a lengthscale group of their own.
 */
function modelFeatures(arm: GpArm, pool: Pool): { X: Matrix; groups: number[] } {
  const extra = arm.presence ? pool.simplexFeatures.flat() : [];
  if (extra.length === 0) return { X: pool.X, groups: pool.featureGroups };
  const d0 = pool.X.d;
  const d = d0 + extra.length;
  const X = zeros(pool.N, d);
  for (let i = 0; i < pool.N; i++) {
    for (let j = 0; j < d0; j++) X.data[i * d + j] = pool.X.data[i * d0 + j] as number;
    extra.forEach((j, t) => (X.data[i * d + d0 + t] = (pool.X.data[i * d0 + j] as number) > PRESENCE_THRESHOLD ? 1 : 0));
  }
  const first = Math.max(-1, ...pool.featureGroups) + 1;
  const groups = [...pool.featureGroups, ...pool.simplexFeatures.flatMap((g, k) => g.map(() => first + k))];
  return { X, groups };
}

function gpProposer(arm: GpArm, pool: Pool, seed: number): PoolProposer {
  const features = modelFeatures(arm, pool);
  let hyper: GpHyperparameters | undefined;
  let round = 0;
  const scale = poolScaling(pool);

  if (arm.fit.knownNoise && !pool.replicateNoise) throw new Error(`arm ${arm.name} needs replicate variances, but pool ${pool.name} has no replicates`);
  const fit = (X: Matrix, y: Float64Array, fitSeed: number, rows: readonly number[]): GaussianProcess => {
    const f = arm.fit;
    const noiseVariance = f.knownNoise && pool.replicateNoise ? Float64Array.from(rows, (i) => pool.replicateNoise?.[i] as number) : undefined;
    const refit = hyper === undefined || round % f.refitEvery === 0;
    if (!refit && hyper) return GaussianProcess.fit(X, y, { kernel: arm.kernel, warmStart: hyper, fixedHyperparameters: true, noiseVariance });
    const gp = GaussianProcess.fit(X, y, {
      kernel: arm.kernel,
      noiseVariance,
      learnOutputscale: f.learnOutputscale,
      usePriors: f.usePriors,
      isotropic: f.isotropic,
      lengthscaleGroups: f.shareMixtureLengthscales ? features.groups : undefined,
      modeStart: f.modeStart,
      warmStart: f.warmStart ? hyper : undefined,
      priorSamples: f.priorSamples,
      restarts: f.restarts,
      maxFitPoints: f.maxFitPoints,
      maxIterations: f.maxIterations,
      seed: fitSeed,
    });
    hyper = gp.hyperparameters;
    return gp;
  };

  const baseAcquisition = (gp: GaussianProcess): AcquisitionFunction => {
    if (arm.acquisition === 'ucb') return createUCB(gp, { beta: arm.beta });
    if (arm.acquisition === 'varianceLcb') return createVarianceLcb(gp, arm.beta, scale);
    return createLogEI(gp);
  };

  return {
    propose(evaluated, q) {
      round++;
      const fitSeed = (seed * 1000003 + round * 7919) >>> 0;
      const t0 = performance.now();
      const X = selectRows(features.X, evaluated);
      const y = warpOutcomes(observedTarget(pool, evaluated, fitSeed), arm.warp ?? 'none');
      const gp = fit(X, y, fitSeed, evaluated);
      const t1 = performance.now();
      const skip = new Uint8Array(pool.N);
      for (const i of evaluated) skip[i] = 1;
      const evaluatedMask = Array.from(skip, (v) => v === 1);
      let picks: number[];
      if (arm.acquisition === 'thompson') picks = thompsonPicks(gp, features.X, skip, q, new Rng(fitSeed).fork('thompson'));
      else if (q === 1 || arm.batch === 'believer')
        // Kriging believer: each later member scored on the GP conditioned on the earlier ones at their posterior mean.
        picks = selectFromPool(features.X, q, (pending) => baseAcquisition(gp.fantasize(pending)), { evaluated: evaluatedMask });
      else {
        picks = selectFromPool(features.X, q, (pending) => (pending.n === 0 ? baseAcquisition(gp) : createQLogNEI(gp, { pending, samples: arm.mcSamples, seed: fitSeed })), {
          evaluated: evaluatedMask,
          pending: zeros(0, features.X.d),
        });
      }
      return { picks, fitMs: t1 - t0, acqMs: performance.now() - t1 };
    },
  };
}

/**
 * What the GP models: the oriented objective, or with several objectives a fresh ParEGO scalarisation each round (as
 * the BoAgent does): random simplex weights, augmented Chebyshev over the evaluated rows' objectives.
 */
function observedTarget(pool: Pool, evaluated: readonly number[], fitSeed: number): Float64Array {
  if (pool.objectives.length === 1) return Float64Array.from(evaluated, (i) => pool.y[i] as number);
  const Y = pool.objectives.map((o) => Float64Array.from(evaluated, (i) => o.y[i] as number));
  const rng = new Rng(fitSeed).fork('parego');
  return Float64Array.from(augmentedChebyshev(Y, randomSimplexWeights(Y.length, () => rng.next())));
}

/**
 * Thompson sampling over the remaining rows: joint posterior samples at (a random subset of at most 800 of) the
 * unevaluated rows, one draw per batch member.
 */
function thompsonPicks(gp: GaussianProcess, X: Matrix, skip: Uint8Array, q: number, rng: Rng): number[] {
  let remaining: number[] = [];
  for (let i = 0; i < X.n; i++) if (!skip[i]) remaining.push(i);
  if (remaining.length > 800) remaining = rng.shuffle(remaining).slice(0, 800);
  const picked = thompsonSelect(gp, selectRows(X, remaining), q, rng);
  return picked.map((k) => remaining[k] as number);
}
