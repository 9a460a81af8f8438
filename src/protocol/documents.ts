import { z } from 'zod';
import {
  campaignSpecSchema,
  deviceStateSchema,
  failureSchema,
  recipeSchema,
  strictObject,
  suggestionSchema,
  trialStatusSchema,
} from '../domain/index.ts';

/**
 * Documents are the append-only record of a campaign. Every document has a per-campaign, gapless sequence number
 * assigned by the DocumentBus. Schemas are versioned by `v`.
 */
/** What a flag triage looks at: a trial's quality flags, or the batch-shift alarm it raised (ADR 0075). */
const flagTriggerSchema = z.enum(['quality', 'batch-shift']);

export const CAMPAIGN_STATES = ['running', 'paused', 'completed', 'aborted', 'failed'] as const;
export const campaignStateSchema = z.enum(CAMPAIGN_STATES);
export type CampaignState = z.infer<typeof campaignStateSchema>;

/**
 * How one run (a start or a resume of a campaign, one process) was set up: what `labloop resume` needs to continue
 * the campaign the same way. A stations file is named by path (its credentials stay in the file).
 */
export const runInfoSchema = z.object({
  runId: z.string().min(1),
  kind: z.enum(['run', 'dry-run']),
  clock: z.string().min(1),
  lab: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('simulated'),
      transport: z.enum(['twin', 'sim']),
      faultRate: z.number().min(0).max(1).default(0),
      /** Seed of the hidden landscape (default: the canonical one). */
      landscapeSeed: z.number().int().optional(),
      /** Folder of the simulated instruments' run logs and world state (a resumed dry run reopens it; `audit` reads it). */
      journal: z.string().min(1).optional(),
    }),
    z.object({ kind: z.literal('stations'), file: z.string().min(1) }),
  ]),
  /** A simulated operator refilled stocks that ran short (ADR 0113; a dry run's default); a resume keeps it. */
  autoRefill: z.boolean().optional(),
  /** Virtual seconds of the simulated clock when the run began (dry runs on the instant clock; 0 for a fresh start). */
  virtualStart_s: z.number().nonnegative().default(0),
});
export type RunInfo = z.infer<typeof runInfoSchema>;

/** One measured recipe as the campaign's best-estimate judges it: its readings and the model's estimate (ADR 0060). */
export const recipeEstimateSchema = z.object({
  recipe: recipeSchema,
  /** Completed trials of this recipe whose readings count (trials flagged by the batch check are left out). */
  trialIds: z.array(z.string()),
  n: z.number().int().positive(),
  /** Mean of the readings, objective units. */
  mean: z.number(),
  /** SD of one reading: pooled over every replicated recipe of the campaign (absent before any replicate). */
  sd: z.number().nonnegative().optional(),
  /** 95 % confidence interval of the mean (Student t on the pooled SD's degrees of freedom). */
  ci95: z.tuple([z.number(), z.number()]).optional(),
  /** The agent's latent posterior at the recipe (mean ± sd, objective units), when it has a model. */
  model: z.object({ mean: z.number(), sd: z.number().nonnegative() }).optional(),
});
export type RecipeEstimate = z.infer<typeof recipeEstimateSchema>;

const payloads = {
  /** The campaign starts (or resumes after a restart). */
  campaignStart: z.object({ spec: campaignSpecSchema, seed: z.number().int(), resumed: z.boolean().default(false), run: runInfoSchema.optional() }),
  campaignState: z.object({ state: campaignStateSchema, reason: z.string().optional() }),
  suggestion: z.object({ suggestion: suggestionSchema, trialId: z.string() }),
  trialState: z.object({
    trialId: z.string(),
    index: z.number().int(),
    from: trialStatusSchema.nullable(),
    to: trialStatusSchema,
    recipe: recipeSchema,
    proposer: z.string(),
    station: z.string().optional(),
    failure: failureSchema.optional(),
    attempt: z.number().int().nonnegative().default(0),
    /** Measured objective values, on the transition to `completed`. */
    objectives: z.record(z.string(), z.number()).optional(),
  }),
  /** A trial's run on a station starts. */
  runStart: z.object({ trialId: z.string(), runId: z.string(), station: z.string(), attempt: z.number().int() }),
  /** Describes a data stream of a run (technique, array keys and units). */
  descriptor: z.object({ runId: z.string(), stream: z.string(), keys: z.record(z.string(), z.string()) }),
  /** One measurement (technique result) with its extracted features. Arrays live in the measurements table. */
  event: z.object({
    runId: z.string(),
    trialId: z.string(),
    stream: z.string(),
    measurementId: z.string(),
    features: z.record(z.string(), z.number()),
    flags: z.array(z.string()).default([]),
    /** Downsampled preview of the main curve for live views (≤ 256 points). */
    preview: z.object({ x: z.array(z.number()), y: z.array(z.number()), xLabel: z.string(), yLabel: z.string() }).optional(),
  }),
  runStop: z.object({
    runId: z.string(),
    trialId: z.string(),
    status: z.enum(['completed', 'failed', 'aborted']),
    objectives: z.record(z.string(), z.number()).default({}),
    failure: failureSchema.optional(),
    duration_s: z.number().nonnegative(),
  }),
  modelSnapshot: z.object({
    snapshotId: z.string(),
    agent: z.string(),
    n: z.number().int().nonnegative(),
    hyperparameters: z.record(z.string(), z.unknown()),
    looRmse: z.number().optional(),
    /** Leave-one-out predicted vs observed, for parity plots. */
    parity: z.array(z.object({ observed: z.number(), predicted: z.number(), sd: z.number() })).optional(),
  }),
  /**
   * The campaign's best recipe by its estimated value, not its best single reading (ADR 0060): ranked by the model's
   * posterior mean at each measured recipe (`basis: model`) or, without a model, by the mean of its readings plus one
   * standard error (`basis: replicates`). Published before the confirmation replicates and at the end.
   */
  bestEstimate: z.object({
    objective: z.string(),
    direction: z.enum(['minimize', 'maximize']),
    stage: z.enum(['before-confirmation', 'final']),
    basis: z.enum(['model', 'replicates']),
    best: recipeEstimateSchema.optional(),
    /** The best single reading, for comparison. */
    observed: z.object({ trialId: z.string(), value: z.number(), recipe: recipeSchema }).optional(),
    /** The leading measured recipes in rank order (the best first), at most a handful. */
    ranked: z.array(recipeEstimateSchema).default([]),
    /** Pooled SD of one reading and its degrees of freedom (replicated recipes only). */
    pooledSd: z.object({ sd: z.number().nonnegative(), df: z.number().int().positive() }).optional(),
    /** The confirmation replicates run (or about to run): trials per candidate and the candidates. */
    confirmation: z.object({ replicates: z.number().int().nonnegative(), candidates: z.number().int().nonnegative(), trials: z.number().int().nonnegative() }).optional(),
  }),
  stationState: z.object({
    station: z.string(),
    device: z.string(),
    state: deviceStateSchema,
    quarantined: z.boolean().default(false),
    activeRunId: z.string().optional(),
    message: z.string().optional(),
    consecutiveFaults: z.number().int().nonnegative().default(0),
  }),
  operatorAction: z.object({
    actor: z.string(),
    action: z.string(),
    target: z.string().optional(),
    accepted: z.boolean(),
    reason: z.string().optional(),
  }),
  /**
   * One planner job (ADR 0072): the prompts and replies of every model turn (secrets redacted), how the output fared in
   * validation, and where the answer came from. A suggestion's `sourceId` names the document behind it.
   */
  plannerCall: z.object({
    callId: z.string(),
    job: z.enum(['draft', 'advise', 'triage', 'report']),
    /** `llm`: the model's answer was used; `rules`: the rule planner's (no endpoint, or a fallback); `replay`: a recording. */
    source: z.enum(['llm', 'rules', 'replay']),
    fallback: z.enum(['provider', 'timeout', 'budget', 'invalid']).optional(),
    /** SHA-256 of the normalised first prompt: a replay finds the recorded answer by it. */
    promptHash: z.string(),
    turns: z.array(
      z.object({
        system: z.string(),
        user: z.string(),
        reply: z.string().optional(),
        error: z.string().optional(),
        tokens: z.number().int().nonnegative().default(0),
        latency_ms: z.number().nonnegative(),
        rejected: z
          .object({
            layer: z.enum(['json', 'schema', 'rules', 'safety']),
            issues: z.array(z.string()),
            /** One layer per item the turn's answer lost (candidates dropped by rules or the safety gate); absent: one, `layer`. */
            layers: z.array(z.enum(['json', 'schema', 'rules', 'safety'])).max(1000).optional(),
          })
          .optional(),
      }),
    ),
    /** What the job decided, as our validation accepted it (the rule planner's when it fell back). */
    result: z.unknown(),
    trialId: z.string().optional(),
  }),
  /** One operation of the planner graph's checkpointer (ADR 0073): a checkpoint or a task's pending writes. */
  plannerCheckpoint: z.object({
    op: z.enum(['put', 'writes']),
    config: z.object({ configurable: z.record(z.string(), z.unknown()).optional() }),
    checkpoint: z.unknown().optional(),
    metadata: z.unknown().optional(),
    writes: z.array(z.tuple([z.string(), z.unknown()])).optional(),
    taskId: z.string().optional(),
    taskPath: z.string().optional(),
  }),
  /**
   * A question the planner's graph put to a human (a LangGraph interrupt, ADR 0076): `open` when asked, `answered`
   * with the operator's answer. The console shows open ones as approval requests.
   */
  plannerQuestion: z.object({
    requestId: z.string(),
    kind: z.enum(['triage', 'advice']),
    trialId: z.string().optional(),
    question: z.string(),
    approve: z.string(),
    reject: z.string(),
    reason: z.string(),
    state: z.enum(['open', 'answered']),
    answer: z.object({ approved: z.boolean(), actor: z.string(), reason: z.string().optional() }).optional(),
  }),
  /**
   * The flag triage's durable record (ADRs 0103, 0105). `triage`: a flagged trial (or a batch-shift alarm) is to be
   * triaged, stored before the planner is asked; it is decided once a `remeasure` or `triaged` document of the same
   * trial and trigger follows, otherwise a resumed run asks again. `remeasure`: a re-measurement the triage decided,
   * stored before it is queued (a pause or a crash before its dispatch leaves it to the resumed run); applied once a
   * suggestion document carries its suggestion's id. `triaged`: any other verdict, as applied.
   */
  plannerAction: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('remeasure'),
      /** The flagged trial. */
      trialId: z.string(),
      suggestion: suggestionSchema,
      /** What was triaged (absent in documents older than ADR 0105: a quality flag). */
      trigger: flagTriggerSchema.optional(),
    }),
    z.object({
      kind: z.literal('triage'),
      trialId: z.string(),
      trigger: flagTriggerSchema,
      index: z.number().int().nonnegative(),
      recipe: recipeSchema,
      station: z.string(),
      flags: z.array(z.string()),
      detail: z.string().optional(),
    }),
    z.object({
      kind: z.literal('triaged'),
      trialId: z.string(),
      trigger: flagTriggerSchema,
      verdict: z.string(),
      actor: z.string(),
      reason: z.string(),
    }),
  ]),
  /**
   * A region of the search space the campaign stopped proposing in (ADR 0106). `active`: a triage verdict
   * (quarantine-region) quarantined the ball of `radius` around `centre`, the recipe of `trialId`, in the agents'
   * feature space; the campaign loop refuses every suggestion inside it (REGION_QUARANTINED). `lifted`: an operator
   * returned it to the search. A resumed run restores the regions still active.
   */
  regionQuarantine: z.discriminatedUnion('state', [
    strictObject({
      state: z.literal('active'),
      regionId: z.string().min(1).max(200),
      centre: recipeSchema,
      radius: z.number().positive().max(1),
      trialId: z.string(),
      reason: z.string().max(1000),
      actor: z.string().max(200),
    }),
    strictObject({ state: z.literal('lifted'), regionId: z.string().min(1).max(200), actor: z.string().max(200), reason: z.string().max(1000).optional() }),
  ]),
  /**
   * Stock solutions (ADR 0113). `refill`: an operator (or a dry run's simulated operator) added `volume_uL` to a stock,
   * the volume actually added (`toListed`: topped up to its listed volume); a resumed run adds it to the tracked volume.
   * `use`: what one run of a trial drew from each stock, as the liquid handler reported it; a resumed run subtracts it.
   * `low`: a stock's usable volume fell below what about the next samples need (the early warning).
   */
  stock: z.discriminatedUnion('kind', [
    strictObject({
      kind: z.literal('refill'),
      stock: z.string().min(1).max(200),
      volume_uL: z.number().nonnegative().finite(),
      toListed: z.boolean().default(false),
      actor: z.string().min(1).max(200),
      reason: z.string().max(1000).optional(),
    }),
    strictObject({
      kind: z.literal('use'),
      trialId: z.string(),
      station: z.string(),
      attempt: z.number().int().nonnegative(),
      drawn_uL: z.record(z.string(), z.number().nonnegative().finite()),
    }),
    strictObject({
      kind: z.literal('low'),
      stock: z.string().min(1).max(200),
      usable_uL: z.number().finite(),
      meanDraw_uL: z.number().positive().finite(),
      samplesLeft: z.number().int().nonnegative(),
    }),
  ]),
  /** A device step failed (possibly retried); the trial-level outcome is in trialState. */
  fault: z.object({ trialId: z.string().optional(), station: z.string(), device: z.string(), failure: failureSchema, attempt: z.number().int() }),
} as const;

export type DocumentType = keyof typeof payloads;
export const DOCUMENT_TYPES = Object.keys(payloads) as DocumentType[];
export type DocumentPayload<T extends DocumentType> = z.infer<(typeof payloads)[T]>;

const documentSchemas = DOCUMENT_TYPES.map((type) =>
  z.object({
    v: z.literal(1),
    campaignId: z.string(),
    seq: z.number().int().positive(),
    time: z.string(),
    type: z.literal(type),
    payload: payloads[type],
  }),
);
export const documentSchema = z.discriminatedUnion('type', documentSchemas as unknown as [
  (typeof documentSchemas)[number],
  ...(typeof documentSchemas)[number][],
]);

export type LabDocument = { [T in DocumentType]: { v: 1; campaignId: string; seq: number; time: string; type: T; payload: DocumentPayload<T> } }[DocumentType];
export type DocumentOf<T extends DocumentType> = Extract<LabDocument, { type: T }>;

export function parseDocument(raw: unknown): LabDocument {
  return documentSchema.parse(raw) as LabDocument;
}

export function payloadSchema<T extends DocumentType>(type: T): (typeof payloads)[T] {
  return payloads[type];
}
