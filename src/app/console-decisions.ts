import { QuestionLeftOpenError } from '../../agents/planner/human-desk.ts';
import type { ApprovalDecision, ApprovalPolicy, RecoveryDecision, RecoveryPolicy } from '../../agents/trial-ports.ts';
import type { Failure, Suggestion } from '../domain/index.ts';

interface PendingApproval {
  suggestion: Suggestion;
  resolve: (d: ApprovalDecision) => void;
  reject: (e: Error) => void;
}

interface PendingRecovery {
  failure: Failure;
  attempt: number;
  resolve: (d: { decision: RecoveryDecision; actor: string }) => void;
  reject: (e: Error) => void;
}

/**
 * Approval and recovery policies decided by an operator in the console: the campaign loop awaits `approve` /
 * `decide`, which resolve when a console command names the trial. `cancelAll` (abort, shutdown) rejects every
 * pending suggestion and abandons every trial awaiting recovery, so the loop can finish. `suspend` (the campaign
 * pauses) decides nothing: the waits end with a QuestionLeftOpenError, and the resumed run asks again (ADR 0105).
 */
export class OperatorDecisions implements ApprovalPolicy, RecoveryPolicy {
  private readonly approvals = new Map<string, PendingApproval>();
  private readonly recoveries = new Map<string, PendingRecovery>();
  private cancelled: { actor: string; reason: string } | undefined;
  private suspended: string | undefined;
  private readonly listeners = new Set<() => void>();

  approve(trialId: string, suggestion: Suggestion): Promise<ApprovalDecision> {
    if (this.cancelled) return Promise.resolve({ approved: false, actor: this.cancelled.actor, reason: this.cancelled.reason });
    if (this.suspended) return Promise.reject(new QuestionLeftOpenError(`approval not asked: ${this.suspended}`));
    return new Promise((resolve, reject) => {
      this.approvals.set(trialId, { suggestion, resolve, reject });
      this.changed();
    });
  }

  decide(trialId: string, failure: Failure, attempt: number): Promise<{ decision: RecoveryDecision; actor: string }> {
    if (this.cancelled) return Promise.resolve({ decision: 'abandon', actor: this.cancelled.actor });
    if (this.suspended) return Promise.reject(new QuestionLeftOpenError(`recovery not asked: ${this.suspended}`));
    return new Promise((resolve, reject) => {
      this.recoveries.set(trialId, { failure, attempt, resolve, reject });
      this.changed();
    });
  }

  hasApproval(trialId: string): boolean {
    return this.approvals.has(trialId);
  }

  hasRecovery(trialId: string): boolean {
    return this.recoveries.has(trialId);
  }

  resolveApproval(trialId: string, decision: ApprovalDecision): boolean {
    const p = this.approvals.get(trialId);
    if (!p) return false;
    this.approvals.delete(trialId);
    p.resolve(decision);
    this.changed();
    return true;
  }

  resolveRecovery(trialId: string, decision: RecoveryDecision, actor: string): boolean {
    const p = this.recoveries.get(trialId);
    if (!p) return false;
    this.recoveries.delete(trialId);
    p.resolve({ decision, actor });
    this.changed();
    return true;
  }

  /** Rejects everything pending now and from now on. */
  cancelAll(actor: string, reason: string): void {
    this.cancelled = { actor, reason };
    for (const [id, p] of this.approvals) {
      this.approvals.delete(id);
      p.resolve({ approved: false, actor, reason });
    }
    for (const [id, p] of this.recoveries) {
      this.recoveries.delete(id);
      p.resolve({ decision: 'abandon', actor });
    }
    this.changed();
  }

  /**
   * Stops waiting without deciding (the campaign pauses, ADR 0105): every pending approval and recovery decision, and
   * every later one, ends with a QuestionLeftOpenError. The trials keep their stored state (proposed, awaiting
   * recovery), so the resumed run puts the same questions to its operators.
   */
  suspend(reason: string): void {
    if (this.cancelled || this.suspended) return;
    this.suspended = reason;
    for (const [id, p] of [...this.approvals]) {
      this.approvals.delete(id);
      p.reject(new QuestionLeftOpenError(`approval of ${id} left open: ${reason}`));
    }
    for (const [id, p] of [...this.recoveries]) {
      this.recoveries.delete(id);
      p.reject(new QuestionLeftOpenError(`recovery of ${id} left open: ${reason}`));
    }
    this.changed();
  }

  pending(): { approvals: string[]; recoveries: string[] } {
    return { approvals: [...this.approvals.keys()], recoveries: [...this.recoveries.keys()] };
  }

  /** Called whenever the pending sets change (tests wait on it). */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}
