import { Annotation, Command, END, START, StateGraph, interrupt, type BaseCheckpointSaver } from '@langchain/langgraph';
import type { CampaignSpec } from '../../src/domain/index.ts';
import type { Advice, AdviceRequest, FallbackReason, Planner, PlannerSource } from './planner.ts';

const AdviceState = Annotation.Root({
  summary: Annotation<AdviceRequest['summary']>(),
  k: Annotation<number>(),
  reason: Annotation<AdviceRequest['reason']>(),
  advice: Annotation<Advice | undefined>(),
  source: Annotation<PlannerSource | undefined>(),
  fallback: Annotation<FallbackReason | undefined>(),
  transcriptId: Annotation<string | undefined>(),
  approved: Annotation<boolean | undefined>(),
});
export type AdviceGraphState = typeof AdviceState.State;

export interface AdviceGraphOptions {
  spec: CampaignSpec;
  planner: Planner;
  checkpointer: BaseCheckpointSaver;
  /** Pause for a human's approval of each advice (an interrupt); otherwise advice is approved as it comes. */
  humanApproval?: boolean;
}

export type AdviceRound =
  | {
      state: 'done';
      advice: Advice;
      source: PlannerSource;
      fallback?: FallbackReason;
      transcriptId?: string;
      approved: boolean;
      /** The answer came from the thread's checkpoint (an earlier run asked), not from the planner now. */
      fromCheckpoint: boolean;
    }
  | { state: 'awaitingApproval'; advice: Advice };

/**
 * The in-loop planning step as a LangGraph StateGraph (ADR 0073): `advise` asks the planner (skipped when the
 * checkpointed state already holds an answer, so a resumed graph never asks the model again), `approve` interrupts
 * for a human when the campaign wants one. No node touches hardware: dispatch stays in the engine. Each round is a
 * thread (`<campaign>:advice:<n>`) checkpointed in the campaign's database.
 */
export class AdviceGraph {
  private readonly app;

  constructor(opts: AdviceGraphOptions) {
    const graph = new StateGraph(AdviceState)
      .addNode('advise', async (s: AdviceGraphState) => {
        if (s.advice) return {};
        const r = await opts.planner.advise({ spec: opts.spec, summary: s.summary, k: s.k, reason: s.reason });
        return { advice: r.value, source: r.source, fallback: r.fallback, transcriptId: r.transcriptId };
      })
      .addNode('approve', async (s: AdviceGraphState) => {
        if (!opts.humanApproval) return { approved: true };
        const decision = interrupt({ advice: s.advice }) as { approved?: boolean } | boolean;
        return { approved: typeof decision === 'boolean' ? decision : decision.approved === true };
      })
      .addEdge(START, 'advise')
      .addEdge('advise', 'approve')
      .addEdge('approve', END);
    this.app = graph.compile({ checkpointer: opts.checkpointer });
  }

  /** Runs (or resumes) one round. With `resume`, the round continues from its checkpoint with a human's decision. */
  async run(thread: string, request?: Omit<AdviceRequest, 'spec'>, resume?: { approved: boolean }): Promise<AdviceRound> {
    const config = { configurable: { thread_id: thread } };
    const existing = await this.app.getState(config);
    const fromCheckpoint = (existing.values as Partial<AdviceGraphState>).advice !== undefined;
    type Input = Parameters<typeof this.app.invoke>[0];
    const input = (resume ? new Command({ resume }) : existing.next.length > 0 || existing.values.advice ? null : { summary: request?.summary, k: request?.k, reason: request?.reason }) as Input;
    const out = (await this.app.invoke(input, config)) as AdviceGraphState & { __interrupt__?: unknown[] };
    const advice = out.advice;
    if (!advice) throw new Error(`advice round ${thread} ended without advice`);
    if (out.__interrupt__ && out.__interrupt__.length > 0) return { state: 'awaitingApproval', advice };
    return {
      state: 'done',
      advice,
      source: out.source ?? 'rules',
      ...(out.fallback ? { fallback: out.fallback } : {}),
      ...(out.transcriptId ? { transcriptId: out.transcriptId } : {}),
      approved: out.approved === true,
      fromCheckpoint,
    };
  }
}
