import type { Agent, AgentContext } from '../../agents/agent.ts';
import { createBoAgent } from '../../agents/bo-agent.ts';
import { createGenerativeAgent, type GeneratorTrainer } from '../../agents/generative-agent.ts';
import { createRandomAgent } from '../../agents/random-agent.ts';
import { createSobolAgent } from '../../agents/sobol-agent.ts';
import { selectTfBackend, type TfBackendPreference } from '../../models/generative/tf-backend.ts';
import type { CampaignSpec, Logger, Observation } from '../domain/index.ts';
import { silentLogger } from '../domain/logger.ts';
import { createInlineTrainer } from './generative-trainer.ts';

/** What the generative agent needs from the run (one trainer per run, shared by rebuilt agents). */
export interface AgentServices {
  tfBackend?: TfBackendPreference;
  trainer?: GeneratorTrainer;
  /** Extra training rows for a generator (warm start). */
  priorObservations?: readonly Observation[];
  logger?: Logger;
}

/** The composition root's choice of proposer for a campaign's strategy. */
export function createAgent(kind: CampaignSpec['strategy']['agent'], ctx: AgentContext, services: AgentServices = {}): Agent {
  switch (kind) {
    case 'bo':
    case 'sobol-gp':
      return createBo(ctx);
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

function createBo(ctx: AgentContext) {
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
