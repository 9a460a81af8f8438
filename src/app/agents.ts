import type { Agent, AgentContext } from '../../agents/agent.ts';
import { createGenerativeAgent, type GeneratorTrainer } from '../../agents/generative-agent.ts';
import { HybridAgent } from '../../agents/hybrid-agent.ts';
import type { Planner } from '../../agents/planner/planner.ts';
import { PlannerCandidateSource } from '../../agents/planner/planner-source.ts';
import { RulePlanner } from '../../agents/planner/rule-planner.ts';
import { createRandomAgent } from '../../agents/random-agent.ts';
import { createSobolAgent } from '../../agents/sobol-agent.ts';
import { selectTfBackend, type TfBackendPreference } from '../../models/generative/tf-backend.ts';
import { plannerStrategySchema, type CampaignSpec, type Logger, type Observation, type Recipe } from '../domain/index.ts';
import { silentLogger } from '../domain/logger.ts';
import { SafetyGate } from '../safety/safety-gate.ts';
import { createBo } from './bo-factory.ts';
import { createInlineTrainer } from './generative-trainer.ts';

/**
 * What some agents need from the run besides their context: the campaign's planner (hybrid; one per campaign so its
 * budget holds), the generator's trainer and backend (generative; one trainer per run, shared by rebuilt agents).
 */
export interface AgentServices {
  planner?: Planner;
  /** How the hybrid agent's source asks for advice (the checkpointed advice graph); default: the planner directly. */
  ask?: ConstructorParameters<typeof PlannerCandidateSource>[0]['ask'];
  /** A resumed campaign's last advice round, for the first planner source built (ADR 0074); undefined after. */
  plannerResumeAt?: () => ConstructorParameters<typeof PlannerCandidateSource>[0]['resumeAt'];
  /** Receives the hybrid agent's planner source (tests and benches read its advice log). */
  onPlannerSource?: (source: PlannerCandidateSource) => void;
  tfBackend?: TfBackendPreference;
  trainer?: GeneratorTrainer;
  /** Extra training rows for a generator (warm start). */
  priorObservations?: readonly Observation[];
  /** The only recipes the BO agent (alone or as the hybrid's or generator's judge) may propose (ADR 0122). */
  library?: readonly Recipe[];
  logger?: Logger;
}

/** The composition root's choice of proposer for a campaign's strategy. */
export function createAgent(kind: CampaignSpec['strategy']['agent'], ctx: AgentContext, services: AgentServices = {}): Agent {
  switch (kind) {
    case 'bo':
    case 'sobol-gp':
      return createBo(ctx, libraryOf(services));
    case 'hybrid': {
      const judge = createBo(ctx, libraryOf(services));
      const strategy = ctx.spec.strategy.planner ?? plannerStrategySchema.parse({});
      const planner = services.planner ?? new RulePlanner({ gateFor: (spec) => new SafetyGate(spec) });
      const resumeAt = services.plannerResumeAt?.();
      const source = new PlannerCandidateSource({
        spec: ctx.spec,
        planner,
        strategy,
        model: () => judge.report().snapshot?.hyperparameters,
        ...(services.logger ? { logger: services.logger } : {}),
        ...(services.ask ? { ask: services.ask } : {}),
        ...(resumeAt ? { resumeAt } : {}),
      });
      services.onPlannerSource?.(source);
      return new HybridAgent(judge, [source], strategy.share);
    }
    case 'generative': {
      const backend = services.tfBackend ?? 'auto';
      const logger = services.logger ?? silentLogger;
      // The warm start's prior rows as BO's prior mean (ADR 0118), when the campaign asks for it.
      const priorMean = ctx.spec.strategy.generative?.priorMean === true && (services.priorObservations?.length ?? 0) > 0;
      return createGenerativeAgent(ctx, {
        judge: createBo(ctx, { ...(priorMean && services.priorObservations ? { priorMeanRows: services.priorObservations } : {}), ...libraryOf(services) }),
        trainer: services.trainer ?? createInlineTrainer({ backend }),
        prepareSampling: async () => {
          const choice = await selectTfBackend(backend);
          logger.info({ backend: choice.backend, skipped: choice.skipped }, 'tfjs backend selected for sampling');
          return choice;
        },
        ...(ctx.spec.strategy.generative ? { settings: ctx.spec.strategy.generative } : {}),
        ...(services.priorObservations ? { priorObservations: services.priorObservations } : {}),
        ...(services.library || ctx.spec.library ? { libraryJudge: true } : {}),
        logger,
      });
    }
    case 'sobol':
      return createSobolAgent(ctx);
    case 'random':
      return createRandomAgent(ctx);
  }
}

function libraryOf(services: AgentServices): { library?: readonly Recipe[] } {
  return services.library ? { library: services.library } : {};
}
