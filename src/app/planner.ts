import { ChatOpenAICompletions } from '@langchain/openai';
import { LlmPlanner } from '../../agents/planner/llm-planner.ts';
import type { Planner, PlannerCallRecord, PlannerDeps } from '../../agents/planner/planner.ts';
import { RulePlanner } from '../../agents/planner/rule-planner.ts';
import type { Config } from '../config/index.ts';
import type { CampaignSpec, Logger } from '../domain/index.ts';
import type { DocumentBus } from '../protocol/index.ts';
import { SafetyGate } from '../safety/safety-gate.ts';

export interface PlannerSetup {
  config: Config;
  logger: Logger;
  /** Where the audit trail goes: each job becomes a plannerCall document of this campaign. */
  audit?: { bus: DocumentBus; campaignId: string };
}

/** The plannerCall document of each job, published on the campaign's bus; its id is `plannerCall:<seq>`. */
function auditTo(audit: PlannerSetup['audit']): PlannerDeps['record'] {
  if (!audit) return undefined;
  return (call: PlannerCallRecord) => `plannerCall:${audit.bus.publish(audit.campaignId, 'plannerCall', call).seq}`;
}

/**
 * The composition root's planner (ADR 0070): an LLM planner on the configured OpenAI-compatible endpoint (chat
 * completions), or the rule planner when none is configured — said once, in one log line.
 */
export function createPlanner(setup: PlannerSetup): Planner {
  const { config, logger } = setup;
  const deps: PlannerDeps = { gateFor: (spec: CampaignSpec) => new SafetyGate(spec), ...(setup.audit ? { record: auditTo(setup.audit) } : {}) };
  const llm = config.llm;
  if (!llm.baseUrl) {
    logger.warn('planner: no LLM endpoint configured (LABLOOP_LLM_BASE_URL), the deterministic rule planner answers');
    return new RulePlanner(deps);
  }
  const model = new ChatOpenAICompletions({
    model: llm.model,
    // Local servers (Ollama, vLLM, llama.cpp) take any key; the client needs one.
    apiKey: llm.apiKey ?? 'no-key',
    temperature: 0,
    timeout: llm.timeout_ms,
    maxRetries: 0,
    configuration: { baseURL: llm.baseUrl, maxRetries: 0 },
  });
  logger.info({ baseUrl: llm.baseUrl, model: llm.model, timeout_ms: llm.timeout_ms, maxCalls: llm.maxCalls, maxTokens: llm.maxTokens }, 'planner: LLM endpoint configured');
  return new LlmPlanner({
    model,
    deps,
    timeout_ms: llm.timeout_ms,
    maxCalls: llm.maxCalls,
    maxTokens: llm.maxTokens,
    secrets: llm.apiKey ? [llm.apiKey] : [],
    logger: logger.child({ component: 'planner' }),
  });
}
