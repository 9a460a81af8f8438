import { ChatOpenAICompletions } from '@langchain/openai';
import { AdviceGraph } from '../../agents/planner/advice-graph.ts';
import { AdviceRounds, lastAdviceRound, type RestoredRound } from '../../agents/planner/advice-rounds.ts';
import { DocumentCheckpointSaver, type CheckpointRecord } from '../../agents/planner/document-checkpoint-saver.ts';
import { FlagTriage } from '../../agents/planner/flag-triage.ts';
import type { HumanDesk } from '../../agents/planner/human-desk.ts';
import { TriageGraph } from '../../agents/planner/triage-graph.ts';
import { TriageRecovery } from '../../agents/planner/triage-recovery.ts';
import type { StationQuarantine } from '../../agents/batch-watch.ts';
import type { RegionQuarantine } from '../../agents/region-quarantine.ts';
import { LlmPlanner } from '../../agents/planner/llm-planner.ts';
import type { Planner, PlannerCallRecord, PlannerDeps, PlannerStats } from '../../agents/planner/planner.ts';
import { RulePlanner } from '../../agents/planner/rule-planner.ts';
import type { Config } from '../config/index.ts';
import type { CampaignSpec, Logger, Recipe } from '../domain/index.ts';
import type { DocumentBus } from '../protocol/index.ts';
import { SafetyGate } from '../safety/safety-gate.ts';
import type { Store } from '../store/store.ts';

export interface PlannerSetup {
  config: Config;
  logger: Logger;
  /** Where the audit trail goes: each job becomes a plannerCall document of this campaign. */
  audit?: { bus: DocumentBus; campaignId: string };
  /** A resumed campaign's stored planner records, folded: its per-campaign budget and counters go on from them. */
  spent?: PlannerStats | undefined;
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
    return new RulePlanner(deps, setup.spent);
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
    spent: setup.spent,
    logger: logger.child({ component: 'planner' }),
  });
}

export interface PlannerGraphsSetup {
  spec: CampaignSpec;
  planner: Planner;
  bus: DocumentBus;
  campaignId: string;
  store: Store;
  /** The campaign resumes a stored run: its graphs' checkpoints are read back (ADR 0074). */
  resumed: boolean;
  /**
   * The console's question queue (ADR 0076). With `strategy.approval: human` each advice round also waits for an
   * operator's approval (the advice graph's interrupt) before its candidates may enter a batch.
   */
  desk?: HumanDesk | undefined;
  logger: Logger;
}

export interface PlannerGraphs {
  checkpointer: DocumentCheckpointSaver;
  rounds: AdviceRounds;
  triage: TriageGraph;
  /** The last stored advice round, for the first planner source built (a rebuilt agent asks anew); once. */
  takeResumeAt(): { completed: number; reason: 'cadence' | 'stall'; pending: boolean } | undefined;
}

/**
 * The planner's LangGraph graphs of one campaign, checkpointed in its documents (ADRs 0073, 0074). A resumed campaign
 * restores the checkpointer from its stored plannerCheckpoint documents, so a graph step already answered is read
 * back and the model is not asked again; advice rounds are numbered on from the stored ones.
 */
export async function createPlannerGraphs(setup: PlannerGraphsSetup): Promise<PlannerGraphs> {
  const { bus, campaignId } = setup;
  const persist = (r: CheckpointRecord): void => void bus.publish(campaignId, 'plannerCheckpoint', r);
  let checkpointer = new DocumentCheckpointSaver(persist);
  let restored: RestoredRound | undefined;
  if (setup.resumed) {
    const docs = await setup.store.documents.ofType(campaignId, 'plannerCheckpoint');
    const records = docs.map((d) => ({ seq: d.seq, record: d.payload as CheckpointRecord }));
    checkpointer = await DocumentCheckpointSaver.restore(records.map((r) => r.record), persist);
    const suggestions = await setup.store.documents.ofType(campaignId, 'suggestion');
    restored = lastAdviceRound(campaignId, records, suggestions.at(-1)?.seq ?? 0);
    setup.logger.info({ checkpoints: records.length, lastRound: restored?.round, used: restored?.used }, 'planner: graph checkpoints restored');
  }
  const humanApproval = setup.desk !== undefined && setup.spec.strategy.approval === 'human';
  const rounds = new AdviceRounds(new AdviceGraph({ spec: setup.spec, planner: setup.planner, checkpointer, humanApproval }), campaignId, restored, humanApproval ? setup.desk : undefined);
  let resumeAt = restored ? { completed: restored.completed, reason: restored.reason, pending: !restored.used } : undefined;
  return {
    checkpointer,
    rounds,
    triage: new TriageGraph({ spec: setup.spec, planner: setup.planner, checkpointer }),
    takeResumeAt() {
      const r = resumeAt;
      resumeAt = undefined;
      return r;
    },
  };
}

/**
 * The hybrid campaign's triage policies (ADRs 0071, 0075, 0076): failed device steps (the recovery policy) and flagged
 * trials or batch-shift alarms (the flag policy), both through the checkpointed triage graph; ask-human goes to the
 * console's question queue when there is a console; quarantine-region goes to the campaign's regions (ADR 0106). Each
 * trial's recipe and station come from the documents.
 */
export function plannerTriage(setup: { planner: Planner; spec: CampaignSpec; bus: DocumentBus; campaignId: string; graphs: PlannerGraphs; stations: StationQuarantine; regions?: RegionQuarantine | undefined; desk?: HumanDesk | undefined; logger: Logger }): {
  recovery: TriageRecovery;
  flags: FlagTriage;
} {
  const { planner, spec, bus, campaignId, graphs, stations, regions, desk } = setup;
  const trials = new Map<string, { recipe: Recipe; station?: string }>();
  bus.subscribe((doc) => {
    if (doc.campaignId === campaignId && doc.type === 'trialState') trials.set(doc.payload.trialId, { recipe: doc.payload.recipe, ...(doc.payload.station ? { station: doc.payload.station } : {}) });
  });
  const allowed = spec.strategy.planner?.triage ?? ['retry', 'skip'];
  const logger = setup.logger.child({ component: 'planner-triage' });
  const common = { planner, spec, campaignId, allowed, stations, graph: graphs.triage, ...(regions ? { regions } : {}), ...(desk ? { desk } : {}), logger };
  return { recovery: new TriageRecovery({ ...common, trialInfo: (id) => trials.get(id) }), flags: new FlagTriage(common) };
}
