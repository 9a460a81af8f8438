import type { CampaignSpec, Logger, Observation, Recipe, Suggestion } from '../src/domain/index.ts';
import { normaliseRecipe, validateRecipe } from '../src/domain/recipe.ts';
import { silentLogger } from '../src/domain/logger.ts';
import { Rng } from '../src/domain/random.ts';
import { fromRows, vstack, zeros, type Matrix } from '../models/linalg/index.ts';
import { createLogEI, createUCB } from '../models/acquisition/log-ei.ts';
import { createQLogNEI } from '../models/acquisition/q-log-nei.ts';
import { feasibilityTerm, outcomeBoundTerm, withLogProbabilities, type LogProbabilityTerm } from '../models/acquisition/constrained.ts';
import type { AcquisitionFunction } from '../models/acquisition/types.ts';
import { appendRow, isExcluded, optimizeBatch, type AcquisitionOptimum } from '../models/optimizers/optimize-acquisition.ts';
import { thompsonSelect } from '../models/acquisition/thompson.ts';
import { fitFeasibility, type FeasibilityModel } from '../models/surrogates/feasibility.ts';
import { fitPerCodeFeasibility, type PerCodeFeasibility } from '../models/surrogates/feasibility-per-code.ts';
import type { GpClassifierHyper } from '../models/surrogates/gp-classifier.ts';
import { createDerivedFeatures } from '../models/transforms/derived-features.ts';
import { GaussianProcess, type GpFitOptions, type GpHyperparameters } from '../models/surrogates/gp.ts';
import type { KernelKind } from '../models/surrogates/kernels.ts';
import { objectiveSign, resolveWarp, warpOutcomes, type OutcomeWarp } from '../models/transforms/outcome.ts';
import { augmentedChebyshev, randomSimplexWeights } from '../models/transforms/scalarise.ts';
import { createSearchSpace, type SearchSpace } from '../models/transforms/search-space.ts';
import type { AgentContext, AgentReport, ModelSnapshot } from './agent.ts';
import type { ExternalCandidate, JudgingAgent, ScoredCandidate, SuggestAmongOptions } from './candidates.ts';
import { createSobolDesign } from './sobol-agent.ts';
import { createInitialDesign, type InitialDesignKind } from './initial-design.ts';
import { predictedAt, rankRows, scoreRows, type BatchJudge, type BatchScores } from './bo-batch-score.ts';
import { gpPriorOptions, type BoGpPriors } from './bo-gp-priors.ts';
import { spaceFillingCandidate } from '../models/acquisition/space-filling.ts';
import { thompsonProposals, type BoThompsonOptions } from './bo-thompson.ts';
import { priorMeanBasis } from './bo-prior-mean.ts';
import { TrustRegion } from '../models/acquisition/trust-region.ts';
import { RecipeLibrary } from './recipe-library.ts';

/** An optimiser's optimum, or a space-filling exploration proposal with its mixture distance to the nearest measured. */
type OwnOptimum = AcquisitionOptimum & { explore?: { distance: number }; thompson?: boolean };

/**
 * Bayesian-optimisation agent: a scrambled-Sobol initial design (spec.strategy.initialTrials; over the mixtures' maximal
 * support faces with `initialDesign: 'faces'`, ADR 0119), then an exact GP per
 * objective (BoTorch priors, Matérn-5/2 with one lengthscale per simplex parameter and per other input column, warm-started refits) and by default UCB with β = 4 (LCB λ = 2);
 * pending trials and earlier batch members enter as posterior-mean fantasies, so UCB becomes GP-BUCB (ADR 0043).
 * LogEI / qLogNEI and Thompson sampling are options. Failure regions (a feasibility classifier learnt from failed
 * trials) and objective thresholds add log P(success) to the acquisition. Several objectives are scalarised ParEGO-style (random augmented Chebyshev
 * weights per call). Every fit produces a model snapshot (hyper-parameters, n, leave-one-out RMSE and parity).
 */
export interface BoAgentOptions {
  /** Initial design: scrambled Sobol (default) or over the mixtures' maximal support faces (ADR 0119; Sobol without a mixture). */
  initialDesign?: InitialDesignKind;
  /** Default Matérn-5/2 (ADR 0043). */
  kernel?: KernelKind;
  /** 'auto' (= 'ucb'): UCB, with pending trials and batch members as fantasies (GP-BUCB). 'qLogNEI': LogEI at q = 1 without pending trials, qLogNEI otherwise. 'logEI': LogEI, pending ignored. */
  acquisition?: 'auto' | 'logEI' | 'qLogNEI' | 'ucb' | 'thompson';
  /** β of UCB (default 4, i.e. LCB with λ = 2). */
  ucbBeta?: number;
  rawSamples?: number;
  restarts?: number;
  mcSamples?: number;
  maxFitPoints?: number;
  /**
   * The fractions of a simplex parameter share one lengthscale (default true, ADR 0044); every other input column has
   * its own (ARD). False gives every column its own.
   */
  shareMixtureLengthscales?: boolean;
  /**
   * Monotone warp of the target the acquisition maximises (default 'auto': the normal scores of the ranks when the
   * target is skewed towards the bad side, none otherwise; ADR 0045).
   * The per-objective GPs behind predictions, thresholds and model snapshots stay in the objectives' own units.
   */
  outcomeWarp?: OutcomeWarp;
  /** A component-present indicator per mixture component as a GP input (default true, ADR 0045). */
  mixturePresence?: boolean;
  /**
   * Every this many model fits, also refit the hyper-parameters cold (multi-start from the prior) and keep the better
   * MAP fit (default 5; 0 = warm starts only; ADR 0047).
   */
  coldRefitEvery?: number;
  /**
   * Feasibility model: one ARD GP classifier per failure code over the features and the campaign's derived features
   * (default 'per-code', ADR 0048), or the single isotropic classifier over all features ('isotropic').
   */
  feasibility?: 'per-code' | 'isotropic';
  /** Hyper-parameter priors stated by the campaign: learnt outputscale, measurement noise, mixture lengthscale (ADR 0052). */
  gpPriors?: BoGpPriors;
  /**
   * Share of the proposals (0 … 0.5, default 0) that explore mixtures far from every measured or pending one, at the
   * incumbent's other parameters, among recipes the feasibility model accepts (ADR 0052).
   */
  exploreShare?: number;
  /**
   * Thompson sampling over candidates drawn from the faces of the dispensable set and around the model-estimated
   * leaders (ADR 0053): with `acquisition: 'thompson'` every proposal, otherwise `share` of them (default: off).
   */
  thompson?: BoThompsonOptions;
  /** Further GP options (e.g. `learnOutputscale`, `usePriors`, `restarts`). */
  gpOptions?: Omit<GpFitOptions, 'kernel' | 'warmStart' | 'seed' | 'noiseVariance'>;
  /** Never propose a recipe already observed (default true). */
  excludeObserved?: boolean;
  /** Related results whose kernel regression is the primary objective's GP prior mean, weight fitted (ADR 0118). */
  priorMeanRows?: readonly Observation[];
  /**
   * A finite library of recipes (a printed plate, a benchmark pool): every proposal is one of its rows not yet observed
   * or pending — the acquisition is maximised over those rows, design points and external candidates are moved to the
   * nearest of them — and the campaign's space only encodes them (ADR 0122). Thompson sampling and the space-filling
   * share do not apply. When every row is spent, no proposal is made.
   */
  library?: readonly Recipe[];
  logger?: Logger;
}

/** Matérn-5/2 ARD: on the benchmark pools it needs fewer experiments than RBF with the same acquisition (ADR 0043). */
export const DEFAULT_KERNEL: KernelKind = 'matern52';

/** Model snapshots compute leave-one-out predictions on at most this many observations. */
export const LOO_MAX_POINTS = 300;

/**
 * Above this many observations the acquisition search uses 128 raw samples and 3 restarts of at most 25 L-BFGS
 * iterations (256, 6 × 40 below); above twice as many, 64 raw samples and 3 × 20 iterations (ADR 0049).
 */
export const LARGE_N = 300;
// Above 2·LARGE_N hyper-parameters are fitted on a 200-point subset (300 below) unless `maxFitPoints` says otherwise.

/** How well a BO agent's encoding predicts its own data: what an encoding choice by evidence compares (ADR 0058). */
export interface EncodingEvidence {
  /**
   * Refits the first objective's GP on the feasible observations (warm-started, as a round would) and returns its mean
   * leave-one-out log predictive density per observation, in model space (the standardised objective, identical for
   * every encoding of the same data); undefined below 3 feasible observations. Above LOO_MAX_POINTS observations, on a
   * seeded subset of that size.
   */
  looEvidence(): number | undefined;
}

export function createBoAgent(ctx: AgentContext, opts: BoAgentOptions = {}): JudgingAgent & BatchJudge & EncodingEvidence {
  const spec = ctx.spec;
  const space = createSearchSpace(spec, { presence: opts.mixturePresence ?? true });
  const warp = opts.outcomeWarp ?? 'auto';
  const log = (opts.logger ?? silentLogger).child({ agent: 'bo' });
  const design = createInitialDesign(opts.initialDesign ?? 'sobol', spec, ctx.seed, space);
  const rng = new Rng(ctx.seed).fork('bo-agent');
  const observations: Observation[] = [];
  const warm = new Map<string, GpHyperparameters>();
  let designIssued = 0;
  let fitCount = 0;
  let snapshot: ModelSnapshot | undefined;
  // Derived features whose parameters are not in this space (an unvalidated, edited spec) are left out.
  const numericNames = new Set(space.layout.filter((b) => b.kind === 'continuous' || b.kind === 'integer').map((b) => b.name));
  const derived = createDerivedFeatures(
    space,
    (spec.derivedFeatures ?? []).filter((f) => f.ratio.every((k) => numericNames.has(k))),
  );
  const priorMean = opts.priorMeanRows ? priorMeanBasis(spec, space, opts.priorMeanRows) : undefined;
  const library = opts.library ? new RecipeLibrary(space, opts.library) : undefined;
  /** The rows no observation (feasible or not) has spent, recomputed only when observations arrive. */
  let unspentMemo: { observations: number; rows: number[] } | undefined;
  const unspentRows = (lib: RecipeLibrary): number[] => {
    if (unspentMemo?.observations !== observations.length) unspentMemo = { observations: observations.length, rows: lib.available(observations.map((o) => space.encode(o.recipe))) };
    return unspentMemo.rows;
  };
  /** The library's rows not observed and not spent by the `pending` encodings. */
  const libraryAvailable = (lib: RecipeLibrary, pending: readonly ArrayLike<number>[]): number[] => {
    const unspent = unspentRows(lib);
    if (pending.length === 0) return unspent;
    const gone = new Set(lib.spentBy(pending));
    return unspent.filter((r) => !gone.has(r));
  };
  // The prior mean is of the primary objective: its GP, and the acquisition's target when that is the objective warped.
  const withPriorMean = (name: string): boolean => name === spec.objectives[0]?.name || (name === '__target' && spec.objectives.length === 1);
  const feasHyper = new Map<string, GpClassifierHyper>();
  const feasFailures = new Map<string, number>();

  const feasibleRows = (): { X: Matrix; Y: number[][]; noise: (number[] | undefined)[] } => {
    const rows: Float64Array[] = [];
    const Y: number[][] = spec.objectives.map(() => []);
    const noise: (number[] | undefined)[] = spec.objectives.map(() => []);
    for (const o of observations) {
      if (!o.feasible) continue;
      rows.push(space.encode(o.recipe));
      spec.objectives.forEach((obj, k) => {
        (Y[k] as number[]).push(objectiveSign(obj) * (o.objectives[obj.name] as number));
        // Known replicate variances are used only when every observation of this objective has one.
        const v = o.noiseVariance?.[obj.name];
        if (v === undefined || !Number.isFinite(v)) noise[k] = undefined;
        else noise[k]?.push(v);
      });
    }
    return { X: rows.length > 0 ? fromRows(rows) : zeros(0, space.featureDim), Y, noise };
  };

  /**
   * MAP fit warm-started from the previous round's hyper-parameters; every `coldRefitEvery`-th round also a cold
   * multi-start fit from the prior (on the same fit subset), keeping the lower MAP loss (ADR 0047): a warm start
   * alone stays in the basin it once found (e.g. a near-interpolating fit with too little noise).
   */
  const fitObjective = (name: string, X: Matrix, y: number[], seed: number, noiseVariance?: number[], primary?: readonly number[]): GaussianProcess => {
    const prev = warm.get(name);
    const lengthscaleGroups = opts.shareMixtureLengthscales === false ? undefined : space.featureGroups;
    const maxFitPoints = opts.maxFitPoints ?? (X.n > 2 * LARGE_N ? 200 : undefined);
    const priors = gpPriorOptions(space, lengthscaleGroups, opts.gpPriors, primary);
    const base = { lengthscaleGroups, ...priors, ...opts.gpOptions, kernel: opts.kernel ?? DEFAULT_KERNEL, seed, maxFitPoints, noiseVariance, ...(priorMean && withPriorMean(name) ? { priorMean } : {}) };
    let gp = GaussianProcess.fit(X, y, { ...base, warmStart: prev });
    const every = opts.coldRefitEvery ?? 5;
    if (prev && every > 0 && fitCount % every === 0) {
      const cold = GaussianProcess.fit(X, y, { priorSamples: 16, restarts: 3, modeStart: true, ...base });
      if (cold.fitLoss < gp.fitLoss) gp = cold;
    }
    warm.set(name, gp.hyperparameters);
    return gp;
  };

  const makeSnapshot = (gps: GaussianProcess[], n: number): ModelSnapshot => {
    const hyperparameters: Record<string, unknown> = {};
    spec.objectives.forEach((obj, k) => {
      const gp = gps[k] as GaussianProcess;
      const h = gp.hyperparameters;
      hyperparameters[obj.name] = {
        kernel: h.kernel,
        lengthscales: Object.fromEntries(space.featureNames.map((f, j) => [f, h.lengthscales[j]])),
        noise: h.noise,
        outputscale: h.outputscale,
        mean: h.mean,
        outcomeMean: objectiveSign(obj) * gp.standardizer.mean,
        outcomeStd: gp.standardizer.std,
        ...(h.priorWeight !== undefined ? { priorWeight: h.priorWeight } : {}),
      };
    });
    const first = gps[0] as GaussianProcess;
    const sign = objectiveSign(spec.objectives[0] as { direction: 'minimize' | 'maximize' });
    // Leave-one-out needs the inverse of the factor (O(n³)): above LOO_MAX_POINTS it is computed within a seeded
    // subset of that size (same hyper-parameters), which keeps proposals at n = 1000 fast.
    const loo = (n > LOO_MAX_POINTS ? first.subset(new Rng(n).shuffle(Array.from({ length: first.n }, (_, i) => i)).slice(0, LOO_MAX_POINTS).sort((a, b) => a - b)) : first).leaveOneOut();
    let sse = 0;
    const parity: { observed: number; predicted: number; sd: number }[] = [];
    for (let i = 0; i < loo.mean.length; i++) {
      sse += ((loo.mean[i] as number) - (loo.observed[i] as number)) ** 2;
      parity.push({ observed: sign * (loo.observed[i] as number), predicted: sign * (loo.mean[i] as number), sd: loo.sd[i] as number });
    }
    return { snapshotId: ctx.newId(), agent: 'bo', n, hyperparameters, looRmse: Math.sqrt(sse / Math.max(1, loo.mean.length)), parity };
  };

  /**
   * Sequential greedy batch; when every candidate duplicates an observed recipe (a tiny, exhausted space), repeats
   * are allowed rather than failing the campaign.
   */
  const optimizeWithFallback = (q: number, makeAcq: (p: Matrix) => AcquisitionFunction, seed: number, pendingX: Matrix, observed: Matrix | undefined): AcquisitionOptimum[] => {
    // Above LARGE_N observations every acquisition evaluation costs O(n²): fewer, shorter local searches.
    const nObs = observed?.n ?? 0;
    const large = nObs > LARGE_N;
    const veryLarge = nObs > 2 * LARGE_N;
    const restarts = opts.restarts ?? (large ? 3 : undefined);
    const maxIterations = veryLarge ? 20 : large ? 25 : undefined;
    const rawSamples = opts.rawSamples ?? (veryLarge ? 64 : large ? 128 : undefined);
    const run = (obs: Matrix | undefined, minDistance?: number) =>
      optimizeBatch(space, q, makeAcq, { seed, pending: pendingX, observed: obs, rawSamples, restarts, maxIterations, minDistance });
    try {
      return run(observed);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'no new recipe left in the search space; allowing repeats');
      return run(undefined, 0);
    }
  };

  /** Everything one round of proposals needs: the fitted GPs, the acquisition's target and its constraint terms. */
  interface RoundModel {
    X: Matrix;
    gps: GaussianProcess[];
    target: GaussianProcess;
    terms: LogProbabilityTerm[];
    feas: FeasibilityModel | PerCodeFeasibility | undefined;
    seed: number;
    makeAcq: (pending: Matrix) => AcquisitionFunction;
    /** `makeAcq` without the log-probability terms (batched scoring adds them itself: agents/bo-batch-score.ts). */
    makeBase: (pending: Matrix) => AcquisitionFunction;
    ucb: { target: GaussianProcess; beta: number } | undefined;
  }
  let lastRound: { observations: number; model: RoundModel } | undefined;

  const prepareRound = (): RoundModel => {
    const { X, Y, noise } = feasibleRows();
    fitCount++;
    const seed = (ctx.seed * 1000003 + fitCount * 7919) >>> 0;
    const gps = spec.objectives.map((obj, k) => fitObjective(obj.name, X, Y[k] as number[], seed + k, noise[k], k === 0 ? (Y[0] as number[]) : undefined));
    snapshot = makeSnapshot(gps, X.n);

    // What the acquisition maximises: the single objective, or a ParEGO scalarisation of several, warped (ADR 0045);
    // without a warp, a single objective's own GP.
    const several = spec.objectives.length > 1;
    let target = gps[0] as GaussianProcess;
    const raw = several ? augmentedChebyshev(Y, randomSimplexWeights(Y.length, () => rng.next())) : (Y[0] as number[]);
    const resolved = resolveWarp(raw, warp);
    if (several || resolved !== 'none') target = fitObjective('__target', X, Array.from(warpOutcomes(raw, resolved)), seed + 101, undefined, Y[0] as number[]);

    const terms: LogProbabilityTerm[] = [];
    const infeasible = observations.filter((o) => !o.feasible);
    let feas: FeasibilityModel | PerCodeFeasibility | undefined;
    if (infeasible.length > 0) {
      if ((opts.feasibility ?? 'per-code') === 'per-code') {
        // Hyper-parameters per failure code are refitted when the code gains failures, and every 5th round.
        const counts = new Map<string, number>();
        for (const o of infeasible) counts.set(o.failureCode ?? 'UNKNOWN', (counts.get(o.failureCode ?? 'UNKNOWN') ?? 0) + 1);
        const perCode = fitPerCodeFeasibility(
          observations.map((o) => ({ features: space.encode(o.recipe), feasible: o.feasible, ...(o.feasible ? {} : { code: o.failureCode ?? 'UNKNOWN' }) })),
          { derived, previous: feasHyper, refit: (code, failures) => failures !== feasFailures.get(code) || fitCount % 5 === 0, seed },
        );
        for (const [code, c] of perCode.codes) {
          feasHyper.set(code, c.hyper);
          feasFailures.set(code, counts.get(code) ?? c.failures);
        }
        feas = perCode;
      } else feas = fitFeasibility(fromRows(observations.map((o) => space.encode(o.recipe))), observations.map((o) => o.feasible), { seed });
      terms.push(feasibilityTerm(feas));
    }
    spec.objectives.forEach((obj, k) => {
      if (obj.threshold === undefined) return;
      const gp = gps[k] as GaussianProcess;
      terms.push(outcomeBoundTerm(gp, gp.standardizer.forward(objectiveSign(obj) * obj.threshold)));
    });
    const mode = opts.acquisition ?? 'auto';
    const makeBase = (p: Matrix): AcquisitionFunction => {
      // Thompson sampling has no acquisition value to compare candidates by; UCB stands in when one is needed.
      if (mode === 'auto' || mode === 'ucb' || mode === 'thompson') return createUCB(target.fantasize(p), { beta: opts.ucbBeta });
      if (mode === 'logEI' || (mode === 'qLogNEI' && p.n === 0)) return createLogEI(target);
      return createQLogNEI(target, { pending: p, samples: opts.mcSamples ?? 128, seed });
    };
    const makeAcq = (p: Matrix): AcquisitionFunction => withLogProbabilities(makeBase(p), terms);
    const ucb = mode === 'auto' || mode === 'ucb' || mode === 'thompson' ? { target, beta: opts.ucbBeta ?? 4 } : undefined;
    const model = { X, gps, target, terms, feas, seed, makeAcq, makeBase, ucb };
    lastRound = { observations: observations.length, model };
    return model;
  };

  const encodeAll = (recipes: readonly Recipe[], what: string): Matrix => {
    const rows: Float64Array[] = [];
    for (const r of recipes) {
      try {
        rows.push(space.encode(r));
      } catch (e) {
        log.warn({ err: (e as Error).message }, `${what} recipe cannot be encoded; ignored`);
      }
    }
    return rows.length > 0 ? fromRows(rows) : zeros(0, space.featureDim);
  };

  const predictAt = (m: RoundModel, features: Float64Array): Record<string, { mean: number; sd: number }> => {
    const predicted: Record<string, { mean: number; sd: number }> = {};
    spec.objectives.forEach((obj, k) => {
      const pr = (m.gps[k] as GaussianProcess).predict(fromRows([features]));
      predicted[obj.name] = { mean: objectiveSign(obj) * (pr.mean[0] as number), sd: pr.sd[0] as number };
    });
    return predicted;
  };

  const toSuggestion = (m: RoundModel, o: OwnOptimum, others: number): Suggestion => {
    const mode = opts.acquisition ?? 'auto';
    const predicted = predictAt(m, o.features);
    const first = spec.objectives[0] as { name: string; unit: string };
    const pf = m.feas ? Math.exp(m.feas.logProbability(o.features)) : undefined;
    const p0 = predicted[first.name] as { mean: number; sd: number };
    const how = o.explore
      ? `Explores a mixture ${o.explore.distance.toFixed(2)} away from every measured or pending one, at the incumbent's other parameters (space-filling share ${opts.exploreShare}); GP on ${m.X.n} feasible observations`
      : `${mode === 'thompson' || o.thompson ? 'Thompson sample' : `Maximises ${acqLabel(mode, others, opts.ucbBeta ?? 4)}`} of a GP on ${m.X.n} feasible observations`;
    const rationale =
      `${how}: ` +
      `${first.name} predicted ${fmt(p0.mean)} ± ${fmt(p0.sd)} ${first.unit}` +
      (others > 0 ? `, chosen jointly with ${others} pending or batch trial(s)` : '') +
      (pf !== undefined ? `, probability of success ≈ ${pf.toFixed(2)}` : '') +
      '.';
    return { id: ctx.newId(), recipe: o.recipe, proposer: 'bo' as const, rationale, acquisitionValue: o.value, modelSnapshotId: snapshot?.snapshotId, predicted };
  };

  /** Greedy batch over the library's unspent rows by the round's acquisition, earlier members as pending (ADR 0122). */
  const libraryOptima = (lib: RecipeLibrary, m: RoundModel, q: number, pendingX: Matrix): OwnOptimum[] => {
    let avail = libraryAvailable(lib, matrixRows(pendingX));
    const out: OwnOptimum[] = [];
    let p = pendingX;
    const objectives = spec.objectives.map((o) => ({ name: o.name, sign: objectiveSign(o) }));
    while (out.length < q && avail.length > 0) {
      const { index, scores } = rankRows(m, objectives, lib.gather(avail), p, 1);
      const k = index[0] as number;
      const row = avail[k] as number;
      const features = lib.row(row);
      out.push({ features, recipe: lib.recipes[row] as Recipe, value: scores.acquisition[0] as number });
      p = appendRow(p, features);
      avail = avail.filter((_, i) => i !== k);
    }
    return out;
  };

  // Thompson places accrue `thompson.share` per proposal when the acquisition is not Thompson itself (ADR 0053).
  let thompsonCredit = 0;
  const trustRegion = opts.thompson?.trustRegion ? new TrustRegion(opts.thompson.radius !== undefined ? { initial: opts.thompson.radius } : {}) : undefined;
  const modelOptima = (m: RoundModel, q: number, pendingX: Matrix): OwnOptimum[] => {
    if (q <= 0) return [];
    const excludeOf = (p: Matrix): Matrix => (opts.excludeObserved === false ? p : vstack([p, m.X], space.featureDim));
    const ts = opts.thompson;
    if ((opts.acquisition ?? 'auto') === 'thompson' && !ts) return thompsonBatch(space, m.target, q, m.terms, rng, m.seed, excludeOf(pendingX));
    const share = (opts.acquisition ?? 'auto') === 'thompson' ? 1 : Math.min(1, Math.max(0, ts?.share ?? 0));
    thompsonCredit += share * q;
    const nTs = Math.min(q, Math.floor(thompsonCredit + 1e-9));
    thompsonCredit -= nTs;
    const out: OwnOptimum[] = nTs < q ? optimizeWithFallback(q - nTs, m.makeAcq, m.seed, pendingX, opts.excludeObserved === false ? undefined : m.X) : [];
    if (nTs === 0) return out;
    let taken = pendingX;
    for (const o of out) taken = appendRow(taken, o.features);
    let options = ts ?? {};
    if (trustRegion) {
      // The round's success: the best posterior mean of the primary objective over the measured recipes (model units).
      const mu = (m.gps[0] as GaussianProcess).posterior(m.X).mean;
      options = { ...options, radius: trustRegion.update(mu.reduce((a, b) => Math.max(a, b), -Infinity), 0.01) };
    }
    const sampled = thompsonProposals({ space, target: m.target, X: m.X, pending: taken, exclude: excludeOf(taken), q: nTs, terms: m.terms, rng, options });
    // Every candidate excluded (an exhausted space): the acquisition optimiser fills up.
    if (sampled.length < nTs) sampled.push(...optimizeWithFallback(nTs - sampled.length, m.makeAcq, m.seed + 1, vstack([taken, ...sampled.map((o) => fromRows([o.features]))], space.featureDim), opts.excludeObserved === false ? undefined : m.X));
    return [...out, ...sampled.map((o) => ({ ...o, thompson: true }))];
  };

  // Exploration places accrue `exploreShare` per proposal; a whole one becomes a space-filling proposal (ADR 0052).
  let exploreCredit = 0;
  const ownOptima = (m: RoundModel, q: number, pendingX: Matrix): OwnOptimum[] => {
    if (library) return libraryOptima(library, m, q, pendingX);
    const share = Math.min(0.5, Math.max(0, opts.exploreShare ?? 0));
    exploreCredit += share * q;
    const nExplore = Math.min(q, Math.floor(exploreCredit + 1e-9));
    exploreCredit -= nExplore;
    const out = modelOptima(m, q - nExplore, pendingX);
    if (nExplore === 0) return out;
    // The incumbent: the measured recipe with the best posterior mean of the target.
    const mu = m.target.posterior(m.X).mean;
    let inc = 0;
    for (let i = 1; i < mu.length; i++) if ((mu[i] as number) > (mu[inc] as number)) inc = i;
    const anchor = m.X.data.slice(inc * m.X.d, (inc + 1) * m.X.d);
    let taken = vstack([m.X, pendingX], space.featureDim);
    for (const o of out) taken = appendRow(taken, o.features);
    const feas = m.feas;
    for (let k = 0; k < nExplore; k++) {
      const { features, distance } = spaceFillingCandidate(space, { taken, anchor, rng, ...(feas ? { logFeasible: (f: Float64Array) => feas.logProbability(f) } : {}) });
      const recipe = space.decode(features);
      const f = space.encode(recipe);
      out.push({ features: f, recipe, value: m.makeAcq(taken).value(f), explore: { distance } });
      taken = appendRow(taken, f);
    }
    return out;
  };

  const boSuggest = (q: number, pending: Recipe[]): Suggestion[] => {
    const m = prepareRound();
    const pendingX = encodeAll(pending, 'pending');
    return ownOptima(m, q, pendingX).map((o, j) => toSuggestion(m, o, pendingX.n + j));
  };

  /** An external candidate as it would be dispensed: snapped into the space and valid, or undefined (logged). */
  const dispensableCandidate = (c: ExternalCandidate): { candidate: ExternalCandidate; features: Float64Array } | undefined => {
    try {
      const recipe = normaliseRecipe(spec, c.recipe);
      const issues = validateRecipe(spec, recipe);
      if (issues.length > 0) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
      let features = space.encode(recipe);
      if (library) {
        const row = library.nearest(features, unspentRows(library));
        if (row < 0) throw new Error('every row of the library is spent');
        features = library.row(row);
        return { candidate: { ...c, recipe: library.recipes[row] as Recipe }, features };
      }
      return { candidate: { ...c, recipe: space.decode(features) }, features };
    } catch (e) {
      log.warn({ proposer: c.proposer, err: (e as Error).message }, 'external candidate is not a recipe of this search space; ignored');
      return undefined;
    }
  };

  /** Greedy batch over the optimiser's own optima and the external candidates (see agents/candidates.ts). */
  /** Batched scores of encoded candidates by the current round's model (ADR 0085). */
  const scoreFeatures = (X: Matrix, pending: readonly Recipe[]): BatchScores => {
    if (!observations.some((obs) => obs.feasible)) return { acquisition: new Float64Array(X.n), predicted: [] };
    const m = lastRound && lastRound.observations === observations.length ? lastRound.model : prepareRound();
    return scoreRows(m, spec.objectives.map((o) => ({ name: o.name, sign: objectiveSign(o) })), X, encodeAll(pending, 'pending'));
  };
  const rankFeatures = (X: Matrix, pending: readonly Recipe[], top: number): { index: Int32Array; scores: BatchScores } => {
    if (!observations.some((obs) => obs.feasible)) return { index: Int32Array.from({ length: Math.min(top, X.n) }, (_, i) => i), scores: { acquisition: new Float64Array(Math.min(top, X.n)), predicted: [] } };
    const m = lastRound && lastRound.observations === observations.length ? lastRound.model : prepareRound();
    return rankRows(m, spec.objectives.map((o) => ({ name: o.name, sign: objectiveSign(o) })), X, encodeAll(pending, 'pending'), top);
  };

  const suggestAmongModel = (q: number, pending: Recipe[], external: readonly ExternalCandidate[], maxExternal: number): Suggestion[] => {
    const m = prepareRound();
    let pendingX = encodeAll(pending, 'pending');
    const own = ownOptima(m, q, pendingX).map((o) => ({ kind: 'own' as const, o }));
    const ext = external.flatMap((c) => {
      const d = dispensableCandidate(c);
      return d ? [{ kind: 'external' as const, c: d.candidate, features: d.features }] : [];
    });
    const observedX = opts.excludeObserved === false ? undefined : m.X;
    const out: Suggestion[] = [];
    const taken = new Set<number>();
    let nExternal = 0;
    const pool = [...own.map((e) => ({ ...e, features: e.o.features })), ...ext];
    while (out.length < q) {
      const acq = m.makeAcq(pendingX);
      let best = -1;
      let bestV = -Infinity;
      pool.forEach((e, i) => {
        if (taken.has(i)) return;
        if (e.kind === 'external' && nExternal >= maxExternal) return;
        if (isExcluded(e.features, pendingX, 1e-4) || isExcluded(e.features, observedX, 1e-4)) return;
        const v = acq.value(e.features);
        if (Number.isFinite(v) && (best < 0 || v > bestV)) {
          best = i;
          bestV = v;
        }
      });
      if (best < 0) break;
      taken.add(best);
      const e = pool[best] as (typeof pool)[number];
      const others = pendingX.n;
      if (e.kind === 'own') out.push(toSuggestion(m, { ...e.o, value: bestV }, others));
      else {
        nExternal++;
        const predicted = predictAt(m, e.features);
        const first = spec.objectives[0] as { name: string; unit: string };
        const p0 = predicted[first.name] as { mean: number; sd: number };
        out.push({
          id: ctx.newId(),
          recipe: e.c.recipe,
          proposer: e.c.proposer,
          rationale: `${e.c.rationale} Chosen over the optimiser's own candidates by ${acqLabel(opts.acquisition ?? 'auto', others, opts.ucbBeta ?? 4)} (${first.name} predicted ${fmt(p0.mean)} ± ${fmt(p0.sd)} ${first.unit}).`,
          acquisitionValue: bestV,
          modelSnapshotId: snapshot?.snapshotId,
          ...(e.c.sourceId !== undefined ? { sourceId: e.c.sourceId } : {}),
          predicted,
        });
      }
      pendingX = appendRow(pendingX, e.features);
    }
    // Every pooled candidate was excluded (an exhausted space): fill up with the optimiser's own fallback.
    if (out.length < q) out.push(...boSuggest(q - out.length, [...pending, ...out.map((s) => s.recipe)]));
    return out;
  };

  const designSuggestions = (n: number, pending: readonly Recipe[]): Suggestion[] => {
    const nFeasible = observations.filter((o) => o.feasible).length;
    const out: Suggestion[] = [];
    // Observations count towards the design too, so an agent rebuilt from stored observations (a resumed campaign)
    // does not start a second initial design.
    const designLeft = Math.max(0, spec.strategy.initialTrials - Math.max(designIssued, observations.length));
    const nDesign = nFeasible === 0 ? n : Math.min(n, designLeft);
    // With a library, each design point becomes the nearest row not yet observed, pending or chosen.
    const taken = library ? matrixRows(encodeAll(pending, 'pending')) : [];
    for (let i = 0; i < nDesign; i++) {
      const p = design(++designIssued);
      if (!library) {
        out.push({ id: ctx.newId(), recipe: p.recipe, proposer: 'sobol', rationale: p.rationale });
        continue;
      }
      const row = library.nearest(space.encode(p.recipe), libraryAvailable(library, taken));
      if (row < 0) break;
      taken.push(library.row(row));
      out.push({ id: ctx.newId(), recipe: library.recipes[row] as Recipe, proposer: 'sobol', rationale: `${p.rationale} Moved to the nearest recipe of the library (row ${row + 1}).` });
    }
    return out;
  };

  return {
    name: 'bo',
    async ingest(obs: Observation[]) {
      validateObservations(spec, space, obs);
      observations.push(...obs);
    },
    async suggest(n: number, pending: Recipe[]): Promise<Suggestion[]> {
      if (!(n > 0)) return [];
      const out = designSuggestions(n, pending);
      if (out.length < n) {
        const t0 = performance.now();
        out.push(...boSuggest(n - out.length, [...pending, ...out.map((s) => s.recipe)]));
        log.debug({ q: n, ms: Math.round(performance.now() - t0) }, 'bo proposals');
      }
      return out;
    },
    async suggestAmong(n: number, pending: readonly Recipe[], external: readonly ExternalCandidate[], o: SuggestAmongOptions = {}): Promise<Suggestion[]> {
      if (!(n > 0)) return [];
      const maxExternal = Math.max(0, Math.min(n, o.maxExternal ?? n));
      const design = designSuggestions(n, pending);
      // During the initial design there is no model to judge by: external candidates (in the caller's order) take up
      // to maxExternal of the design's places, which is where a planner's or a prior model's knowledge helps most.
      const out: Suggestion[] = [];
      let usedExternal = 0;
      const snapped = external.flatMap((c) => {
        const d = dispensableCandidate(c);
        return d ? [d.candidate] : [];
      });
      for (const s of design) {
        const c = usedExternal < maxExternal ? snapped[usedExternal] : undefined;
        if (c) {
          usedExternal++;
          out.push({ id: s.id, recipe: c.recipe, proposer: c.proposer, rationale: `${c.rationale} Placed in the initial design instead of a Sobol point.`, ...(c.sourceId !== undefined ? { sourceId: c.sourceId } : {}) });
        } else out.push(s);
      }
      if (out.length < n) out.push(...suggestAmongModel(n - out.length, [...pending, ...out.map((s) => s.recipe)], snapped.slice(usedExternal), maxExternal - usedExternal));
      return out;
    },
    async score(recipes: readonly Recipe[], pending: readonly Recipe[]): Promise<ScoredCandidate[]> {
      // With a library each recipe is judged as the nearest row not observed or pending (the nearest row of all, scored
      // −∞, once every row is spent).
      const avail = library ? libraryAvailable(library, matrixRows(encodeAll(pending, 'pending'))) : [];
      const spentOut = new Set<number>();
      const encode = (r: Recipe): Float64Array => {
        const f = space.encode(normaliseRecipe(spec, r));
        if (!library) return f;
        const row = library.nearest(f, avail.length > 0 ? avail : library.allRows);
        if (avail.length === 0) spentOut.add(row);
        return library.row(row);
      };
      if (!observations.some((obs) => obs.feasible)) return recipes.map((recipe) => ({ recipe: library ? space.decode(encode(recipe)) : recipe, acquisitionValue: 0, predicted: {} }));
      if (recipes.length === 0) return [];
      const X = fromRows(recipes.map(encode));
      const s = scoreFeatures(X, pending);
      if (spentOut.size > 0) s.acquisition.fill(-Infinity);
      return recipes.map((_, i) => {
        const scored: ScoredCandidate = { recipe: space.decode(X.data.subarray(i * X.d, (i + 1) * X.d)), acquisitionValue: s.acquisition[i] as number, predicted: predictedAt(s, i) };
        if (s.feasibility) scored.feasibility = s.feasibility[i] as number;
        return scored;
      });
    },
    space,
    scoreFeatures,
    rankFeatures,
    looEvidence(): number | undefined {
      const { X, Y, noise } = feasibleRows();
      if (X.n < 3) return undefined;
      const first = spec.objectives[0] as { name: string };
      const y = Y[0] as number[];
      const gp = fitObjective(first.name, X, y, (ctx.seed * 1000003 + X.n * 7919 + 17) >>> 0, noise[0], y);
      const sub = X.n > LOO_MAX_POINTS ? gp.subset(new Rng(X.n).shuffle(Array.from({ length: X.n }, (_, i) => i)).slice(0, LOO_MAX_POINTS).sort((a, b) => a - b)) : gp;
      return sub.looLogDensity() / sub.n;
    },
    report(): AgentReport {
      return { name: 'bo', observations: observations.length, snapshot };
    },
  };
}

/** Thompson sampling over 512 scrambled-Sobol candidates (normalised recipes), weighted by the constraint terms. */
function thompsonBatch(space: SearchSpace, gp: GaussianProcess, q: number, terms: LogProbabilityTerm[], rng: Rng, seed: number, exclude: Matrix): AcquisitionOptimum[] {
  const design = createSobolDesign(space.spec as CampaignSpec, seed, space);
  const recipes = Array.from({ length: 512 }, () => design());
  const C = fromRows(recipes.map((r) => space.encode(r)));
  const logWeight = Array.from({ length: C.n }, (_, i) => terms.reduce((s, t) => s + t(C.data.subarray(i * C.d, (i + 1) * C.d)), 0));
  const skip = Array.from({ length: C.n }, (_, i) => isExcluded(C.data.subarray(i * C.d, (i + 1) * C.d), exclude, 1e-4));
  return thompsonSelect(gp, C, q, rng, { skip, logWeight }).map((i) => ({ features: C.data.slice(i * C.d, (i + 1) * C.d), recipe: recipes[i] as Recipe, value: logWeight[i] as number }));
}

function acqLabel(mode: NonNullable<BoAgentOptions['acquisition']>, others: number, beta: number): string {
  if (mode === 'auto' || mode === 'ucb') return others === 0 ? `UCB (β = ${beta})` : `UCB (β = ${beta}) given the pending trials (GP-BUCB)`;
  return { logEI: 'LogEI', qLogNEI: others === 0 ? 'LogEI' : 'qLogNEI', thompson: 'Thompson sampling' }[mode];
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || Math.abs(v) < 0.01 ? v.toPrecision(3) : v.toFixed(3);
}

/** Thrown by `ingest` when an observation cannot be learnt from; nothing of that batch is ingested. */
export class InvalidObservationError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`rejected ${problems.length} invalid observation(s): ${problems.join('; ')}`);
    this.name = 'InvalidObservationError';
    this.problems = problems;
  }
}

/**
 * Checks a batch before any of it is ingested: every objective of a feasible observation must be a finite number
 * (NaN and ±∞ are rejected, not learnt), and every recipe must lie in the search space encoding.
 */
export function validateObservations(spec: Pick<CampaignSpec, 'objectives'>, space: SearchSpace, obs: readonly Observation[]): void {
  const problems: string[] = [];
  for (const o of obs) {
    const who = `trial ${o.trialId}`;
    try {
      space.encode(o.recipe);
    } catch (e) {
      problems.push(`${who}: ${(e as Error).message}`);
    }
    if (!o.feasible) continue;
    for (const obj of spec.objectives) {
      const v = o.objectives[obj.name];
      if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${who}: objective "${obj.name}" is ${v === undefined ? 'missing' : String(v)}, not a finite number`);
    }
  }
  if (problems.length > 0) throw new InvalidObservationError(problems);
}

/** The rows of a matrix as views. */
function matrixRows(X: Matrix): Float64Array[] {
  return Array.from({ length: X.n }, (_, i) => X.data.subarray(i * X.d, (i + 1) * X.d));
}
