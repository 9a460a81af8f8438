import type { Recipe, Suggestion } from '../src/domain/index.ts';
import { groupReadings, type Reading } from './best-estimate.ts';

/**
 * Re-qualification of a station the batch check quarantined (ADR 0061). Once released — by an operator after
 * replacing the electrolyte, or by the campaign itself where the lab can replace it (`auto`) — the station is on
 * probation: its first trial measures a reference recipe, one the other stations have already measured, and the
 * station returns to service only when that reading lies within `tolerance` of theirs; otherwise it is quarantined
 * again for an operator.
 */
export interface RequalificationPolicy {
  /** Release the station at once after the alarm (its electrolyte is replaced by the lab's own maintenance). */
  auto: boolean;
  /** Largest |reading − reference value| that passes, objective units (default 0.03: η10 in V, twice the smallest alarm). */
  tolerance: number;
}

export const DEFAULT_REQUALIFICATION: RequalificationPolicy = { auto: false, tolerance: 0.03 };

/** A reference measurement: the recipe and what the other stations read for it. */
export interface ReferencePlan {
  recipe: Recipe;
  /** Mean of the other stations' readings of the recipe. */
  value: number;
  n: number;
}

export class Requalification {
  /** Stations on probation, with the reason they were quarantined. */
  private readonly probation = new Map<string, string>();
  /** Reference trials running: trial id → station and plan. */
  private readonly running = new Map<string, { station: string; plan: ReferencePlan }>();

  constructor(readonly policy: RequalificationPolicy) {}

  /** The batch check quarantined `station`: it needs a reference measurement before it takes trials again. */
  onAlarm(station: string, reason: string): void {
    this.probation.set(station, reason);
  }

  /** Stations among `free` that must measure a reference before anything else. */
  due(free: readonly string[]): string[] {
    const busy = new Set([...this.running.values()].map((r) => r.station));
    return free.filter((s) => this.probation.has(s) && !busy.has(s));
  }

  onProbation(station: string): boolean {
    return this.probation.has(station);
  }

  /**
   * The reference for `station`: the recipe read most often on other stations (clean readings; the latest among equals),
   * or undefined when there is none — nothing to compare with: the station returns to service unchecked.
   */
  plan(station: string, readings: readonly (Reading & { station: string })[]): ReferencePlan | undefined {
    const others = readings.filter((r) => r.station !== station);
    let best: ReferencePlan | undefined;
    for (const g of groupReadings(others)) {
      if (!best || g.values.length >= best.n) best = { recipe: g.recipe, value: g.values.reduce((a, b) => a + b, 0) / g.values.length, n: g.values.length };
    }
    if (!best) this.probation.delete(station);
    return best;
  }

  suggestion(station: string, plan: ReferencePlan, id: string, objective: string): Suggestion {
    return {
      id,
      recipe: plan.recipe,
      proposer: 'reference',
      rationale:
        `Re-qualification of station ${station} after ${this.probation.get(station)?.split(':')[0] ?? 'a quarantine'}: a reference recipe the other stations read ` +
        `${plan.n} time(s), mean ${objective} ${fmt(plan.value)}; the station returns to service if it reads within ±${fmt(this.policy.tolerance)} of it.`,
    };
  }

  started(trialId: string, station: string, plan: ReferencePlan): void {
    this.running.set(trialId, { station, plan });
  }

  isReference(trialId: string): boolean {
    return this.running.has(trialId);
  }

  /**
   * The reference trial ended: `reading` undefined when it failed (the station stays on probation for its next trial).
   * 'pass': back in service; 'fail': quarantine it again (the message says why).
   */
  finished(trialId: string, reading: number | undefined): { verdict: 'pass' | 'fail' | 'retry'; station: string; message: string } | undefined {
    const r = this.running.get(trialId);
    if (!r) return undefined;
    this.running.delete(trialId);
    if (reading === undefined) return { verdict: 'retry', station: r.station, message: 'the reference trial did not complete' };
    const diff = reading - r.plan.value;
    const message = `reference read ${fmt(reading)}, the other stations ${fmt(r.plan.value)} (n = ${r.plan.n}): off by ${fmt(diff)}, tolerance ±${fmt(this.policy.tolerance)}`;
    if (Math.abs(diff) <= this.policy.tolerance) {
      this.probation.delete(r.station);
      return { verdict: 'pass', station: r.station, message };
    }
    return { verdict: 'fail', station: r.station, message };
  }
}

function fmt(v: number): string {
  return Number(v.toPrecision(3)).toString();
}
