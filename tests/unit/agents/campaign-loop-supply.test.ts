import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../agents/agent.ts';
import { CampaignLoop } from '../../../agents/campaign-loop.ts';
import { autoApproval, autoRecovery, type StockSupply, type TrialExecutor } from '../../../agents/trial-ports.ts';
import { isStockShortage, makeFailure, silentLogger, type Observation, type Suggestion } from '../../../src/domain/index.ts';
import { DocumentBus, type LabDocument } from '../../../src/protocol/index.ts';
import { SafetyGate } from '../../../src/safety/safety-gate.ts';
import { InstantClock } from '../../../simulators/clock.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';
import { OneStationLab } from '../../helpers/one-station-lab.ts';

class CountingAgent implements Agent {
  readonly name = 'counting';
  readonly ingested: Observation[] = [];
  private n = 0;
  async ingest(obs: Observation[]): Promise<void> {
    this.ingested.push(...obs);
  }
  async suggest(n: number): Promise<Suggestion[]> {
    return Array.from({ length: n }, () => ({ id: `s${this.n}`, recipe: { ...goodRecipe, depositionCharge_mC_cm2: 20 + this.n++ }, proposer: 'bo' as const, rationale: 'test' }));
  }
  report() {
    return { name: this.name, observations: this.ingested.length };
  }
}

/** A supply whose stocks are refilled (resupply ok) once `refilled` is true; it counts its retries. */
function supply(): StockSupply & { refilled: boolean; asked: string[] } {
  const retries = new Map<string, number>();
  return {
    refilled: false,
    asked: [],
    isShortage: isStockShortage,
    async resupply(trialId) {
      this.asked.push(trialId);
      if (!this.refilled) return { ok: false, reason: 'STOCK_LOW: stock:Ni holds 3 µL usable, 600 µL needed; refill it and resume' };
      retries.set(trialId, (retries.get(trialId) ?? 0) + 1);
      return { ok: true };
    },
    retries: (trialId) => retries.get(trialId) ?? 0,
  };
}

describe('campaign loop: a stock running out (ADR 0113)', () => {
  it('pauses with the reason instead of failing the trial; nothing is fed to the agent; with the stock refilled the trial is retried on a new attempt', async () => {
    const spec = defaultSpec();
    const clock = new InstantClock();
    const bus = new DocumentBus();
    const docs: LabDocument[] = [];
    bus.subscribe((d) => void docs.push(d));
    const attempts: number[] = [];
    // The 3rd run: the device refuses the sample, Ni short; every other run completes. After a retryable fault on the
    // retry (run 4) the recovery policy still retries once (maxRetries 1): the supply retry did not use it up.
    const lab = new OneStationLab(clock, (_req, n) =>
      n === 3
        ? { status: 'failed', runId: `r${n}`, failure: makeFailure('INSUFFICIENT_LIQUID', 'step 4 (transfer): stock:Ni holds 3.0 µL, 600 µL needed') }
        : n === 4
          ? { status: 'failed', runId: `r${n}`, failure: makeFailure('PRESSURE_ANOMALY', 'pressure outside the expected band') }
          : { status: 'completed', runId: `r${n}`, objectives: { eta10: 0.3 }, features: {}, flags: [] },
    );
    const run = lab.run.bind(lab);
    const counted: TrialExecutor['run'] = (station, req) => (attempts.push(req.attempt), run(station, req));
    lab.run = counted;
    const agent = new CountingAgent();
    const stocks = supply();
    let n = 0;
    const loop = new CampaignLoop({
      spec, campaignId: 'c', agent, bus, executor: lab, gate: new SafetyGate(spec), approvals: autoApproval,
      recovery: autoRecovery(1), newId: () => `id${++n}`, logger: silentLogger, clock, budget: 5, supply: stocks,
    });
    const paused = await loop.run();
    await bus.flush();
    expect(paused.state).toBe('paused');
    expect(paused.reason).toBe('STOCK_LOW: stock:Ni holds 3 µL usable, 600 µL needed; refill it and resume');
    expect(paused.progress.failed).toBe(0);
    expect(agent.ingested.every((o) => o.feasible)).toBe(true);
    const held = docs.filter((d) => d.type === 'trialState' && d.payload.to === 'awaitingRecovery');
    expect(held).toHaveLength(1);

    // The resumed loop (same process here): the stock was refilled; the held trial is retried with a new attempt.
    stocks.refilled = true;
    const trials = docs.filter((d): d is Extract<LabDocument, { type: 'trialState' }> => d.type === 'trialState');
    const last = new Map(trials.map((d) => [d.payload.trialId, d.payload]));
    const loop2 = new CampaignLoop({
      spec, campaignId: 'c', agent, bus, executor: lab, gate: new SafetyGate(spec), approvals: autoApproval,
      recovery: autoRecovery(1), newId: () => `id${++n}`, logger: silentLogger, clock, budget: 5, supply: stocks,
      restore: {
        trials: [...last.values()].map((p) => ({ id: p.trialId, index: p.index, status: p.to, recipe: p.recipe, suggestion: { id: p.trialId, recipe: p.recipe, proposer: 'bo', rationale: 'test' }, station: p.station, attempt: p.attempt, failure: p.failure, objectives: p.objectives, approved: true })),
        observations: [],
        excluded: [],
      },
    });
    const done = await loop2.run();
    expect(done.state).toBe('completed');
    expect(done.progress.completed).toBe(5);
    expect(done.progress.failed).toBe(0);
    // Runs: 0, 0, 0 (refused: Ni short), then the held trial's retry on attempt 1 (a pressure anomaly) and the
    // policy's retry on attempt 2, then the last two trials.
    expect(attempts).toEqual([0, 0, 0, 1, 2, 0, 0]);
    expect(stocks.asked).toEqual([(held[0] as Extract<LabDocument, { type: 'trialState' }>).payload.trialId, (held[0] as Extract<LabDocument, { type: 'trialState' }>).payload.trialId]);
  });
});
