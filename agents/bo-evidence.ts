import type { CampaignSpec, Observation, Recipe, Suggestion } from '../src/domain/index.ts';
import { silentLogger } from '../src/domain/logger.ts';
import type { AgentContext, AgentReport } from './agent.ts';
import { createBoAgent, type BoAgentOptions, type EncodingEvidence } from './bo-agent.ts';
import type { ExternalCandidate, JudgingAgent, ScoredCandidate, SuggestAmongOptions } from './candidates.ts';

/** One encoding of a campaign's mixtures for the BO agent's GP. */
export interface EncodingVariant {
  label: string;
  mixturePresence: boolean;
  shareMixtureLengthscales: boolean;
}

/**
 * The encodings a choice by evidence compares (ADR 0058): component-present indicators on or off × one lengthscale
 * per simplex group or one per fraction. The configured encoding (`configured`, else the defaults: presence on, shared)
 * comes first: it is used until the evidence is in and kept unless another beats it by the margin. A space without a
 * simplex parameter has one variant: there is nothing to choose.
 */
export function encodingVariants(spec: Pick<CampaignSpec, 'parameters'>, configured: Pick<BoAgentOptions, 'mixturePresence' | 'shareMixtureLengthscales'> = {}): EncodingVariant[] {
  const p0 = configured.mixturePresence ?? true;
  const s0 = configured.shareMixtureLengthscales ?? true;
  const variant = (p: boolean, s: boolean): EncodingVariant => ({ label: `${p ? 'presence' : 'no-presence'}+${s ? 'shared' : 'ard'}`, mixturePresence: p, shareMixtureLengthscales: s });
  if (!spec.parameters.some((p) => p.type === 'simplex')) return [variant(p0, s0)];
  return [variant(p0, s0), variant(p0, !s0), variant(!p0, s0), variant(!p0, !s0)];
}

export interface EvidenceChoiceOptions {
  /** Re-choose after this many new observations (default 8). */
  every?: number;
  /** Keep the default encoding until this many feasible observations (default 12). */
  minObservations?: number;
  /** Another encoding replaces the default only when its mean LOO log density per observation is higher by this much (default 0.05 nats). */
  margin?: number;
}

/** The encoding in use and the evidence it was chosen on (published in the model snapshot as `_encoding`). */
export interface EncodingChoice {
  chosen: string;
  /** Observations at the last choice. */
  n: number;
  /** Mean leave-one-out log predictive density per observation of each variant, model space. */
  looLogDensity: Record<string, number>;
}

/**
 * A BO agent that chooses its mixture encoding per campaign by evidence (ADR 0058): one BO agent per encoding variant
 * learns every observation; every `every` observations each variant's GP is refitted and the one with the best mean
 * leave-one-out log predictive density proposes, scores and reports, unless it beats the default by less than
 * `margin`. The choice is made afresh at each check (no memory of the previous one), so a resumed campaign that
 * re-ingests its observations makes the same kind of choice.
 */
export function createEvidenceBoAgent(ctx: AgentContext, opts: BoAgentOptions & { evidence?: EvidenceChoiceOptions } = {}): JudgingAgent {
  const { evidence: choiceOpts = {}, ...boOpts } = opts;
  const log = (opts.logger ?? silentLogger).child({ agent: 'bo', component: 'encoding-choice' });
  const variants = encodingVariants(ctx.spec, { mixturePresence: opts.mixturePresence, shareMixtureLengthscales: opts.shareMixtureLengthscales });
  const agents = variants.map((v) => createBoAgent(ctx, { ...boOpts, mixturePresence: v.mixturePresence, shareMixtureLengthscales: v.shareMixtureLengthscales }));
  const every = Math.max(1, choiceOpts.every ?? 8);
  const minObservations = choiceOpts.minObservations ?? 12;
  const margin = choiceOpts.margin ?? 0.05;
  let observations = 0;
  let feasible = 0;
  let chosen = 0;
  let choice: EncodingChoice | undefined;

  const choose = (): JudgingAgent & EncodingEvidence => {
    if (agents.length > 1 && feasible >= minObservations && (choice === undefined || observations - choice.n >= every)) {
      const scores = agents.map((a) => a.looEvidence() ?? -Infinity);
      let best = 0;
      scores.forEach((v, i) => {
        if (v > (scores[best] as number)) best = i;
      });
      const next = (scores[best] as number) > (scores[0] as number) + margin ? best : 0;
      if (next !== chosen || choice === undefined) log.info({ n: observations, encoding: variants[next]?.label, looLogDensity: scores.map((v) => Number(v.toFixed(4))) }, 'mixture encoding chosen by evidence');
      chosen = next;
      choice = { chosen: (variants[chosen] as EncodingVariant).label, n: observations, looLogDensity: Object.fromEntries(variants.map((v, i) => [v.label, scores[i] as number])) };
    }
    return agents[chosen] as JudgingAgent & EncodingEvidence;
  };

  return {
    name: 'bo',
    async ingest(obs: Observation[]) {
      for (const a of agents) await a.ingest(obs);
      observations += obs.length;
      feasible += obs.filter((o) => o.feasible).length;
    },
    suggest: (n: number, pending: Recipe[]): Promise<Suggestion[]> => choose().suggest(n, pending),
    suggestAmong: (n: number, pending: readonly Recipe[], external: readonly ExternalCandidate[], o?: SuggestAmongOptions): Promise<Suggestion[]> => choose().suggestAmong(n, pending, external, o),
    score: (recipes: readonly Recipe[], pending: readonly Recipe[]): Promise<ScoredCandidate[]> => choose().score(recipes, pending),
    report(): AgentReport {
      const r = (agents[chosen] as JudgingAgent).report();
      if (!r.snapshot || !choice) return r;
      return { ...r, snapshot: { ...r.snapshot, hyperparameters: { ...r.snapshot.hyperparameters, _encoding: choice } } };
    },
  };
}
