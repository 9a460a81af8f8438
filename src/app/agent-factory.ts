import type { Agent, AgentContext } from '../../agents/agent.ts';
import type { CampaignSpec } from '../domain/index.ts';
import type { AgentServices } from './agents.ts';

export type AgentFactory = (ctx: AgentContext, services: AgentServices) => Agent;

/**
 * The factory of one kind of agent, loading only that kind's modules (ADR 0095): a BO or random campaign never loads
 * TensorFlow.js or LangChain, which cost seconds of CPU and ≈ 100 MB of memory at start-up. The agents themselves
 * are the ones `createAgent` builds (src/app/agents.ts).
 */
export async function loadAgentFactory(kind: CampaignSpec['strategy']['agent']): Promise<AgentFactory> {
  switch (kind) {
    case 'bo':
    case 'sobol-gp': {
      const { createBo } = await import('./bo-factory.ts');
      return (ctx, services) => createBo(ctx, services.library ? { library: services.library } : {});
    }
    case 'sobol': {
      const { createSobolAgent } = await import('../../agents/sobol-agent.ts');
      return (ctx) => createSobolAgent(ctx);
    }
    case 'random': {
      const { createRandomAgent } = await import('../../agents/random-agent.ts');
      return (ctx) => createRandomAgent(ctx);
    }
    case 'hybrid':
    case 'generative': {
      const { createAgent } = await import('./agents.ts');
      return (ctx, services) => createAgent(kind, ctx, services);
    }
  }
}
