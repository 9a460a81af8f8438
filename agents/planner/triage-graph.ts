import { Annotation, Command, END, START, StateGraph, interrupt, type BaseCheckpointSaver } from '@langchain/langgraph';
import type { CampaignSpec } from '../../src/domain/index.ts';
import type { HumanAnswer, HumanDesk, HumanQuestion } from './human-desk.ts';
import type { FallbackReason, Planner, PlannerResult, PlannerSource, TriageRequest, TriageVerdict } from './planner.ts';

type Request = Omit<TriageRequest, 'spec'>;

const TriageState = Annotation.Root({
  request: Annotation<Request>(),
  verdict: Annotation<TriageVerdict | undefined>(),
  source: Annotation<PlannerSource | undefined>(),
  fallback: Annotation<FallbackReason | undefined>(),
  transcriptId: Annotation<string | undefined>(),
  answer: Annotation<HumanAnswer | undefined>(),
});
type State = typeof TriageState.State;

export interface TriageOutcome {
  result: PlannerResult<TriageVerdict>;
  /** The human's answer, when the verdict was ask-human and a human answered. */
  answer?: HumanAnswer;
  /** The verdict came from the thread's checkpoint (an earlier run asked), not from the planner now. */
  fromCheckpoint: boolean;
}

/** What the operator is asked for a trial the planner could not triage itself. */
export function triageQuestion(requestId: string, req: Request, reason: string): HumanQuestion {
  const what = req.failure ? `failed (${req.failure.code}: ${req.failure.message.slice(0, 200)})` : `was flagged (${req.flags.join(', ') || 'no flags'})`;
  const retry = req.failure ? 'retry the failed step' : 're-measure the recipe once';
  return {
    requestId,
    kind: 'triage',
    trialId: req.trialId,
    question: `Trial ${req.trialId}${req.station ? ` on ${req.station}` : ''} ${what}. The planner asks a human: ${retry}?`,
    approve: retry,
    reject: req.failure ? 'give the trial up (failed)' : 'keep the measurement as it is',
    reason: reason.slice(0, 1000),
  };
}

/**
 * Triage of a failed or flagged trial as a LangGraph StateGraph (ADR 0076): `triage` asks the planner (skipped when
 * the checkpointed state already holds a verdict); `human`, reached only by an ask-human verdict, is an interrupt
 * whose question goes to the `HumanDesk` (the console's approval queue) and whose answer resumes the graph. Each
 * triage is a thread (`<campaign>:triage:<trial>:<attempt>` or `…:flag:<trial>`), so a resumed campaign finds a
 * pending question or an answered verdict in its checkpoints and never asks the model again.
 */
export class TriageGraph {
  private readonly app;

  constructor(opts: { spec: CampaignSpec; planner: Planner; checkpointer: BaseCheckpointSaver }) {
    const graph = new StateGraph(TriageState)
      .addNode('triage', async (s: State) => {
        if (s.verdict) return {};
        const r = await opts.planner.triage({ ...s.request, spec: opts.spec });
        return { verdict: r.value, source: r.source, fallback: r.fallback, transcriptId: r.transcriptId };
      })
      .addNode('human', async (s: State) => {
        const answer = interrupt({ question: s.verdict?.reason ?? '' }) as HumanAnswer;
        return { answer: { approved: answer.approved === true, actor: String(answer.actor ?? 'operator'), ...(answer.reason ? { reason: String(answer.reason) } : {}) } };
      })
      .addEdge(START, 'triage')
      .addConditionalEdges('triage', (s: State) => (s.verdict?.verdict === 'ask-human' ? 'human' : END), ['human', END])
      .addEdge('human', END);
    this.app = graph.compile({ checkpointer: opts.checkpointer });
  }

  /**
   * Triages one trial on `thread`, asking `desk` when the verdict is ask-human (and awaiting the answer). Without a
   * desk an ask-human verdict is returned unanswered.
   */
  async run(thread: string, request: Request, desk?: HumanDesk): Promise<TriageOutcome> {
    const config = { configurable: { thread_id: thread } };
    const existing = await this.app.getState(config);
    const values = existing.values as Partial<State>;
    const fromCheckpoint = values.verdict !== undefined;
    type Input = Parameters<typeof this.app.invoke>[0];
    const started = existing.next.length > 0 || values.verdict !== undefined;
    let out = (await this.app.invoke((started ? null : { request }) as Input, config)) as State & { __interrupt__?: unknown[] };
    if (out.__interrupt__ && out.__interrupt__.length > 0 && desk && out.verdict) {
      const answer = await desk.ask(triageQuestion(thread, out.request ?? request, out.verdict.reason));
      out = (await this.app.invoke(new Command({ resume: answer }) as Input, config)) as State & { __interrupt__?: unknown[] };
    }
    const verdict = out.verdict;
    if (!verdict) throw new Error(`triage ${thread} ended without a verdict`);
    return {
      result: { value: verdict, source: out.source ?? 'rules', ...(out.fallback ? { fallback: out.fallback } : {}), ...(out.transcriptId ? { transcriptId: out.transcriptId } : {}) },
      ...(out.answer ? { answer: out.answer } : {}),
      fromCheckpoint,
    };
  }
}

/**
 * Asks for a triage: through the checkpointed graph when there is one, otherwise the planner directly (the same
 * question goes to `desk` for an ask-human verdict either way).
 */
export async function askTriage(
  with_: { planner: Planner; spec: CampaignSpec; graph?: TriageGraph; desk?: HumanDesk },
  thread: string,
  request: Request,
): Promise<TriageOutcome> {
  if (with_.graph) return with_.graph.run(thread, request, with_.desk);
  const result = await with_.planner.triage({ ...request, spec: with_.spec });
  if (result.value.verdict !== 'ask-human' || !with_.desk) return { result, fromCheckpoint: false };
  const answer = await with_.desk.ask(triageQuestion(thread, request, result.value.reason));
  return { result, answer, fromCheckpoint: false };
}
