import type { DocumentPayload, LabDocument } from '../../../protocol/index.ts';
import { countPlannerCall, emptyPlannerStats, type PlannerStats } from '../../../protocol/planner-stats.ts';

/**
 * The planner's side of a campaign page (ADRs 0072, 0076), folded from its plannerCall and plannerQuestion documents:
 * each transcript by its id (`plannerCall:<seq>`, the id suggestions carry as `sourceId`), the questions put to
 * operators, and the planner's metrics as the transcripts show them. Pure: no DOM, unit-tested in Node.
 */
export type PlannerCallView = DocumentPayload<'plannerCall'> & { id: string; seq: number; time: string };
export type PlannerQuestionView = DocumentPayload<'plannerQuestion'> & { seq: number; time: string };

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
      if (q.state === 'open' && !this.questions.has(q.requestId)) {
        a.asked++;
        a.open++;
      } else if (q.state === 'answered' && this.questions.get(q.requestId)?.state === 'open') {
        a.open--;
        if (q.answer?.approved) a.approved++;
        else a.rejected++;
      }
      this.questions.set(q.requestId, q);
    } else return false;
    this.version++;
    return true;
  }
}
