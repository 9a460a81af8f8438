import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../agents/agent.ts';
import { CampaignLoop } from '../../../agents/campaign-loop.ts';
import { autoApproval, autoRecovery, type ApprovalPolicy, type TrialExecutor } from '../../../agents/trial-ports.ts';
import { OperatorDecisions } from '../../../src/app/console-decisions.ts';
import { makeFailure, silentLogger, type Observation, type Recipe, type Suggestion } from '../../../src/domain/index.ts';
import { DocumentBus, type LabDocument, type TrialOutcome } from '../../../src/protocol/index.ts';
import { SafetyGate } from '../../../src/safety/safety-gate.ts';
import { InstantClock } from '../../../simulators/clock.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';

/** An agent that replays a fixed list of recipes and records what it was told. */
class ScriptedAgent implements Agent {
  readonly name = 'scripted';
  readonly ingested: Observation[] = [];
  readonly pendingSeen: number[] = [];
  private i = 0;
  constructor(private readonly recipes: Recipe[]) {}
  async ingest(obs: Observation[]): Promise<void> {
    this.ingested.push(...obs);
  }
  async suggest(n: number, pending: Recipe[]): Promise<Suggestion[]> {
    this.pendingSeen.push(pending.length);
    const out: Suggestion[] = [];
    for (let k = 0; k < n && this.i < this.recipes.length; k++) out.push({ id: `s${this.i}`, recipe: this.recipes[this.i++] as Recipe, proposer: 'human', rationale: 'scripted' });
    return out;
  }
  report() {
    return { name: this.name, observations: this.ingested.length };
  }
}

/** Two stations; each run takes 1 virtual second and returns a scripted outcome. */
class FakeExecutor implements TrialExecutor {
  readonly ran: Recipe[] = [];
  aborted = false;
  private busy = new Set<string>();
  private waiters: (() => void)[] = [];
  constructor(private readonly clock: InstantClock, private readonly outcome: (r: Recipe, attempt: number) => TrialOutcome, private readonly stations = ['p1', 'p2']) {}
  availableStations() {
    return this.stations.filter((s) => !this.busy.has(s));
  }
  usableStations() {
    return this.stations.length;
  }
  async whileNotPaused() {}
  stationsChanged() {
    return new Promise<void>((r) => this.waiters.push(r));
  }
  async run(station: string, req: { recipe: Recipe; attempt: number }): Promise<TrialOutcome> {
    this.busy.add(station);
    this.ran.push(req.recipe);
    await this.clock.sleep(1);
    this.busy.delete(station);
    this.waiters.splice(0).forEach((w) => w());
    return this.outcome(req.recipe, req.attempt);
  }
}

function makeLoop(recipes: Recipe[], outcome: (r: Recipe, attempt: number) => TrialOutcome, budget = recipes.length, stations?: string[], approvals: ApprovalPolicy = autoApproval) {
  const spec = defaultSpec();
  spec.safety.maxConcentration.Ni = 60;
  const clock = new InstantClock();
  const bus = new DocumentBus();
  const docs: LabDocument[] = [];
  bus.subscribe((d) => void docs.push(d));
  const agent = new ScriptedAgent(recipes);
  const executor = new FakeExecutor(clock, outcome, stations);
  let n = 0;
  const loop = new CampaignLoop({
    spec, campaignId: 'c', agent, bus, executor, gate: new SafetyGate(spec), approvals,
    recovery: autoRecovery(1), newId: () => `id${++n}`, logger: silentLogger, clock, budget,
  });
  return { loop, agent, executor, docs, bus };
}

const completed = (r: Recipe): TrialOutcome => ({ status: 'completed', runId: 'r', objectives: { eta10: 0.3 + Number(r.Fe) / 10 }, features: {}, flags: [] });

describe('campaign loop', () => {
  it('pauses without waiting for an operator\'s approval: the trial stays proposed, nothing runs (ADR 0105)', async () => {
    const decisions = new OperatorDecisions();
    const { loop, executor, docs, bus } = makeLoop([goodRecipe, goodRecipe], completed, 2, ['p1'], decisions);
    const asked = new Promise<void>((r) => decisions.onChange(() => decisions.pending().approvals.length > 0 && r()));
    const running = loop.run();
    await asked;
    const [waiting] = decisions.pending().approvals;
    loop.pause('paused by a test');
    decisions.suspend('the campaign paused');
    const result = await running;
    await bus.flush();
    expect(result).toMatchObject({ state: 'paused', reason: 'paused by a test' });
    expect(executor.ran).toEqual([]);
    const states = docs.filter((d) => d.type === 'trialState' && d.payload.trialId === waiting).map((d) => (d.type === 'trialState' ? d.payload.to : ''));
    expect(states).toEqual(['proposed']);
    // Later asks are not put to operators either, and the pending set is empty.
    await expect(decisions.approve('later', { id: 's', recipe: goodRecipe, proposer: 'human', rationale: '' })).rejects.toThrow(/not asked: the campaign paused/);
    expect(decisions.pending()).toEqual({ approvals: [], recoveries: [] });
  });

  it('blocks an out-of-envelope recipe, records why, never dispatches it, and tells the agent', async () => {
    const bad = { ...goodRecipe, Ni: 0.75, Fe: 0.25, Co: 0, totalMetal: 100 }; // 75 mM Ni, above the envelope's 60 mM
    const { loop, executor, docs, agent, bus } = makeLoop([bad, goodRecipe, goodRecipe], completed, 2);
    const result = await loop.run();
    await bus.flush();
    expect(result.state).toBe('completed');
    expect(executor.ran).toHaveLength(2);
    expect(executor.ran.some((r) => r.Ni === 0.75)).toBe(false);
    const blocked = docs.find((d) => d.type === 'trialState' && d.payload.to === 'blocked');
    expect(blocked?.type === 'trialState' && blocked.payload.failure).toMatchObject({ code: 'SAFETY_BLOCKED', message: expect.stringMatching(/Ni: 75\.00 mM exceeds the limit 60 mM/) });
    expect(agent.ingested.find((o) => o.failureCode === 'SAFETY_BLOCKED')).toBeDefined();
  });

  it('fills every free station, passes running recipes as pending, and walks each trial through the transition table', async () => {
    const { loop, agent, docs, bus } = makeLoop([goodRecipe, { ...goodRecipe, Fe: 0.2, Ni: 0.65 }, goodRecipe, goodRecipe], completed);
    const result = await loop.run();
    await bus.flush();
    expect(result.progress).toMatchObject({ completed: 4, failed: 0, dispatched: 4 });
    expect(agent.pendingSeen[0]).toBe(0);
    expect(Math.max(...agent.pendingSeen)).toBeGreaterThanOrEqual(1);
    const first = docs.filter((d) => d.type === 'trialState' && d.payload.index === 0).map((d) => (d.type === 'trialState' ? d.payload.to : ''));
    expect(first).toEqual(['proposed', 'approved', 'queued', 'running', 'completed']);
    expect(docs.at(-1)).toMatchObject({ type: 'campaignState', payload: { state: 'completed' } });
    expect(result.progress.best?.value).toBeCloseTo(0.32, 10);
    // Each result is credited to its suggestion's proposer (ADR 0115).
    expect(agent.ingested.map((o) => o.proposer)).toEqual(['human', 'human', 'human', 'human']);
  });

  it('retries a device failure once, and feeds chemistry failures to the agent as infeasible', async () => {
    const outcome = (r: Recipe, attempt: number): TrialOutcome =>
      r.complexant === 50
        ? { status: 'failed', runId: 'r', failure: makeFailure('NO_FILM', 'too much complexant') }
        : attempt === 0
          ? { status: 'failed', runId: 'r', failure: makeFailure('OPEN_CIRCUIT', 'scripted') }
          : completed(r);
    const { loop, agent, executor } = makeLoop([goodRecipe, { ...goodRecipe, complexant: 50 }], outcome);
    const result = await loop.run();
    expect(result.progress).toMatchObject({ completed: 1, failed: 1 });
    expect(executor.ran).toHaveLength(3);
    expect(agent.ingested.find((o) => !o.feasible)?.failureCode).toBe('NO_FILM');
  });

  it('retries on the only station once it is free (no wait for a wake-up that never comes)', async () => {
    const outcome = (r: Recipe, attempt: number): TrialOutcome => (attempt === 0 ? { status: 'failed', runId: 'r', failure: makeFailure('TIP_PICKUP_FAILED', 'scripted') } : completed(r));
    const { loop, executor } = makeLoop([goodRecipe, goodRecipe], outcome, 2, ['p1']);
    const result = await loop.run();
    expect(result.progress).toMatchObject({ completed: 2, failed: 0 });
    expect(executor.ran).toHaveLength(4);
  });
});
