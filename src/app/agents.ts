import type { Agent, AgentContext } from '../../agents/agent.ts';
import { createBoAgent } from '../../agents/bo-agent.ts';
import { createRandomAgent } from '../../agents/random-agent.ts';
import { createSobolAgent } from '../../agents/sobol-agent.ts';
import type { CampaignSpec } from '../domain/index.ts';

/** The composition root's choice of proposer for a campaign's strategy. */
export function createAgent(kind: CampaignSpec['strategy']['agent'], ctx: AgentContext): Agent {
  switch (kind) {
    case 'bo':
    case 'sobol-gp': {
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
      });
    }
    case 'sobol':
      return createSobolAgent(ctx);
    case 'random':
      return createRandomAgent(ctx);
  }
}
