import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../agents/agent.ts';
import { CampaignLoop } from '../../../agents/campaign-loop.ts';
import { autoApproval, autoRecovery, type FlagDecision, type FlaggedTrial } from '../../../agents/trial-ports.ts';
import { silentLogger, type Observation, type Suggestion } from '../../../src/domain/index.ts';
import { DocumentBus, type LabDocument } from '../../../src/protocol/index.ts';
import { SafetyGate } from '../../../src/safety/safety-gate.ts';
import { InstantClock } from '../../../simulators/clock.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';
import { OneStationLab } from '../../helpers/one-station-lab.ts';

/** Suggests goodRecipe with a different deposition charge each time (so a re-measurement is recognisable). */
class CountingAgent implements Agent {
  readonly name = 'counting';
  private n = 0;
  async ingest(_obs: Observation[]): Promise<void> {}
  async suggest(n: number): Promise<Suggestion[]> {
    return Array.from({ length: n }, () => {
      const k = this.n++;
      return { id: `s${k}`, recipe: { ...goodRecipe, depositionCharge_mC_cm2: 20 + k }, proposer: 'bo' as const, rationale: 'test' };
    });
  }
  report() {
    return { name: this.name, observations: 0 };
  }
}

/** One station; every run whose deposition charge is in `noisyCharges` comes back flagged `noisy`. */
function flaggingLab(clock: InstantClock, noisyCharges: number[]): OneStationLab {
  return new OneStationLab(clock, (req, n) => {
    const flags = noisyCharges.includes(Number(req.recipe['depositionCharge_mC_cm2'])) ? ['noisy'] : [];
    return { status: 'completed', runId: `r${n}`, objectives: { eta10: 0.3 }, features: {}, flags };
  });
}

function run(decide: (e: FlaggedTrial) => FlagDecision, budget = 6) {
  const spec = defaultSpec();
  const clock = new InstantClock();
  const bus = new DocumentBus();
  const docs: LabDocument[] = [];
  bus.subscribe((d) => void docs.push(d));
  const lab = flaggingLab(clock, [21]);
  const events: FlaggedTrial[] = [];
  let n = 0;
  const loop = new CampaignLoop({
    spec, campaignId: 'c', agent: new CountingAgent(), bus, executor: lab, gate: new SafetyGate(spec), approvals: autoApproval,
    recovery: autoRecovery(1), newId: () => `id${++n}`, logger: silentLogger, clock, budget,
    flags: { triage: async (e) => (events.push(e), decide(e)) },
  });
  return { loop, lab, docs, events };
}

describe('campaign loop: triage of flagged trials (ADR 0075)', () => {
  it('a re-measurement the triage decides is the next trial, counted in the budget; re-measurements are not triaged again', async () => {
    const { loop, lab, docs, events } = run(() => ({ remeasure: true, verdict: 'retry', actor: 'planner:llm:plannerCall:3', reason: 'noisy reading', proposer: 'llm' }));
    const result = await loop.run();
    expect(result.state).toBe('completed');
    expect(result.progress.dispatched).toBe(6);
    // The 2nd trial (charge 21) was flagged; its recipe runs again, and that flagged re-run is not triaged again.
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'quality', index: 1, flags: ['noisy'], station: 'p1' });
    const charges = lab.ran.map((r) => r['depositionCharge_mC_cm2']);
    expect(charges.filter((c) => c === 21)).toHaveLength(2);
    expect(charges).toHaveLength(6);
    const remeasure = docs.flatMap((d) => (d.type === 'suggestion' && d.payload.suggestion.rationale.startsWith('Re-measure') ? [d.payload.suggestion] : []));
    expect(remeasure).toHaveLength(1);
    expect(remeasure[0]).toMatchObject({ proposer: 'llm', recipe: { depositionCharge_mC_cm2: 21 } });
    expect(remeasure[0]?.rationale).toContain('decided by planner:llm:plannerCall:3: noisy reading');
  });

  it('a skip keeps the measurement and asks the agent as before', async () => {
    const { loop, lab, events } = run(() => ({ remeasure: false, verdict: 'skip', actor: 'planner:rules', reason: 'keep it', proposer: 'rules' }));
    expect((await loop.run()).progress.dispatched).toBe(6);
    expect(events).toHaveLength(1);
    expect(new Set(lab.ran.map((r) => r['depositionCharge_mC_cm2'])).size).toBe(6);
  });
});
