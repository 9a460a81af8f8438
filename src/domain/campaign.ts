import { z } from 'zod';
import { strictObject } from './strict-object.ts';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');
const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an identifier (letters, digits, underscore)');

export const objectiveSchema = strictObject({
  name,
  direction: z.enum(['minimize', 'maximize']),
  unit: z.string(),
  /** Feature of the measurement that gives this objective (e.g. `eta10_V`). */
  feature: z.string(),
  /** Feasibility bound: observations beyond it count as infeasible (outcome constraint). */
  threshold: z.number().optional(),
});
export type Objective = z.infer<typeof objectiveSchema>;

export const continuousParameterSchema = strictObject({
  type: z.literal('continuous'),
  name,
  low: z.number(),
  high: z.number(),
  unit: z.string(),
  log: z.boolean().default(false),
});
export const integerParameterSchema = strictObject({
  type: z.literal('integer'),
  name,
  low: z.number().int(),
  high: z.number().int(),
  unit: z.string().default(''),
});
export const categoricalParameterSchema = strictObject({
  type: z.literal('categorical'),
  name,
  choices: z.array(z.string()).min(2),
});
/** Fractions that sum to one (a mixture), e.g. metal-salt fractions. */
export const simplexGroupSchema = strictObject({
  type: z.literal('simplex'),
  name,
  components: z.array(name).min(2),
  /** A fraction below this is snapped to zero (the pipette cannot dose it); the rest are renormalised. */
  minFraction: z.number().min(0).max(0.5).default(0.02),
  /** At most this many non-zero components (e.g. subsets of 3-4 metals). */
  maxComponents: z.number().int().min(1).optional(),
  /** Name of the continuous parameter (mM) giving the total concentration of the group's species in the sample. */
  totalConcentration: z.string().optional(),
});
export const parameterSchema = z.discriminatedUnion('type', [
  continuousParameterSchema,
  integerParameterSchema,
  categoricalParameterSchema,
  simplexGroupSchema,
]);
export type Parameter = z.infer<typeof parameterSchema>;
export type ContinuousParameter = z.infer<typeof continuousParameterSchema>;
export type IntegerParameter = z.infer<typeof integerParameterSchema>;
export type CategoricalParameter = z.infer<typeof categoricalParameterSchema>;
export type SimplexGroup = z.infer<typeof simplexGroupSchema>;

/** Σ coefficients[name]·value ≤ rhs over numeric parameters (or simplex components). */
export const linearConstraintSchema = strictObject({
  coefficients: z.record(z.string(), z.number()),
  rhs: z.number(),
  description: z.string().optional(),
});
export type LinearConstraint = z.infer<typeof linearConstraintSchema>;

export const stockSchema = strictObject({
  name,
  /** Component this stock supplies (a simplex component or a continuous concentration parameter's species). */
  species: z.string(),
  concentration: z.number().positive(),
  volume: z.number().positive(),
});
export type Stock = z.infer<typeof stockSchema>;

export const safetyEnvelopeSchema = strictObject({
  /** Per-stock limits on the volume drawn for one sample, µL. */
  maxStockVolume: z.record(z.string(), z.number().positive()).default({}),
  /** Total sample volume limits, µL. */
  minTotalVolume: z.number().nonnegative().default(100),
  maxTotalVolume: z.number().positive(),
  /** Concentration limits in the cell, mM, per species. */
  maxConcentration: z.record(z.string(), z.number().positive()).default({}),
  /** Potential window the station may apply, V vs RHE. */
  potentialWindow_V_RHE: z.tuple([z.number(), z.number()]),
  maxCurrent_A: z.number().positive().default(0.2),
  maxTemperature: z.number().default(500),
  /** Forbidden combinations: all listed species present above `above` (mM) in one sample. */
  forbiddenCombinations: z
    .array(strictObject({ species: z.array(z.string()).min(2), above: z.number().nonnegative().default(0), reason: z.string() }))
    .default([]),
});
export type SafetyEnvelope = z.infer<typeof safetyEnvelopeSchema>;

export const stationPairSchema = strictObject({
  id,
  liquidHandler: id,
  potentiostat: id,
  cell: z.string().default('cell1'),
});
export type StationPair = z.infer<typeof stationPairSchema>;

export const protocolSchema = strictObject({
  /** Sample volume prepared for the cell, µL. */
  sampleVolume: z.number().positive().default(2000),
  electrodeArea: z.number().positive().default(0.0707),
  electrolyte: z.string().default('1 M KOH'),
  pH: z.number().default(14),
  lsvScanRate_V_s: z.number().positive().default(0.005),
  lsvStart_V_RHE: z.number().default(1.0),
  lsvEnd_V_RHE: z.number().default(1.8),
  targetCurrentDensity: z.number().positive().default(10),
  withEis: z.boolean().default(true),
  withCp: z.boolean().default(false),
});
export type ProtocolSpec = z.infer<typeof protocolSchema>;

/**
 * A domain feature the feasibility model sees besides the parameters (ADR 0048): `ratio: [a, b]` is a / b of two
 * numeric parameters (e.g. complexant per metal, where films fail to deposit above a ratio).
 */
export const derivedFeatureSchema = strictObject({
  name,
  ratio: z.tuple([name, name]),
  description: z.string().optional(),
});
export type DerivedFeature = z.infer<typeof derivedFeatureSchema>;

/** Proposers a campaign's strategy can name (the composition root builds them: src/app/agents.ts). */
export const AGENT_KINDS = ['bo', 'sobol-gp', 'sobol', 'random', 'hybrid', 'generative'] as const;

/** Generative models of recipes (ADR 0081): conditional VAE, conditional WGAN-GP, a small diffusion model, a KDE prior. */
export const GENERATIVE_MODELS = ['cvae', 'wgan', 'ddpm', 'prior'] as const;

/** `strategy.generative` (ADR 0083): the generator a `generative` agent mixes into BO's batches. */
export const generativeStrategySchema = strictObject({
  model: z.enum(GENERATIVE_MODELS).default('cvae'),
  /**
   * At most this fraction of each batch (rounded up) goes to the generator's samples, the best of them by BO's
   * acquisition; BO fills the rest. With `adaptiveShare` it is the maximum.
   */
  share: z.number().min(0).max(1).default(0.5),
  /**
   * Scale the generator's places by its credit in this campaign (ADR 0115): the posterior probability, under a
   * Beta(1, 3) prior per source (mean 1/4), that the generator's proposals land in the campaign's top quartile at least
   * as often as BO's own (infeasible results count as misses); credit = min(1, 2·P). Fractional places carry over to
   * later batches. false: always ⌈share·n⌉ places (ADR 0083).
   */
  adaptiveShare: z.boolean().default(true),
  /** With `adaptiveShare`: the generator's least share of a batch, on average over batches, so it can earn credit back. */
  minShare: z.number().min(0).max(1).default(0.1),
  /**
   * With `adaptiveShare` and prior rows (a warm start): check the prior against this campaign's results every round
   * (ADR 0116) — does a model of the prior rows order the campaign's top-quartile results above the others better
   * than the campaign's own leave-one-out model? The generator's places are scaled by min(1, 2·P(prior better)), and
   * the prior rows leave the generator's training while that factor is below 1/2. false: the prior is trusted as given.
   */
  priorCheck: z.boolean().default(true),
  /**
   * With `priorCheck`: ramp the prior's places in — the generator's places are also scaled by min(1, F/priorTrustAfter),
   * F the campaign's feasible results (ADR 0116), so a prior the check cannot judge yet steers the first batches less.
   * 0 (default): no ramp. A ramp of 24 protected a plate whose optimum the prior rows miss but lost the warm start's
   * gain on the sibling plate and on the simulator (ADR 0116), so it is off by default.
   */
  priorTrustAfter: z.number().int().min(0).max(10_000).default(0),
  /**
   * With `priorCheck`, while the prior rows train the generator and a batch has at least two places besides the
   * generator's: give one of them to the recipe BO's acquisition rates best among uniform samples outside the prior
   * rows' region (farther than three of the check's bandwidths from every prior row, when at least a tenth of the
   * space is; ADR 0116), so the campaign keeps results where the prior says nothing and BO is not drawn wholly into
   * the prior's region. false: BO's places stay its own.
   */
  exploreOutsidePrior: z.boolean().default(true),
  /**
   * With prior rows (a warm start): BO's GP of the primary objective (and its acquisition target) takes a kernel
   * regression of the prior rows as its prior mean, y ≈ c + a·m(x) + f(x), the weight a ≥ 0 fitted every round by
   * generalised least squares under the GP's kernel, so a prior that does not explain this campaign's results fades
   * (ADR 0118). false (default): no GP sees the prior rows.
   */
  priorMean: z.boolean().default(false),
  /** Candidates sampled per suggestion round. */
  samples: z.number().int().min(1).max(100_000).default(256),
  /** Retrain after this many new observations. */
  retrainEvery: z.number().int().min(1).default(4),
  /** Samples are conditioned on beating the best observed by this much, in units of the observed range. */
  delta: z.number().min(0).max(1).default(0.05),
  /** Train once at least this many feasible observations exist (BO alone before). */
  minObservations: z.number().int().min(2).default(5),
  /** Optimiser steps per training (the model's default when absent; fewer for quick runs). */
  trainingSteps: z.number().int().min(1).max(100_000).optional(),
});
export type GenerativeStrategy = z.infer<typeof generativeStrategySchema>;

/** Verdicts the planner's triage of a failed or flagged trial may return (closed list). */
export const TRIAGE_VERDICTS = ['retry', 'skip', 'quarantine-region', 'quarantine-station', 'ask-human'] as const;
export type TriageVerdictKind = (typeof TRIAGE_VERDICTS)[number];

/** The hybrid agent's planner (ADR 0071): when it is asked for advice, how many candidates it may add, what triage may do. */
export const plannerStrategySchema = strictObject({
    /** Ask for advice every this many completed trials (k). */
    every: z.number().int().positive().default(8),
    /** Also ask when the best value has not improved for this many completed trials. */
    stallAfter: z.number().int().positive().default(12),
    /** At most this many candidate recipes per advice. */
    candidates: z.number().int().positive().max(16).default(3),
    /** At most this share of each batch may come from the planner's candidates (rounded up to at least one). */
    share: z.number().min(0).max(1).default(0.5),
    /** Triage verdicts the engine may apply; others become `skip`. */
    triage: z.array(z.enum(TRIAGE_VERDICTS)).default(['retry', 'skip']),
    /**
     * A question to operators (ask-human) unanswered for this many minutes is declined — no retry, no quarantine
     * change — and the run goes on; the console shows who answered (`labloop:question-timeout`).
     */
    questionTimeout_min: z.number().positive().max(7 * 24 * 60).default(60),
    /**
     * Radius of a region a quarantine-region verdict quarantines (ADR 0106): the ball of this Euclidean radius around
     * the trial's recipe in the agents' feature space (continuous and integer parameters scaled to [0, 1] by their
     * bounds, log-scaled when `log`; simplex fractions as they are; categoricals one-hot, so a region never reaches
     * another category).
     */
    regionRadius: z.number().positive().max(1).default(0.1),
});
export type PlannerStrategy = z.infer<typeof plannerStrategySchema>;

/** Most rows a campaign's recipe library may hold (it is stored with the campaign). */
export const LIBRARY_MAX_ROWS = 50_000;

export const campaignSpecSchema = strictObject({
    schema: z.literal('labloop.campaign.v1').default('labloop.campaign.v1'),
    id,
    title: z.string(),
    goal: z.string().default(''),
    objectives: z.array(objectiveSchema).min(1),
    parameters: z.array(parameterSchema).min(1),
    constraints: z.array(linearConstraintSchema).default([]),
    budget: strictObject({
        trials: z.number().int().positive(),
        maxFailures: z.number().int().nonnegative().optional(),
        /**
         * Confirmation replicates (ADR 0060): the last `replicates × candidates` trials of the budget re-measure the
         * `candidates` measured recipes with the best model-estimated value, `replicates` times each, so the campaign's
         * reported best rests on repeated readings, not on one lucky one.
         */
        confirmation: strictObject({ replicates: z.number().int().positive(), candidates: z.number().int().positive() }).optional(),
      }),
    stations: strictObject({
        pairs: z.number().int().positive().default(1),
        /**
         * A station the batch check quarantined returns to service after a reference measurement within `tolerance`
         * (objective units; default 0.03, η10 in V) of the other stations' readings of that recipe (ADR 0061). `auto`
         * (default): the campaign releases it at once, trusting the lab's own electrolyte change (the simulated lab's);
         * `operator`: it waits for an operator's release (console) first.
         */
        requalification: strictObject({ mode: z.enum(['auto', 'operator']).default('auto'), tolerance: z.number().positive().default(0.03) }).optional(),
      })
      .default({ pairs: 1 }),
    stocks: z.array(stockSchema).default([]),
    protocol: protocolSchema.default(protocolSchema.parse({})),
    safety: safetyEnvelopeSchema,
    /** Domain features for the feasibility model (ADR 0048). */
    derivedFeatures: z.array(derivedFeatureSchema).optional(),
    /**
     * A recipe library (ADR 0122): the only recipes the campaign may run — a printed composition plate, a rack of
     * pre-made inks. Each row names every parameter (simplex components by component). The BO agent (alone, or as the
     * hybrid's or generative agent's judge) proposes only rows not yet run or pending. `labloop dry-run|run --library
     * plate.csv` fills it from a CSV.
     */
    library: z.array(z.record(z.string(), z.union([z.number().finite(), z.string()]))).min(1).max(LIBRARY_MAX_ROWS).optional(),
    strategy: strictObject({
        agent: z.enum(AGENT_KINDS).default('bo'),
        initialTrials: z.number().int().positive().default(5),
        /**
         * The BO agent's initial design (ADR 0119): `sobol` (default) is scrambled Sobol over the whole space; `faces`
         * stratifies the mixtures over the maximal support faces (exactly maxComponents present, or all components),
         * other parameters from scrambled Sobol. Without a mixture both are Sobol.
         */
        initialDesign: z.enum(['sobol', 'faces']).optional(),
        approval: z.enum(['auto', 'human']).default('auto'),
        maxRetries: z.number().int().nonnegative().default(1),
        quarantineAfter: z.number().int().positive().default(3),
        /** BO acquisition (ADR 0043): UCB with GP-BUCB batches by default; qLogNEI for cautious, failure-averse campaigns. */
        acquisition: z.enum(['ucb', 'qLogNEI', 'logEI', 'thompson']).optional(),
        /** UCB exploration weight β in μ + √β·σ (default 4, i.e. LCB λ = 2). */
        ucbBeta: z.number().positive().max(100).optional(),
        /** GP kernel of the BO agent (default Matérn-5/2). */
        kernel: z.enum(['matern52', 'rbf']).optional(),
        /** Lengthscales of a mixture's fractions: one shared (default, ADR 0044) or one each (ARD, for large budgets). */
        mixtureLengthscales: z.enum(['shared', 'ard']).optional(),
        /** Outcome warp of the modelled target (ADR 0045): auto (default: normal scores of the ranks when skewed towards the bad side), copula (always) or none. */
        outcomeWarp: z.enum(['auto', 'copula', 'none']).optional(),
        /** Give the GP a component-present indicator per mixture component (default true, ADR 0045). */
        mixturePresence: z.boolean().optional(),
        /**
         * How the BO agent encodes mixtures: as configured (`fixed`, default) or chosen per campaign by evidence
         * (`evidence`: presence indicators on/off × shared/ARD mixture lengthscales by leave-one-out predictive
         * density every 8 results, the configured encoding kept unless another is clearly better; ADR 0058).
         */
        encoding: z.enum(['fixed', 'evidence']).optional(),
        /** The LLM planner of the hybrid agent (defaults apply when absent). */
        planner: plannerStrategySchema.optional(),
        /** Settings of the `generative` agent (defaults apply when absent). */
        generative: generativeStrategySchema.optional(),
        /** Feasibility model of the BO agent (ADR 0048): one ARD GP classifier per failure code (default) or one isotropic classifier. */
        feasibilityModel: z.enum(['per-code', 'isotropic']).optional(),
        /** Refit the BO agent's GP hyper-parameters cold (multi-start) every this many fits, keeping the better fit (default 5, 0 = never; ADR 0047). */
        coldRefitEvery: z.number().int().nonnegative().optional(),
        /**
         * Hyper-parameter priors of the BO agent's GPs (ADR 0052): `outputscale: learn` fits the kernel variance,
         * `noiseSd` states the primary objective's measurement noise SD (its units), `mixtureLengthscale` a LogNormal
         * prior (median, sigma of the log) for the mixture fractions' lengthscale.
         */
        gpPriors: z
          .strictObject({
            outputscale: z.enum(['fixed', 'learn']).optional(),
            noiseSd: z.number().positive().optional(),
            mixtureLengthscale: z.strictObject({ median: z.number().positive().max(10), sigma: z.number().positive().max(5) }).optional(),
          })
          .optional(),
        /** Share of BO proposals (0 … 0.5) that explore mixtures far from every measured one at the incumbent's other parameters (ADR 0052). */
        exploreShare: z.number().min(0).max(0.5).optional(),
        /**
         * Thompson sampling of the BO agent over candidates from the faces of the dispensable set and around the
         * model-estimated leaders (ADR 0053): every proposal with `acquisition: thompson`, else `share` of them.
         */
        thompson: z
          .strictObject({
            share: z.number().min(0).max(1).optional(),
            global: z.number().int().min(0).max(4096).optional(),
            centres: z.number().int().min(0).max(16).optional(),
            perCentre: z.number().int().min(0).max(1024).optional(),
            radius: z.number().positive().max(1).optional(),
            trustRegion: z.boolean().optional(),
            faceBonus: z.number().min(0).max(10).optional(),
            globalFrom: z.enum(['faces', 'sobol', 'maximalFaces']).optional(),
          })
          .optional(),
      })
      .default({ agent: 'bo', initialTrials: 5, approval: 'auto', maxRetries: 1, quarantineAfter: 3 }),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.parameters.forEach((p, i) => {
      const names = p.type === 'simplex' ? [p.name, ...p.components] : [p.name];
      for (const n of names) {
        if (seen.has(n)) ctx.addIssue({ code: 'custom', path: ['parameters', i, 'name'], message: `duplicate name "${n}"` });
        seen.add(n);
      }
      if ((p.type === 'continuous' || p.type === 'integer') && !(p.low < p.high))
        ctx.addIssue({ code: 'custom', path: ['parameters', i, 'high'], message: 'high must be greater than low' });
      if (p.type === 'continuous' && p.log && p.low <= 0)
        ctx.addIssue({ code: 'custom', path: ['parameters', i, 'low'], message: 'a log-scaled parameter needs low > 0' });
    });
    spec.constraints.forEach((c, i) => {
      for (const key of Object.keys(c.coefficients))
        if (!seen.has(key))
          ctx.addIssue({ code: 'custom', path: ['constraints', i, 'coefficients', key], message: `unknown parameter "${key}"` });
    });
    const confirmation = spec.budget.confirmation;
    if (confirmation && 2 * confirmation.replicates * confirmation.candidates > spec.budget.trials)
      ctx.addIssue({
        code: 'custom',
        path: ['budget', 'confirmation'],
        message: `${confirmation.replicates} replicates × ${confirmation.candidates} candidates would take more than half the budget of ${spec.budget.trials} trials`,
      });
    const numeric = new Map(spec.parameters.filter((p) => p.type === 'continuous' || p.type === 'integer').map((p) => [p.name, p]));
    (spec.derivedFeatures ?? []).forEach((f, i) => {
      if (seen.has(f.name)) ctx.addIssue({ code: 'custom', path: ['derivedFeatures', i, 'name'], message: `duplicate name "${f.name}"` });
      seen.add(f.name);
      f.ratio.forEach((key, k) => {
        if (!numeric.has(key)) ctx.addIssue({ code: 'custom', path: ['derivedFeatures', i, 'ratio', k], message: `"${key}" is not a continuous or integer parameter` });
      });
      const den = numeric.get(f.ratio[1]);
      if (den && den.low <= 0) ctx.addIssue({ code: 'custom', path: ['derivedFeatures', i, 'ratio', 1], message: `the denominator "${f.ratio[1]}" must be positive (low > 0)` });
    });
    if (spec.library) {
      const keys = new Set(recipeKeys(spec));
      const agent = spec.strategy.agent;
      if (agent === 'random' || agent === 'sobol')
        ctx.addIssue({ code: 'custom', path: ['strategy', 'agent'], message: `the ${agent} agent cannot choose from a recipe library: use bo, sobol-gp, hybrid or generative` });
      for (const [i, row] of spec.library.entries()) {
        const missing = [...keys].filter((k) => !(k in row));
        const unknown = Object.keys(row).filter((k) => !keys.has(k));
        if (missing.length > 0) ctx.addIssue({ code: 'custom', path: ['library', i], message: `lacks ${missing.join(', ')}` });
        for (const k of unknown) ctx.addIssue({ code: 'custom', path: ['library', i, k], message: `unknown parameter "${k}"` });
        if (missing.length + unknown.length > 0) break; // one bad row is enough to say what is wrong
      }
    }
    const [lo, hi] = spec.safety.potentialWindow_V_RHE;
    if (!(lo < hi)) ctx.addIssue({ code: 'custom', path: ['safety', 'potentialWindow_V_RHE'], message: 'window must be [low, high] with low < high' });
  });
export type CampaignSpec = z.infer<typeof campaignSpecSchema>;
export type CampaignSpecInput = z.input<typeof campaignSpecSchema>;

/** Trials a campaign of `budget` trials reserves for confirmation replicates: at most half of them (ADR 0060). */
export function confirmationReserve(budget: Pick<CampaignSpec['budget'], 'confirmation'>, trials: number): number {
  const c = budget.confirmation;
  return c ? Math.min(c.replicates * c.candidates, Math.floor(trials / 2)) : 0;
}

/** Every numeric or categorical coordinate name of a recipe, in spec order (simplex groups expand to components). */
export function recipeKeys(spec: Pick<CampaignSpec, 'parameters'>): string[] {
  return spec.parameters.flatMap((p) => (p.type === 'simplex' ? p.components : [p.name]));
}
