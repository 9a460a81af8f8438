import type { Agent, AgentContext } from '../../agents/agent.ts';
import { createBoAgent } from '../../agents/bo-agent.ts';
import type { JudgingAgent } from '../../agents/candidates.ts';
import { HybridAgent } from '../../agents/hybrid-agent.ts';
import type { Planner } from '../../agents/planner/planner.ts';
import { PlannerCandidateSource } from '../../agents/planner/planner-source.ts';
import { RulePlanner } from '../../agents/planner/rule-planner.ts';
import { createRandomAgent } from '../../agents/random-agent.ts';
import { createSobolAgent } from '../../agents/sobol-agent.ts';
import { plannerStrategySchema, type CampaignSpec, type Logger } from '../domain/index.ts';
import { SafetyGate } from '../safety/safety-gate.ts';

/** What some agents need besides their context: the campaign's planner (hybrid), one per campaign so its budget holds. */
export interface AgentExtras {
  planner?: Planner;
  logger?: Logger;
  /** How the hybrid agent's source asks for advice (the checkpointed advice graph); default: the planner directly. */
  ask?: ConstructorParameters<typeof PlannerCandidateSource>[0]['ask'];
  /** Receives the hybrid agent's planner source (tests and benches read its advice log). */
  onPlannerSource?: (source: PlannerCandidateSource) => void;
}

function createBo(ctx: AgentContext): JudgingAgent {
  const s = ctx.spec.strategy;
  return createBoAgent(ctx, {
    ...(s.acquisition !== undefined ? { acquisition: s.acquisition } : {}),
    ...(s.ucbBeta !== undefined ? { ucbBeta: s.ucbBeta } : {}),
    ...(s.kernel !== undefined ? { kernel: s.kernel } : {}),
    ...(s.mixtureLengthscales !== undefined ? { shareMixtureLengthscales: s.mixtureLengthscales === 'shared' } : {}),
    ...(s.outcomeWarp !== undefined ? { outcomeWarp: s.outcomeWarp } : {}),
    ...(s.mixturePresence !== undefined ? { mixturePresence: s.mixturePresence } : {}),
  });
}

/** The composition root's choice of proposer for a campaign's strategy. */
export function createAgent(kind: CampaignSpec['strategy']['agent'], ctx: AgentContext, extras: AgentExtras = {}): Agent {
  switch (kind) {
    case 'bo':
    case 'sobol-gp':
      return createBo(ctx);
    case 'hybrid': {
      const judge = createBo(ctx);
      const strategy = ctx.spec.strategy.planner ?? plannerStrategySchema.parse({});
      const planner = extras.planner ?? new RulePlanner({ gateFor: (spec) => new SafetyGate(spec) });
      const source = new PlannerCandidateSource({
        spec: ctx.spec,
        planner,
        strategy,
        model: () => judge.report().snapshot?.hyperparameters,
        ...(extras.logger ? { logger: extras.logger } : {}),
        ...(extras.ask ? { ask: extras.ask } : {}),
      });
      extras.onPlannerSource?.(source);
      return new HybridAgent(judge, [source], strategy.share);
    }
    case 'sobol':
      return createSobolAgent(ctx);
    case 'random':
      return createRandomAgent(ctx);
  }
}
