import { QuestionLeftOpenError, type HumanAnswer, type HumanDesk, type HumanQuestion } from '../../agents/planner/human-desk.ts';
import type { DocumentBus } from '../protocol/index.ts';

interface Open {
  question: HumanQuestion;
  answered: Promise<HumanAnswer>;
  resolve: (a: HumanAnswer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Who answers a question nobody answered in time. */
export const QUESTION_TIMEOUT_ACTOR = 'labloop:question-timeout';

/**
 * The planner's questions to a human as the console's approval requests (ADR 0076): each question is published as
 * an open plannerQuestion document; an operator's `answer` command resolves it (and is published as answered), which
 * resumes the waiting graph. `cancelAll` (abort, shutdown) rejects everything open, and a question still open after
 * `timeout_ms` (wall clock: operators live in real time) is declined — the safe answer, no retry and no quarantine
 * change — so nothing waits forever.
 */
export class PlannerQuestions implements HumanDesk {
  private readonly open = new Map<string, Open>();
  private cancelled: { actor: string; reason: string } | undefined;
  private suspended: string | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly bus: DocumentBus,
    private readonly campaignId: string,
    private readonly timeout_ms?: number,
  ) {}

  ask(question: HumanQuestion): Promise<HumanAnswer> {
    if (this.suspended) return Promise.reject(new QuestionLeftOpenError(`not asked: ${this.suspended}`));
    if (this.cancelled) return Promise.resolve({ approved: false, actor: this.cancelled.actor, reason: this.cancelled.reason });
    const existing = this.open.get(question.requestId);
    if (existing) return existing.answered;
    let resolve: (a: HumanAnswer) => void = () => {};
    let reject: (e: Error) => void = () => {};
    const answered = new Promise<HumanAnswer>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = this.timeout_ms === undefined ? undefined : setTimeout(() => this.expire(question.requestId), this.timeout_ms);
    timer?.unref();
    this.open.set(question.requestId, { question, answered, resolve, reject, timer });
    this.bus.publish(this.campaignId, 'plannerQuestion', { ...question, state: 'open' });
    this.changed();
    return answered;
  }

  has(requestId: string): boolean {
    return this.open.has(requestId);
  }

  /** Answers an open question; false when none is open under that id. */
  answer(requestId: string, answer: HumanAnswer): boolean {
    const q = this.open.get(requestId);
    if (!q) return false;
    clearTimeout(q.timer);
    this.open.delete(requestId);
    this.bus.publish(this.campaignId, 'plannerQuestion', { ...q.question, state: 'answered', answer });
    q.resolve(answer);
    this.changed();
    return true;
  }

  pending(): string[] {
    return [...this.open.keys()];
  }

  private expire(requestId: string): void {
    const minutes = ((this.timeout_ms ?? 0) / 60_000).toPrecision(3).replace(/\.?0+$/, '');
    this.answer(requestId, { approved: false, actor: QUESTION_TIMEOUT_ACTOR, reason: `no answer within ${minutes} min (strategy.planner.questionTimeout_min): declined` });
  }

  /**
   * Stops waiting (the campaign pauses, ADR 0105): every asker gets a QuestionLeftOpenError now, and so does every later
   * ask. Nothing is published: the open questions stay open in the documents, unanswered, and the resumed run asks
   * them again (a console marks them unanswered at its campaignStart). Their timeout stops with them.
   */
  suspend(reason: string): void {
    if (this.cancelled || this.suspended) return;
    this.suspended = reason;
    for (const [id, q] of [...this.open]) {
      clearTimeout(q.timer);
      this.open.delete(id);
      q.reject(new QuestionLeftOpenError(`left open: ${reason}`));
    }
    this.changed();
  }

  /** Rejects every open question now and every later one. */
  cancelAll(actor: string, reason: string): void {
    this.cancelled = { actor, reason };
    for (const id of [...this.open.keys()]) this.answer(id, { approved: false, actor, reason });
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}
