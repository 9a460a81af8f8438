/**
 * A question the planner's graph puts to a human (a LangGraph interrupt, ADR 0076) and the answer that resumes it.
 * The console turns each question into an approval request; operators approve or reject it.
 */
export interface HumanQuestion {
  /** The graph thread that waits (unique per question). */
  requestId: string;
  kind: 'triage' | 'advice';
  trialId?: string;
  /** What the operator is asked, in one or two sentences. */
  question: string;
  /** What approving does, and what rejecting does. */
  approve: string;
  reject: string;
  /** The planner's reason for asking. */
  reason: string;
}

export interface HumanAnswer {
  approved: boolean;
  actor: string;
  reason?: string;
}

/** Where the planner's questions go (the console's approval queue), and where the answers come from. */
export interface HumanDesk {
  ask(question: HumanQuestion): Promise<HumanAnswer>;
}

/**
 * What an asker gets when the run stops waiting for an answer (the campaign pauses, ADR 0105): the question stays
 * open and unanswered — nobody answered or rejected it — and the resumed run asks it again.
 */
export class QuestionLeftOpenError extends Error {
  override readonly name = 'QuestionLeftOpenError';
}
