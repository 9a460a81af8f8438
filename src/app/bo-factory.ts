import type { AgentContext } from '../../agents/agent.ts';
import { createBoAgent, type BoAgentOptions } from '../../agents/bo-agent.ts';
import { createEvidenceBoAgent } from '../../agents/bo-evidence.ts';
import type { JudgingAgent } from '../../agents/candidates.ts';

/**
 * The BO agent configured from the campaign's strategy (also the judge of the hybrid and generative agents); `extra`:
 * what the campaign's run adds beyond its spec (a warm start's prior rows for the GP's prior mean, ADR 0118; a recipe
 * library to choose from, ADR 0122).
 */
export function createBo(ctx: AgentContext, extra: Pick<BoAgentOptions, 'priorMeanRows' | 'library'> = {}): JudgingAgent {
  const s = ctx.spec.strategy;
  const create = s.encoding === 'evidence' ? createEvidenceBoAgent : createBoAgent;
  return create(ctx, {
    ...(s.initialDesign !== undefined ? { initialDesign: s.initialDesign } : {}),
    ...(s.acquisition !== undefined ? { acquisition: s.acquisition } : {}),
    ...(s.ucbBeta !== undefined ? { ucbBeta: s.ucbBeta } : {}),
    ...(s.kernel !== undefined ? { kernel: s.kernel } : {}),
    ...(s.mixtureLengthscales !== undefined ? { shareMixtureLengthscales: s.mixtureLengthscales === 'shared' } : {}),
    ...(s.outcomeWarp !== undefined ? { outcomeWarp: s.outcomeWarp } : {}),
    ...(s.mixturePresence !== undefined ? { mixturePresence: s.mixturePresence } : {}),
    ...(s.feasibilityModel !== undefined ? { feasibility: s.feasibilityModel } : {}),
    ...(s.coldRefitEvery !== undefined ? { coldRefitEvery: s.coldRefitEvery } : {}),
    ...(s.gpPriors !== undefined ? { gpPriors: s.gpPriors } : {}),
    ...(s.exploreShare !== undefined ? { exploreShare: s.exploreShare } : {}),
    ...(s.thompson !== undefined ? { thompson: s.thompson } : {}),
    ...(ctx.spec.library ? { library: ctx.spec.library } : {}),
    ...extra,
  });
}
