import type { KernelKind } from '../../models/surrogates/kernels.ts';
import type { OutcomeWarp } from '../../models/transforms/outcome.ts';

/**
 * Benchmark arms: one proposer configuration each. GP arms are built from models/ (surrogate → acquisition →
 * pool scoring); `random` draws unevaluated rows uniformly. Every arm sees the same initial points for a given seed.
 *
 * Arm names may carry overrides, e.g. `default(kernel=matern52,acq=ucb,beta=4)` or `lcb2-matern(fit=textbook)`,
 * so that a single setting can be varied from the command line without editing this registry.
 */
export type AcquisitionKind = 'logEI' | 'ucb' | 'varianceLcb' | 'thompson';
/** How q > 1 members are chosen: qLogNEI with the earlier members pending (BoAgent), or a kriging believer. */
export type BatchKind = 'qLogNEI' | 'believer';

export interface FitSettings {
  /** Start the MAP fit from the previous step's hyper-parameters. */
  warmStart: boolean;
  /** Prior samples screened as starts (models default 8). */
  priorSamples?: number;
  /** L-BFGS runs (models default: 1 with a warm start, else 2 for n ≤ 100, else 1). */
  restarts?: number;
  /** Hyper-parameters fitted on at most this many points (models default 300). */
  maxFitPoints?: number;
  /** L-BFGS iterations per run (models default 60). */
  maxIterations?: number;
  /** Also run L-BFGS from the prior mode every fit and keep the better optimum. */
  modeStart?: boolean;
  /** Refit the hyper-parameters every k rounds (conditioning on all data every round); 1 = every round. */
  refitEvery: number;
  /** Give the GP the pool's replicate variances as fixed known noise (a lab that measured replicates). */
  knownNoise?: boolean;
  /** Learn a kernel outputscale (models default: fixed at 1 on standardised outcomes). */
  learnOutputscale?: boolean;
  /** MAP with the BoTorch priors (models default true); false = plain marginal likelihood, as GPy fits it. */
  usePriors?: boolean;
  /** One lengthscale for all inputs, one per input (models default false: ARD), or 'auto' (chosen by LOO). */
  isotropic?: boolean | 'auto';
  /** The fractions of a simplex group share one lengthscale (BoAgent default since ADR 0044); other inputs ARD. */
  shareMixtureLengthscales?: boolean;
}

export interface GpArm {
  kind: 'gp';
  name: string;
  description: string;
  kernel: KernelKind;
  acquisition: AcquisitionKind;
  /** UCB: β in μ + √β·σ (β = 4 is LCB with λ = 2). varianceLcb: λ in μ + λ·σ² (pool-standardised units). */
  beta: number;
  batch: BatchKind;
  /** Quasi-MC samples of qLogNEI (BoAgent default 128). */
  mcSamples: number;
  /** Monotone warp of the outcomes before the GP (default none). */
  warp?: OutcomeWarp;
  /** Also give the GP, for every simplex fraction, whether the component is present (fraction > 0). */
  presence?: boolean;
  fit: FitSettings;
}

export interface RandomArm {
  kind: 'random';
  name: string;
  description: string;
}

/**
 * One of the project's agents (src/app/agents.ts) run on the pool through a campaign built from it
 * (pool-agent-spec.ts): `strategy` is merged into that campaign's strategy. Its proposals are recipes, each snapped to
 * the nearest unevaluated pool row (pool-agent-campaign.ts).
 */
export interface AgentArm {
  kind: 'agent';
  name: string;
  description: string;
  strategy: Record<string, unknown>;
}

export type Arm = GpArm | RandomArm | AgentArm;

/** How agent arms become pool rows (pool-agent-campaign.ts); stated in every result with agent arms. */
/** How the agent arms meet the pool, for the reports. */
export function agentModeNote(select: 'snap' | 'library'): string {
  return select === 'library'
    ? "agent arms: the agent proposes over a campaign built from the pool (its ranges, mixtures and levels) with the pool's rows as its recipe library: it chooses among the rows not yet evaluated (ADR 0122)"
    : 'agent arms: the agent proposes recipes over a campaign built from the pool (its ranges, mixtures and levels); each is snapped to the nearest unevaluated pool row (Euclidean in the unit-cube features) and the agent ingests that row';
}

const BOAGENT_FIT: FitSettings = { warmStart: true, refitEvery: 1 };
/** BoTorch's textbook loop: a fresh model every step, one L-BFGS run from the prior mode, all points in the fit. */
const TEXTBOOK_FIT: FitSettings = { warmStart: false, priorSamples: 0, restarts: 1, maxFitPoints: 100000, maxIterations: 100, refitEvery: 1 };

/** ADRs 0043–0044: the default before outcome warping and presence features. */
const UCB_PLAIN_ARM: GpArm = {
  kind: 'gp',
  name: 'ucb-plain',
  description: 'the ADR 0043–0044 default: Matérn-5/2 GP with BoTorch priors, one lengthscale per simplex group and per other input, warm-started MAP refit every round, UCB β = 4 (LCB λ = 2), batches by posterior-mean fantasies (GP-BUCB); no outcome warp, no presence features',
  kernel: 'matern52',
  acquisition: 'ucb',
  beta: 4,
  batch: 'believer',
  mcSamples: 128,
  warp: 'none',
  presence: false,
  fit: { ...BOAGENT_FIT, shareMixtureLengthscales: true },
};

const DEFAULT_ARM: GpArm = {
  ...UCB_PLAIN_ARM,
  name: 'default',
  description:
    'our default (BoAgent settings in pool mode, ADRs 0043–0045): Matérn-5/2 GP with BoTorch priors on the normal scores of the ranks when the outcomes are skewed towards the bad side (warp auto), mixture fractions plus component-present indicators (one lengthscale per group), warm-started MAP refit every round, UCB β = 4 (LCB λ = 2), batches by posterior-mean fantasies (GP-BUCB)',
  warp: 'auto',
  presence: true,
};

export const ARMS: Record<string, Arm> = {
  default: DEFAULT_ARM,
  'ucb-plain': UCB_PLAIN_ARM,
  'botorch-logei': {
    kind: 'gp',
    name: 'botorch-logei',
    description: 'the previous default (BoTorch SingleTaskGP defaults): RBF-ARD GP with BoTorch priors, warm-started MAP refit every round, LogEI at q = 1, sequential-greedy qLogNEI for batches',
    kernel: 'rbf',
    acquisition: 'logEI',
    beta: 4,
    batch: 'qLogNEI',
    mcSamples: 128,
    fit: BOAGENT_FIT,
  },
  'lcb2-matern': {
    ...UCB_PLAIN_ARM,
    name: 'lcb2-matern',
    description: 'Liang et al. arm: Matérn-5/2 ARD GP (our priors and fit) with LCB λ = 2 (μ − 2σ for minimisation); the same configuration as `ucb-plain` (the default of ADRs 0043–0044)',
  },
  'lcb2var-matern': {
    kind: 'gp',
    name: 'lcb2var-matern',
    description: 'as lcb2-matern, but the exploration term is λ·σ² in pool-standardised units (what the published notebooks compute: GPy predict() returns a variance)',
    kernel: 'matern52',
    acquisition: 'varianceLcb',
    beta: 2,
    batch: 'believer',
    mcSamples: 128,
    fit: BOAGENT_FIT,
  },
  'textbook-ei': {
    kind: 'gp',
    name: 'textbook-ei',
    description: 'calibration: RBF-ARD with BoTorch priors, refitted from the prior mode every step (1 L-BFGS run, all points), EI (as LogEI)',
    kernel: 'rbf',
    acquisition: 'logEI',
    beta: 4,
    batch: 'believer',
    mcSamples: 128,
    fit: TEXTBOOK_FIT,
  },
  'textbook-ucb2': {
    kind: 'gp',
    name: 'textbook-ucb2',
    description: 'calibration: RBF-ARD with BoTorch priors, refitted from the prior mode every step, UCB μ + 2σ',
    kernel: 'rbf',
    acquisition: 'ucb',
    beta: 4,
    batch: 'believer',
    mcSamples: 128,
    fit: TEXTBOOK_FIT,
  },
  'textbook-matern-ucb2': {
    kind: 'gp',
    name: 'textbook-matern-ucb2',
    description: 'calibration: Matérn-5/2 ARD with BoTorch priors, refitted from the prior mode every step, UCB μ + 2σ',
    kernel: 'matern52',
    acquisition: 'ucb',
    beta: 4,
    batch: 'believer',
    mcSamples: 128,
    fit: TEXTBOOK_FIT,
  },
  random: { kind: 'random', name: 'random', description: 'uniformly random unevaluated rows (paired initial points)' },
  ...agentArms(),
};

/**
 * The agent arms (issues 12 and 13): BO alone as the BoAgent runs it, BO + a generator, a generator alone, the prior
 * sampler, and the hybrid agent with the planner. Generators are kept cheap (300 training steps, retrained every 8
 * results) so that paired pool campaigns fit a shared 2-core machine.
 */
function agentArms(): Record<string, AgentArm> {
  const snapped = 'each proposal snapped to the nearest unevaluated pool row';
  const cheap = { trainingSteps: 300, retrainEvery: 8 };
  const arm = (name: string, description: string, strategy: Record<string, unknown>): [string, AgentArm] => [name, { kind: 'agent', name, description: `${description}; ${snapped}`, strategy }];
  return Object.fromEntries([
    arm('agent-bo', 'BO alone: the BoAgent of `strategy.agent: bo` (campaign defaults)', { agent: 'bo' }),
    arm('bo-cvae', 'BO + CVAE: `strategy.agent: generative`, model cvae, fixed share 0.5 (300 steps, retrained every 8)', { agent: 'generative', generative: { model: 'cvae', share: 0.5, adaptiveShare: false, ...cheap } }),
    arm('bo-cvae-adaptive', 'BO + CVAE with the adaptive share (ADR 0115): as bo-cvae, share 0.5 the maximum, scaled by the generator\'s credit, at least 0.1', { agent: 'generative', generative: { model: 'cvae', share: 0.5, adaptiveShare: true, minShare: 0.1, ...cheap } }),
    arm('cvae-only', 'CVAE alone: as bo-cvae with share 1 (every proposal is the acquisition-best CVAE sample)', { agent: 'generative', generative: { model: 'cvae', share: 1, adaptiveShare: false, ...cheap } }),
    arm('bo-prior', 'BO + prior sampler: `generative.model: prior` (KDE over good observed recipes), fixed share 0.5', { agent: 'generative', generative: { model: 'prior', share: 0.5, adaptiveShare: false, retrainEvery: 8 } }),
    arm('bo-prior-adaptive', 'BO + prior sampler with the adaptive share (ADR 0115): as bo-prior, share 0.5 the maximum, at least 0.1; prior rows trusted as given', { agent: 'generative', generative: { model: 'prior', share: 0.5, adaptiveShare: true, minShare: 0.1, priorCheck: false, retrainEvery: 8 } }),
    arm('bo-prior-checked', 'BO + prior sampler with the adaptive share and the check of the prior rows against the campaign\'s results (ADR 0116): as bo-prior-adaptive, the places also scaled by the check, the prior rows dropped from training while it says they misrank', { agent: 'generative', generative: { model: 'prior', share: 0.5, adaptiveShare: true, minShare: 0.1, priorCheck: true, priorTrustAfter: 0, exploreOutsidePrior: false, retrainEvery: 8 } }),
    arm('bo-prior-explore', 'as bo-prior-checked, and, while BO holds at least two places of a batch, one of them to BO\'s pick among uniform recipes outside the prior rows\' region while the prior trains the generator (ADR 0116, exploreOutsidePrior)', { agent: 'generative', generative: { model: 'prior', share: 0.5, adaptiveShare: true, minShare: 0.1, priorCheck: true, priorTrustAfter: 0, exploreOutsidePrior: true, retrainEvery: 8 } }),
    arm('bo-prior-mean', 'as bo-prior-explore, and BO\'s GP takes a kernel regression of the prior rows as its prior mean with a fitted weight (ADR 0118, priorMean)', { agent: 'generative', generative: { model: 'prior', share: 0.5, adaptiveShare: true, minShare: 0.1, priorCheck: true, priorTrustAfter: 0, exploreOutsidePrior: true, priorMean: true, retrainEvery: 8 } }),
    arm('bo-prior-ramped', 'as bo-prior-checked, the prior\'s places also ramped in over the campaign\'s first 24 results (ADR 0116, priorTrustAfter 24)', { agent: 'generative', generative: { model: 'prior', share: 0.5, adaptiveShare: true, minShare: 0.1, priorCheck: true, priorTrustAfter: 24, exploreOutsidePrior: false, retrainEvery: 8 } }),
    arm('prior-only', 'prior sampler alone: `generative.model: prior`, share 1', { agent: 'generative', generative: { model: 'prior', share: 1, adaptiveShare: false, retrainEvery: 8 } }),
    arm('hybrid', 'hybrid: `strategy.agent: hybrid`, BO judging the planner\'s candidates (the deterministic rule planner unless LABLOOP_LLM_BASE_URL is set)', { agent: 'hybrid' }),
  ]);
}

/** Sets `value` at a dotted path of `target`, creating objects on the way. */
function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let obj = target;
  for (const k of keys.slice(0, -1)) {
    const next = obj[k];
    obj[k] = typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
    obj = obj[k] as Record<string, unknown>;
  }
  obj[keys[keys.length - 1] as string] = value;
}

/** An agent arm with `key=value` strategy overrides (dotted keys, values parsed as JSON when they parse). */
function overrideAgentArm(base: AgentArm, name: string, overrides: string): AgentArm {
  const strategy = structuredClone(base.strategy);
  for (const kv of overrides.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`bad arm override "${kv}" in ${name}: use key=value`);
    const text = kv.slice(eq + 1).trim();
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // a plain string
    }
    setPath(strategy, kv.slice(0, eq).trim(), value);
  }
  return { ...base, name, strategy };
}

/**
 * Resolves an arm name with optional overrides: `name(key=value,...)`. Keys: kernel (rbf|matern52),
 * acq (logEI|ucb|varianceLcb), beta, batch (qLogNEI|believer), mc, fit (boagent|textbook), warm (0|1),
 * samples (prior samples), restarts, maxfit, iters, refit (every k rounds), noise (learned|replicates), outputscale (0|1),
 * mode (0|1: also fit from the prior mode), warp (none|copula|log: a monotone outcome warp), priors (0|1: MAP with the BoTorch priors, or the plain marginal likelihood),
 * ard (0|1|auto: one shared lengthscale, one per input, or the better of both by leave-one-out log density),
 * mix (0|1: the fractions of a simplex group share one lengthscale), presence (0|1: add a component-present indicator per
 * simplex fraction as a GP input). Agent arms take strategy keys instead, dotted for nested options, e.g.
 * `bo-cvae(generative.samples=512,generative.delta=0.1)`.
 */
export function resolveArm(spec: string): Arm {
  const m = /^([a-z0-9-]+)(?:\((.*)\))?$/i.exec(spec.trim());
  if (!m) throw new Error(`bad arm "${spec}": expected name or name(key=value,...)`);
  const base = ARMS[m[1] as string];
  if (!base) throw new Error(`unknown arm "${m[1]}" (have: ${Object.keys(ARMS).join(', ')})`);
  if (!m[2]) return base;
  if (base.kind === 'agent') return overrideAgentArm(base, spec.trim(), m[2]);
  if (base.kind !== 'gp') throw new Error(`arm "${m[1]}" takes no overrides`);
  const arm: GpArm = { ...base, fit: { ...base.fit }, name: spec.trim() };
  for (const kv of m[2].split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v = ''] = kv.split('=').map((s) => s.trim()) as [string, string?];
    const flag = (): boolean => v === '1' || v === 'true';
    const num = (): number => {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`arm override ${k} needs a number, got "${v}"`);
      return n;
    };
    switch (k) {
      case 'kernel':
        if (v !== 'rbf' && v !== 'matern52') throw new Error(`kernel must be rbf or matern52, not "${v}"`);
        arm.kernel = v;
        break;
      case 'acq':
        if (v !== 'logEI' && v !== 'ucb' && v !== 'varianceLcb' && v !== 'thompson') throw new Error(`acq must be logEI, ucb, varianceLcb or thompson, not "${v}"`);
        arm.acquisition = v;
        break;
      case 'beta':
        arm.beta = num();
        break;
      case 'batch':
        if (v !== 'qLogNEI' && v !== 'believer') throw new Error(`batch must be qLogNEI or believer, not "${v}"`);
        arm.batch = v;
        break;
      case 'mc':
        arm.mcSamples = num();
        break;
      case 'fit':
        if (v !== 'boagent' && v !== 'textbook') throw new Error(`fit must be boagent or textbook, not "${v}"`);
        arm.fit = { ...(v === 'textbook' ? TEXTBOOK_FIT : BOAGENT_FIT) };
        break;
      case 'warm':
        arm.fit.warmStart = flag();
        break;
      case 'samples':
        arm.fit.priorSamples = num();
        break;
      case 'restarts':
        arm.fit.restarts = num();
        break;
      case 'maxfit':
        arm.fit.maxFitPoints = num();
        break;
      case 'iters':
        arm.fit.maxIterations = num();
        break;
      case 'noise':
        if (v !== 'learned' && v !== 'replicates') throw new Error(`noise must be learned or replicates, not "${v}"`);
        arm.fit.knownNoise = v === 'replicates';
        break;
      case 'outputscale':
        arm.fit.learnOutputscale = flag();
        break;
      case 'mode':
        arm.fit.modeStart = flag();
        break;
      case 'warp':
        if (v !== 'none' && v !== 'copula' && v !== 'log' && v !== 'auto') throw new Error(`warp must be none, copula, log or auto, not "${v}"`);
        arm.warp = v;
        break;
      case 'priors':
        arm.fit.usePriors = flag();
        break;
      case 'ard':
        arm.fit.isotropic = v === 'auto' ? 'auto' : !flag();
        break;
      case 'mix':
        arm.fit.shareMixtureLengthscales = flag();
        break;
      case 'presence':
        arm.presence = flag();
        break;
      case 'refit':
        arm.fit.refitEvery = Math.max(1, Math.round(num()));
        break;
      default:
        throw new Error(`unknown arm override "${k}"`);
    }
  }
  return arm;
}
