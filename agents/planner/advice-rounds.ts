import type { AdviceGraph } from './advice-graph.ts';
import type { CheckpointRecord } from './document-checkpoint-saver.ts';
import type { HumanDesk, HumanQuestion } from './human-desk.ts';
import type { Advice, AdviceRequest, PlannerResult } from './planner.ts';

/** The last advice round an earlier run of the campaign left, as its stored checkpoints show it (ADR 0074). */
export interface RestoredRound {
  round: number;
  thread: string;
  /** Completed trials when the round was asked, and why it was asked. */
  completed: number;
  reason: 'cadence' | 'stall';
  /**
   * The campaign went on past the round: a suggestion was published after its last checkpoint, so its candidates
   * were offered to the judge. An unused round (the run stopped between the answer and the batch) is offered again.
   */
  used: boolean;
}

export const adviceThread = (campaignId: string, round: number): string => `${campaignId}:advice:${round}`;

interface RoundInput {
  summary?: { completed?: unknown };
  reason?: unknown;
}

/** The round's input as the checkpoint holds it: in its channels once `advise` ran, in `__start__` before. */
function inputOf(record: CheckpointRecord): RoundInput | undefined {
  if (record.op !== 'put') return undefined;
  const values = (record.checkpoint as { channel_values?: Record<string, unknown> }).channel_values ?? {};
  if (values['summary']) return { summary: values['summary'] as RoundInput['summary'], reason: values['reason'] };
  const start = values['__start__'] as RoundInput | undefined;
  return start?.summary ? start : undefined;
}

/**
 * Finds the campaign's last advice round among its stored checkpoint operations (with their document sequence
 * numbers) and tells whether the campaign used it (`lastSuggestionSeq`: sequence number of the last suggestion
 * document, 0 when none).
 */
export function lastAdviceRound(campaignId: string, records: readonly { seq: number; record: CheckpointRecord }[], lastSuggestionSeq: number): RestoredRound | undefined {
  const prefix = `${campaignId}:advice:`;
  let last: { round: number; seq: number; input?: RoundInput } | undefined;
  for (const { seq, record } of records) {
    const thread = record.config.configurable?.['thread_id'];
    if (typeof thread !== 'string' || !thread.startsWith(prefix)) continue;
    const round = Number(thread.slice(prefix.length));
    if (!Number.isInteger(round) || round < 1) continue;
    if (last && round < last.round) continue;
    const input = inputOf(record);
    last = { round, seq, ...(input ? { input } : last?.round === round && last.input ? { input: last.input } : {}) };
  }
  if (!last) return undefined;
  const completed = Number(last.input?.summary?.completed ?? 0);
  return {
    round: last.round,
    thread: adviceThread(campaignId, last.round),
    completed: Number.isFinite(completed) ? completed : 0,
    reason: last.input?.reason === 'stall' ? 'stall' : 'cadence',
    used: lastSuggestionSeq > last.seq,
  };
}

/**
 * Advice rounds of one campaign through the checkpointed graph: each ask is a new round (thread
 * `<campaign>:advice:<n>`, numbered on from the rounds an earlier run stored). After a resume, the first ask goes to
 * the restored round if the campaign had not used it yet: the graph finds its answer in the checkpoint and the model
 * is not asked again. Advice a human rejected, or that still awaits approval, contributes no candidates.
 */
export class AdviceRounds {
  private round: number;
  private reuse: RestoredRound | undefined;
  /** Rounds answered from a checkpoint instead of the planner. */
  reused = 0;

  constructor(
    private readonly graph: AdviceGraph,
    private readonly campaignId: string,
    restored?: RestoredRound,
    /** Where an advice awaiting approval (the graph's interrupt, when it runs with human approval) is asked (ADR 0076). */
    private readonly desk?: HumanDesk,
  ) {
    this.round = restored?.round ?? 0;
    this.reuse = restored && !restored.used ? restored : undefined;
  }

  ask = async (request: AdviceRequest): Promise<PlannerResult<Advice>> => {
    const reuse = this.reuse;
    this.reuse = undefined;
    const thread = reuse ? reuse.thread : adviceThread(this.campaignId, ++this.round);
    let round = await this.graph.run(thread, { summary: request.summary, k: request.k, reason: request.reason });
    if (round.state === 'awaitingApproval' && this.desk) {
      const answer = await this.desk.ask(adviceQuestion(thread, round.advice));
      round = await this.graph.run(thread, undefined, { approved: answer.approved });
    }
    if (reuse && round.state === 'done' && round.fromCheckpoint) this.reused++;
    if (round.state !== 'done') return { value: { ...round.advice, candidates: [] }, source: 'rules' };
    const value = round.approved ? round.advice : { ...round.advice, candidates: [] };
    return { value, source: round.source, ...(round.fallback ? { fallback: round.fallback } : {}), ...(round.transcriptId ? { transcriptId: round.transcriptId } : {}) };
  };
}

/** What the operator is asked about an advice round before its candidates may enter a batch. */
export function adviceQuestion(requestId: string, advice: Advice): HumanQuestion {
  const n = advice.candidates.length;
  return {
    requestId,
    kind: 'advice',
    question: `The planner advises "${advice.strategy}" with ${n} candidate recipe(s). Offer them to the optimiser?`,
    approve: 'offer its candidates (the optimiser still judges them)',
    reject: "drop them (the optimiser's own choices only)",
    reason: advice.rationale.slice(0, 1000),
  };
}
