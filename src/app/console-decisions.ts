import type { ApprovalDecision, ApprovalPolicy, RecoveryDecision, RecoveryPolicy } from '../../agents/trial-ports.ts';
import type { Failure, Suggestion } from '../domain/index.ts';

interface PendingApproval {
  suggestion: Suggestion;
  resolve: (d: ApprovalDecision) => void;
}

interface PendingRecovery {
  failure: Failure;
  attempt: number;
  resolve: (d: { decision: RecoveryDecision; actor: string }) => void;
}

/**
 * Approval and recovery policies decided by an operator in the console: the campaign loop awaits `approve` /
 * `decide`, which resolve when a console command names the trial. `cancelAll` (abort, shutdown) rejects every
 * pending suggestion and abandons every trial awaiting recovery, so the loop can finish.
 */
export class OperatorDecisions implements ApprovalPolicy, RecoveryPolicy {
  private readonly approvals = new Map<string, PendingApproval>();
  private readonly recoveries = new Map<string, PendingRecovery>();
  private cancelled: { actor: string; reason: string } | undefined;
  private readonly listeners = new Set<() => void>();

  approve(trialId: string, suggestion: Suggestion): Promise<ApprovalDecision> {
    if (this.cancelled) return Promise.resolve({ approved: false, actor: this.cancelled.actor, reason: this.cancelled.reason });
    return new Promise((resolve) => {
      this.approvals.set(trialId, { suggestion, resolve });
      this.changed();
    });
  }

  decide(trialId: string, failure: Failure, attempt: number): Promise<{ decision: RecoveryDecision; actor: string }> {
    if (this.cancelled) return Promise.resolve({ decision: 'abandon', actor: this.cancelled.actor });
    return new Promise((resolve) => {
      this.recoveries.set(trialId, { failure, attempt, resolve });
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
