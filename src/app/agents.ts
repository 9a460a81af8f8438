import type { Agent, AgentContext } from '../../agents/agent.ts';
import { createBoAgent } from '../../agents/bo-agent.ts';
import type { JudgingAgent } from '../../agents/candidates.ts';
import { createGenerativeAgent, type GeneratorTrainer } from '../../agents/generative-agent.ts';
import { HybridAgent } from '../../agents/hybrid-agent.ts';
import type { Planner } from '../../agents/planner/planner.ts';
import { PlannerCandidateSource } from '../../agents/planner/planner-source.ts';
import { RulePlanner } from '../../agents/planner/rule-planner.ts';
import { createRandomAgent } from '../../agents/random-agent.ts';
import { createSobolAgent } from '../../agents/sobol-agent.ts';
import { selectTfBackend, type TfBackendPreference } from '../../models/generative/tf-backend.ts';
import { plannerStrategySchema, type CampaignSpec, type Logger, type Observation } from '../domain/index.ts';
import { silentLogger } from '../domain/logger.ts';
import { SafetyGate } from '../safety/safety-gate.ts';
import { createInlineTrainer } from './generative-trainer.ts';

/**
 * What some agents need from the run besides their context: the campaign's planner (hybrid; one per campaign so its
 * budget holds), the generator's trainer and backend (generative; one trainer per run, shared by rebuilt agents).
 */
export interface AgentServices {
  planner?: Planner;
  /** How the hybrid agent's source asks for advice (the checkpointed advice graph); default: the planner directly. */
  ask?: ConstructorParameters<typeof PlannerCandidateSource>[0]['ask'];
  /** Receives the hybrid agent's planner source (tests and benches read its advice log). */
  onPlannerSource?: (source: PlannerCandidateSource) => void;
  tfBackend?: TfBackendPreference;
  trainer?: GeneratorTrainer;
  /** Extra training rows for a generator (warm start). */
  priorObservations?: readonly Observation[];
  logger?: Logger;
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
    ...(s.feasibilityModel !== undefined ? { feasibility: s.feasibilityModel } : {}),
    ...(s.coldRefitEvery !== undefined ? { coldRefitEvery: s.coldRefitEvery } : {}),
    ...(s.gpPriors !== undefined ? { gpPriors: s.gpPriors } : {}),
    ...(s.exploreShare !== undefined ? { exploreShare: s.exploreShare } : {}),
  });
}

/** The composition root's choice of proposer for a campaign's strategy. */
export function createAgent(kind: CampaignSpec['strategy']['agent'], ctx: AgentContext, services: AgentServices = {}): Agent {
  switch (kind) {
    case 'bo':
    case 'sobol-gp':
      return createBo(ctx);
    case 'hybrid': {
      const judge = createBo(ctx);
      const strategy = ctx.spec.strategy.planner ?? plannerStrategySchema.parse({});
      const planner = services.planner ?? new RulePlanner({ gateFor: (spec) => new SafetyGate(spec) });
      const source = new PlannerCandidateSource({
        spec: ctx.spec,
        planner,
        strategy,
        model: () => judge.report().snapshot?.hyperparameters,
        ...(services.logger ? { logger: services.logger } : {}),
        ...(services.ask ? { ask: services.ask } : {}),
      });
      services.onPlannerSource?.(source);
      return new HybridAgent(judge, [source], strategy.share);
    }
    case 'generative': {
      const backend = services.tfBackend ?? 'auto';
      const logger = services.logger ?? silentLogger;
      return createGenerativeAgent(ctx, {
        judge: createBo(ctx),
        trainer: services.trainer ?? createInlineTrainer({ backend }),
        prepareSampling: async () => {
          const choice = await selectTfBackend(backend);
          logger.info({ backend: choice.backend, skipped: choice.skipped }, 'tfjs backend selected for sampling');
          return choice;
        },
        ...(ctx.spec.strategy.generative ? { settings: ctx.spec.strategy.generative } : {}),
        ...(services.priorObservations ? { priorObservations: services.priorObservations } : {}),
        logger,
      });
    }
    case 'sobol':
      return createSobolAgent(ctx);
    case 'random':
      return createRandomAgent(ctx);
  }
}
