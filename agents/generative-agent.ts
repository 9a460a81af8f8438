import type { GenerativeStrategy, Logger, Observation, Recipe, Suggestion } from '../src/domain/index.ts';
import { silentLogger } from '../src/domain/logger.ts';
import { generativeStrategySchema } from '../src/domain/campaign.ts';
import type { TrainProgress } from '../models/generative/generator.ts';
import { loadModel, type LoadedModel, type TrainedModel, type TrainRequest } from '../models/generative/trained-model.ts';
import type { AgentContext, AgentReport, ModelSnapshot } from './agent.ts';
import type { ExternalCandidate, JudgingAgent, ScoredCandidate, SuggestAmongOptions } from './candidates.ts';
import { toSnapshotDocument } from './generative-snapshot.ts';
import { generatorCredit, generatorPlaces, type GeneratorCredit } from './generator-credit.ts';
import { createPriorCheck, trustRamp, type PriorCheck } from './prior-check.ts';
import { outsidePrior } from './prior-support.ts';

/** `agent` of the snapshot documents that record the generator's credit and share (ADR 0115). */
export const GENERATOR_SHARE_AGENT = 'generative-share';

/** Below this factor of the prior check the prior rows stop training the generator (ADR 0116). */
const PRIOR_KEEP_FACTOR = 0.5;

/**
 * Trains generators away from the caller's thread (a worker thread in production, inline in tests). The request is
 * plain data; the trainer fills in its backend.
 */
export interface GeneratorTrainer {
  train(request: Omit<TrainRequest, 'backend'>, onProgress?: (p: TrainProgress) => void): Promise<TrainedModel>;
}

export interface GenerativeAgentDeps {
  /** The BO agent whose surrogate and acquisition judge the generator's samples together with its own optima. */
  judge: JudgingAgent;
  trainer: GeneratorTrainer;
  /** Makes tfjs usable in this thread for sampling (selects the backend once). */
  prepareSampling: () => Promise<unknown>;
  /** `strategy.generative` (defaults when absent). */
  settings?: Partial<GenerativeStrategy>;
  /** Extra training rows for the generator only (a related campaign, a prior data set): the warm start. */
  priorObservations?: readonly Observation[];
  /**
   * The judge chooses among a finite recipe library (ADR 0122). Without prior rows the hybrid (share < 1) is then BO
   * alone: BO's acquisition is evaluated on every row, and a generator trained on the same results adds nothing it
   * lacks (forcing its picks lost to BO alone on photo-pce10, docs/benchmarks.md).
   */
  libraryJudge?: boolean;
  onProgress?: (p: TrainProgress & { snapshotId: string }) => void;
  logger?: Logger;
}

/**
 * The generative agent (ADR 0083): BO with a conditional generator mixed in. Until `minObservations` feasible
 * results exist (counting prior rows) it is BO alone. Then, per suggestion round, it (re)trains the generator when
 * `retrainEvery` new observations arrived — awaiting the trainer, so a seeded run stays reproducible while the
 * worker keeps the event loop free — and samples `samples` recipes conditioned on beating the best observed by
 * `delta`. ⌈share·n⌉ places of a batch of n go to the samples BO's acquisition rates best (chosen greedily, each
 * pick pending for the next); BO's `suggestAmong` fills the rest among its own optima and the remaining samples.
 * (Left to compete freely, samples almost never beat the acquisition's own optimiser, so the generator would change
 * nothing.) Chosen samples keep proposer `generative` and the generator snapshot id as `sourceId`.
 *
 * With `adaptiveShare` (ADR 0115) the ⌈share·n⌉ places are a maximum: they are scaled by the generator's credit, how
 * its own proposals have fared against BO's own in this campaign (observations' `proposer`; prior rows do not count),
 * never below `minShare·n` on average. With prior rows and `priorCheck` (ADR 0116) the credit is multiplied by the
 * round's check of the prior against this campaign's results, and the prior rows leave the generator's training while
 * that check's factor is below 1/2. Each round's share, credit and check are a `generative-share` snapshot document and
 * part of the batch's rationales.
 */
export function createGenerativeAgent(ctx: AgentContext, deps: GenerativeAgentDeps): JudgingAgent {
  const settings = generativeStrategySchema.parse(deps.settings ?? {});
  const log = (deps.logger ?? silentLogger).child({ agent: 'generative' });
  const judge = deps.judge;
  const prior = [...(deps.priorObservations ?? [])];
  const observations: Observation[] = [];
  let model: LoadedModel | undefined;
  let trainedAt = -Infinity;
  let rounds = 0;
  let snapshots: ModelSnapshot[] = [];
  let samplingReady: Promise<unknown> | undefined;
  let carry = 0;
  let shareDoc: ModelSnapshot | undefined;
  /** This round's check of the prior rows against the campaign's results (ADR 0116); undefined when not checked. */
  let check: PriorCheck | undefined;
  /** Whether the generator's current model was trained with the prior rows. */
  let trainedWithPrior = false;
  const checking = settings.adaptiveShare && settings.priorCheck && prior.length > 0;
  /** The prior rows train the generator unless the check's factor has fallen below 1/2. */
  const usePrior = (): boolean => !check || check.factor >= PRIOR_KEEP_FACTOR;
  const outside = checking && settings.exploreOutsidePrior ? outsidePrior(ctx.spec, prior) : undefined;
  const checkAgainstPrior = checking ? createPriorCheck(ctx.spec, prior) : undefined;

  /** Uniform recipes outside the prior rows' region, as BO candidates (ADR 0116); none unless exploring. */
  const outsideCandidates = (pending: readonly Recipe[]): ExternalCandidate[] => {
    if (!outside || !trainedWithPrior) return [];
    const seen = new Set([...observations.map((o) => key(o.recipe)), ...pending.map(key)]);
    return outside(settings.samples, (ctx.seed * 7_727 + rounds) >>> 0)
      .filter((r) => !seen.has(key(r)))
      .map((recipe) => ({ recipe, proposer: 'bo', rationale: 'BO\'s pick among uniform samples outside the prior rows\' region (ADR 0116)' }));
  };

  const retrainIfDue = async (): Promise<void> => {
    const withPrior = usePrior();
    const rows = [...(withPrior ? prior : []), ...observations];
    if (rows.filter((o) => o.feasible).length < settings.minObservations) {
      // Without the prior rows too few results remain to train on: the old model, if any, goes (it was the prior's).
      if (model && trainedWithPrior && !withPrior) {
        model.dispose();
        model = undefined;
        snapshots = [];
      }
      return;
    }
    if (model && observations.length - trainedAt < settings.retrainEvery && trainedWithPrior === withPrior) return;
    samplingReady ??= deps.prepareSampling();
    await samplingReady;
    const snapshotId = ctx.newId();
    const t0 = performance.now();
    const trained = await deps.trainer.train(
      {
        snapshotId,
        spec: ctx.spec,
        observations: rows,
        kind: settings.model,
        seed: (ctx.seed * 7919 + rounds) >>> 0,
        ...(settings.trainingSteps !== undefined ? { hyper: { steps: settings.trainingSteps } } : {}),
      },
      (p) => deps.onProgress?.({ ...p, snapshotId }),
    );
    model?.dispose();
    model = loadModel(ctx.spec, trained);
    trainedAt = observations.length;
    trainedWithPrior = withPrior;
    snapshots = [toSnapshotDocument(trained)];
    log.info(
      { snapshotId, model: settings.model, rows: rows.length, backend: trained.snapshot.backend, seconds: Number(((performance.now() - t0) / 1000).toFixed(2)) },
      'generator trained',
    );
  };

  const candidates = (pending: readonly Recipe[]): ExternalCandidate[] => {
    if (!model) return [];
    const m = settings.samples;
    const { recipes } = model.sample(model.conditionsBeyondBest(settings.delta, m), m, (ctx.seed * 31 + rounds) >>> 0);
    const seen = new Set([...observations.map((o) => key(o.recipe)), ...pending.map(key)]);
    const out: ExternalCandidate[] = [];
    for (const r of recipes) {
      const k = key(r);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({
        recipe: r,
        proposer: 'generative',
        rationale: `${settings.model} sample conditioned on beating the best by ${settings.delta} of the observed range`,
        sourceId: model.snapshot.snapshotId,
      });
    }
    return out;
  };

  /**
   * The `k` best of `external` (the generator's samples, or the recipes outside the prior's region) by BO's
   * acquisition, chosen greedily (each pick joins the pending recipes before the next is scored); each keeps its
   * candidate's proposer. Before BO has a model every score is 0 and the samples are taken in order.
   */
  const pickGenerated = async (k: number, pending: readonly Recipe[], external: readonly ExternalCandidate[]) => {
    const out: { suggestion: Suggestion; sourceIndex: ExternalCandidate }[] = [];
    const open = [...external];
    const snapshotId = judge.report().snapshot?.snapshotId;
    while (out.length < k && open.length > 0) {
      const scored = await judge.score(open.map((c) => c.recipe), [...pending, ...out.map((o) => o.suggestion.recipe)]);
      let best = 0;
      for (let i = 1; i < scored.length; i++) if ((scored[i]?.acquisitionValue ?? -Infinity) > (scored[best]?.acquisitionValue ?? -Infinity)) best = i;
      const c = open[best] as ExternalCandidate;
      const s = scored[best] as ScoredCandidate;
      open.splice(best, 1);
      if (out.some((o) => key(o.suggestion.recipe) === key(s.recipe)) || pending.some((p) => key(p) === key(s.recipe))) continue;
      out.push({
        sourceIndex: c,
        suggestion: {
          id: ctx.newId(),
          recipe: s.recipe,
          proposer: c.proposer,
          rationale: `${c.rationale}; best of ${external.length} samples by the acquisition`,
          acquisitionValue: s.acquisitionValue,
          ...(Object.keys(s.predicted).length > 0 ? { predicted: s.predicted } : {}),
          ...(snapshotId !== undefined ? { modelSnapshotId: snapshotId } : {}),
          ...(c.sourceId !== undefined ? { sourceId: c.sourceId } : {}),
        },
      });
    }
    return out;
  };

  /** The generator's places in a batch of n: fixed ⌈share·n⌉, or scaled by its credit (recorded in a snapshot). */
  const placesFor = (n: number): { reserved: number; note?: string } => {
    if (!settings.adaptiveShare) return { reserved: Math.min(n, Math.ceil(settings.share * n)) };
    const credit = generatorCredit(ctx.spec, observations);
    const p = generatorPlaces(n, settings.share, settings.minShare, credit.credit * (check ? check.factor * trustRamp(check.results, settings.priorTrustAfter) : 1), carry);
    carry = p.carry;
    shareDoc = shareSnapshot(ctx.newId(), observations.length, settings.share, n, p, credit, check && { ...check, priorRowsInTraining: trainedWithPrior, trust: trustRamp(check.results, settings.priorTrustAfter) });
    return { reserved: p.places, note: shareNote(n, p.places, credit, check) };
  };

  return {
    name: 'generative',
    async ingest(obs: Observation[]) {
      observations.push(...obs);
      await judge.ingest(obs);
    },
    async suggest(n: number, pending: Recipe[]): Promise<Suggestion[]> {
      if (deps.libraryJudge && prior.length === 0 && settings.share < 1) return judge.suggest(n, pending);
      rounds++;
      if (checkAgainstPrior) check = checkAgainstPrior(observations, (ctx.seed * 104_729 + rounds) >>> 0);
      await retrainIfDue();
      const external = candidates(pending);
      if (external.length === 0) return judge.suggest(n, pending);
      const { reserved, note } = placesFor(n);
      const generated = await pickGenerated(reserved, pending, external);
      const explore = n - generated.length >= 2 ? outsideCandidates([...pending, ...generated.map((g) => g.suggestion.recipe)]) : [];
      const explored = explore.length > 0 ? await pickGenerated(1, [...pending, ...generated.map((g) => g.suggestion.recipe)], explore) : [];
      const chosen = [...generated, ...explored];
      const picked = chosen.map((s) => s.suggestion);
      const left = external.filter((c) => !chosen.some((s) => s.sourceIndex === c));
      const rest = chosen.length === n ? [] : await judge.suggestAmong(n - chosen.length, [...pending, ...picked.map((s) => s.recipe)], left, { maxExternal: n - chosen.length });
      const batch = [...picked, ...rest];
      return note === undefined ? batch : batch.map((s) => ({ ...s, rationale: `${s.rationale}; ${note}` }));
    },
    report(): AgentReport {
      const inner = judge.report();
      return { ...inner, name: 'generative', snapshots: [...snapshots, ...(shareDoc ? [shareDoc] : [])] };
    },
    score: (recipes: readonly Recipe[], pending: readonly Recipe[]): Promise<ScoredCandidate[]> => judge.score(recipes, pending),
    suggestAmong: (n: number, pending: readonly Recipe[], external: readonly ExternalCandidate[], opts?: SuggestAmongOptions) =>
      judge.suggestAmong(n, pending, external, opts),
  };
}

/** The round's share and credit as a snapshot document (campaign.json's `modelSnapshots` show why the share moved). */
function shareSnapshot(
  snapshotId: string,
  n: number,
  maxShare: number,
  batch: number,
  p: { places: number; carry: number; target: number },
  c: GeneratorCredit,
  prior?: PriorCheck & { priorRowsInTraining: boolean; trust: number },
): ModelSnapshot {
  return {
    snapshotId,
    agent: GENERATOR_SHARE_AGENT,
    n,
    hyperparameters: {
      maxShare,
      batch,
      places: p.places,
      targetPlaces: round3(p.target),
      carry: round3(p.carry),
      credit: round3(c.credit),
      pNotWorse: round3(c.pNotWorse),
      feasible: c.feasible,
      generative: { ...c.generative },
      bo: { ...c.bo },
      ...(prior
        ? {
            priorCheck: {
              results: prior.results,
              pairs: prior.pairs,
              priorAgreement: round3(prior.priorAgreement),
              ownAgreement: round3(prior.ownAgreement),
              relevance: round3(prior.relevance),
              factor: round3(prior.factor),
              trust: round3(prior.trust),
              priorRowsInTraining: prior.priorRowsInTraining,
            },
          }
        : {}),
    },
  };
}

function shareNote(n: number, places: number, c: GeneratorCredit, prior?: PriorCheck): string {
  const note = `generator places ${places} of ${n} (credit ${round3(c.credit)}: top-quartile results generative ${c.generative.topQuartile}/${c.generative.results}, bo ${c.bo.topQuartile}/${c.bo.results})`;
  if (!prior) return note;
  return `${note}; prior check: factor ${round3(prior.factor)} (the prior orders ${round3(prior.priorAgreement)} of ${prior.pairs} top-quartile pairs right, this campaign's own model ${round3(prior.ownAgreement)})`;
}


function round3(x: number): number {
  return Number(x.toFixed(3));
}

/** Identity of a recipe to 6 significant digits (duplicates among samples are dropped). */
function key(r: Recipe): string {
  return Object.keys(r)
    .sort()
    .map((k) => {
      const v = r[k];
      return `${k}=${typeof v === 'number' ? Number(v.toPrecision(6)) : v}`;
    })
    .join('|');
}


