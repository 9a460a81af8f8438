import type { DocumentPayload, LabDocument } from '../../../protocol/index.ts';
import { countPlannerCall, emptyPlannerStats, type PlannerStats } from '../../../protocol/planner-stats.ts';

/**
 * The planner's side of a campaign page (ADRs 0072, 0076), folded from its plannerCall and plannerQuestion documents:
 * each transcript by its id (`plannerCall:<seq>`, the id suggestions carry as `sourceId`), the questions put to
 * operators, and the planner's metrics as the transcripts show them. Pure: no DOM, unit-tested in Node.
 */
export type PlannerCallView = DocumentPayload<'plannerCall'> & { id: string; seq: number; time: string };
/**
 * A question in its latest state; `unanswered`: it was open when a new run of the campaign started (a resume), so
 * nobody can answer it any more — the resumed run asks again what it still needs (same request id).
 */
export type PlannerQuestionView = Omit<DocumentPayload<'plannerQuestion'>, 'state'> & { state: 'open' | 'answered' | 'unanswered'; seq: number; time: string };

/**
 * The planner's counters as campaign.json has them (one shared shape), plus the approvals its questions got.
 * `calls` counts model turns that returned an answer (errors and timeouts are not calls, as in campaign.json).
 */
export type PlannerMetrics = PlannerStats & { approvals: { asked: number; approved: number; rejected: number; open: number } };

const emptyMetrics = (): PlannerMetrics => ({ ...emptyPlannerStats(), approvals: { asked: 0, approved: 0, rejected: 0, open: 0 } });

export class PlannerModel {
  readonly calls = new Map<string, PlannerCallView>();
  /** Each question in its latest state, by request id (in the order asked). */
  readonly questions = new Map<string, PlannerQuestionView>();
  readonly metrics: PlannerMetrics = emptyMetrics();
  /** Bumped on every planner document. */
  version = 0;

  get active(): boolean {
    return this.version > 0;
  }

  /** Questions still waiting for an operator. */
  open(): PlannerQuestionView[] {
    return [...this.questions.values()].filter((q) => q.state === 'open');
  }

  /** Folds a document; false for any other type. */
  fold(doc: LabDocument): boolean {
    if (doc.type === 'plannerCall') {
      const call: PlannerCallView = { ...doc.payload, id: `plannerCall:${doc.seq}`, seq: doc.seq, time: doc.time };
      this.calls.set(call.id, call);
      countPlannerCall(this.metrics, call);
    } else if (doc.type === 'plannerQuestion') {
      const q: PlannerQuestionView = { ...doc.payload, seq: doc.seq, time: doc.time };
      const a = this.metrics.approvals;
      const before = this.questions.get(q.requestId)?.state;
      if (q.state === 'open' && before === undefined) {
        a.asked++;
        a.open++;
      } else if (q.state === 'open' && before === 'unanswered') {
        a.open++;
      } else if (q.state === 'answered' && this.questions.get(q.requestId)?.state === 'open') {
        a.open--;
        if (q.answer?.approved) a.approved++;
        else a.rejected++;
      }
      this.questions.set(q.requestId, q);
    } else if (doc.type === 'campaignStart') {
      // A new run (ADR 0102): what the earlier run left open can no longer be answered. Not consumed: the campaign
      // model folds the document too.
      const open = this.open();
      for (const q of open) this.questions.set(q.requestId, { ...q, state: 'unanswered' });
      this.metrics.approvals.open -= open.length;
      if (open.length > 0) this.version++;
      return false;
    } else return false;
    this.version++;
    return true;
  }
}
