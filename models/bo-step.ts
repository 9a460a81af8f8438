import { Rng } from '../src/domain/random.ts';
import { selectRows, type Matrix } from './linalg/index.ts';
import { createLogEI, createUCB } from './acquisition/log-ei.ts';
import { createQLogNEI } from './acquisition/q-log-nei.ts';
import { thompsonSelect } from './acquisition/thompson.ts';
import type { AcquisitionFunction } from './acquisition/types.ts';
import { selectFromPool } from './optimizers/pool.ts';
import { GaussianProcess, type GpFitOptions, type GpHyperparameters } from './surrogates/gp.ts';
import type { KernelKind } from './surrogates/kernels.ts';

/**
 * One Bayesian-optimisation step in pool mode, for benchmark harnesses and offline studies:
 * fit a GP on the evaluated rows, then pick the next q unevaluated rows.
 *
 * pool: N×d in the unit cube (see `scaleToUnitCube`); `evaluated`: row indices already measured, with `y` their
 * outcomes in the same order (maximisation: negate a minimisation target first); `pending`: rows being measured.
 */
export type PoolAcquisition = 'auto' | 'logEI' | 'qLogNEI' | 'ucb' | 'thompson';

export interface PoolStepOptions {
  /** Batch size (default 1). */
  q?: number;
  /** 'auto' (default, = 'ucb'): UCB with pending rows and earlier batch members as fantasies (GP-BUCB); 'qLogNEI': LogEI at q = 1 without pending rows, qLogNEI otherwise; 'logEI': LogEI, pending ignored. */
  acquisition?: PoolAcquisition;
  /** β of UCB (default 4 ≡ LCB λ = 2). */
  ucbBeta?: number;
  /** Default Matérn-5/2. */
  kernel?: KernelKind;
  /** Previous step's hyper-parameters (warm start). */
  warmStart?: GpHyperparameters;
  /** Further GP fit options (e.g. `learnOutputscale`, `maxFitPoints`, `restarts`). */
  gpOptions?: Omit<GpFitOptions, 'kernel' | 'warmStart' | 'noiseVariance' | 'seed'>;
  /** Known noise variance per evaluated row (outcome units²). */
  noiseVariance?: ArrayLike<number>;
  pending?: readonly number[];
  mcSamples?: number;
  /** Thompson sampling draws over at most this many unevaluated rows (random subset; default 1000). */
  thompsonCandidates?: number;
  seed?: number;
}

export interface PoolStepResult {
  /** Chosen row indices into the pool, in batch order. */
  chosen: number[];
  gp: GaussianProcess;
}

export function poolStep(pool: Matrix, evaluated: readonly number[], y: ArrayLike<number>, opts: PoolStepOptions = {}): PoolStepResult {
  if (evaluated.length !== y.length) throw new RangeError('one outcome per evaluated row is needed');
  if (evaluated.length === 0) throw new RangeError('pool mode needs at least one evaluated row (use random or Sobol initial points)');
  const seed = opts.seed ?? 0;
  const q = opts.q ?? 1;
  const gp = GaussianProcess.fit(selectRows(pool, evaluated), y, {
    ...opts.gpOptions,
    kernel: opts.kernel ?? 'matern52',
    warmStart: opts.warmStart,
    noiseVariance: opts.noiseVariance,
    seed,
  });
  const taken = new Array<boolean>(pool.n).fill(false);
  for (const i of evaluated) taken[i] = true;
  const pendingIdx = opts.pending ?? [];
  for (const i of pendingIdx) taken[i] = true;
  const mode = opts.acquisition ?? 'auto';

  if (mode === 'thompson') {
    const rng = new Rng(seed).fork('thompson');
    const free = rng.shuffle(Array.from({ length: pool.n }, (_, i) => i).filter((i) => !taken[i])).slice(0, opts.thompsonCandidates ?? 1000);
    free.sort((a, b) => a - b);
    const picks = thompsonSelect(gp, selectRows(pool, free), q, rng);
    return { chosen: picks.map((k) => free[k] as number), gp };
  }
  const makeAcq = (p: Matrix): AcquisitionFunction => {
    if (mode === 'auto' || mode === 'ucb') return createUCB(gp.fantasize(p), { beta: opts.ucbBeta });
    if (mode === 'logEI' || p.n === 0) return createLogEI(gp);
    return createQLogNEI(gp, { pending: p, samples: opts.mcSamples ?? 128, seed });
  };
  const chosen = selectFromPool(pool, q, makeAcq, { evaluated: taken, pending: selectRows(pool, pendingIdx) });
  return { chosen, gp };
}
