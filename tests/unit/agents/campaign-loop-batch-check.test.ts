import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../agents/agent.ts';
import { BatchWatch, ELECTROLYTE_CONTAMINATION_FLAG, type StationQuarantine, type TrainingData } from '../../../agents/batch-watch.ts';
import { CampaignLoop } from '../../../agents/campaign-loop.ts';
import { autoApproval, autoRecovery, type TrialExecutor } from '../../../agents/trial-ports.ts';
import { silentLogger, type Observation, type Recipe, type Suggestion } from '../../../src/domain/index.ts';
import { DocumentBus, type LabDocument, type TrialOutcome } from '../../../src/protocol/index.ts';
import { SafetyGate } from '../../../src/safety/safety-gate.ts';
import { InstantClock } from '../../../simulators/clock.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';

/** Suggests the same recipe with a prediction of η10 = 0.3 V (after `unpredicted` suggestions without one). */
class PredictingAgent implements Agent {
  readonly name = 'predicting';
  readonly ingested: Observation[] = [];
  private n = 0;
  constructor(private readonly unpredicted = 0) {}
  async ingest(obs: Observation[]): Promise<void> {
    this.ingested.push(...obs);
  }
  async suggest(n: number): Promise<Suggestion[]> {
    return Array.from({ length: n }, () => {
      const k = this.n++;
      const s: Suggestion = { id: `s${k}`, recipe: goodRecipe, proposer: k < this.unpredicted ? 'sobol' : 'bo', rationale: 'test' };
      if (k >= this.unpredicted) s.predicted = { eta10: { mean: 0.3, sd: 0.01 } };
      return s;
    });
  }
  report() {
    return { name: this.name, observations: this.ingested.length };
  }
}

/**
 * Two stations p1, p2, one virtual second per run. η10 = 0.3 ± 5 mV (alternating); from its run `badFrom` on, p1
 * measures `shift` higher (a contaminated electrolyte). Quarantine is the StationQuarantine port.
 */
class Lab implements TrialExecutor, StationQuarantine {
  aborted = false;
  readonly quarantined = new Map<string, string>();
  readonly runs = new Map<string, number>();
  private busy = new Set<string>();
  private waiters: (() => void)[] = [];
  /** Set when `release` is offered (the lab's own maintenance): the electrolyte is replaced unless `stillBad`. */
  release?: (stationId: string) => void;
  private fixed = false;
  readonly released: string[] = [];
  constructor(
    private readonly clock: InstantClock,
    private readonly o: { badFrom: number; shift: number; maintenance?: 'fixes' | 'stillBad' },
  ) {
    if (o.maintenance)
      this.release = (stationId) => {
        this.released.push(stationId);
        this.quarantined.delete(stationId);
        if (o.maintenance === 'fixes') this.fixed = true;
        this.waiters.splice(0).forEach((w) => w());
      };
  }
  availableStations() {
    return ['p1', 'p2'].filter((s) => !this.busy.has(s) && !this.quarantined.has(s));
  }
  usableStations() {
    return 2 - this.quarantined.size;
  }
  async whileNotPaused() {}
  stationsChanged() {
    return new Promise<void>((r) => this.waiters.push(r));
  }
  quarantine(stationId: string, reason: string) {
    this.quarantined.set(stationId, reason);
    this.waiters.splice(0).forEach((w) => w());
  }
  async run(station: string, req: { trialId: string; recipe: Recipe }): Promise<TrialOutcome> {
    this.busy.add(station);
    const n = (this.runs.get(station) ?? 0) + 1;
    this.runs.set(station, n);
    await this.clock.sleep(1);
    this.busy.delete(station);
    this.waiters.splice(0).forEach((w) => w());
    const eta10 = 0.3 + (n % 2 ? 0.005 : -0.005) + (station === 'p1' && n >= this.o.badFrom && !this.fixed ? this.o.shift : 0);
    return { status: 'completed', runId: `${station}-${n}`, objectives: { eta10 }, features: {}, flags: [] };
  }
}

function makeLoop(o: { badFrom: number; shift: number; budget: number; unpredicted?: number; maintenance?: 'fixes' | 'stillBad' }) {
  const spec = defaultSpec();
  const clock = new InstantClock();
  const bus = new DocumentBus();
  const docs: LabDocument[] = [];
  bus.subscribe((d) => void docs.push(d));
  const agent = new PredictingAgent(o.unpredicted ?? 0);
  const lab = new Lab(clock, o);
  const excluded: string[][] = [];
  const training: TrainingData = { exclude: async (ids) => void excluded.push([...ids]) };
  let n = 0;
  const loop = new CampaignLoop({
    spec, campaignId: 'c', agent, bus, executor: lab, gate: new SafetyGate(spec), approvals: autoApproval,
    recovery: autoRecovery(1), newId: () => `id${++n}`, logger: silentLogger, clock, budget: o.budget,
    batchCheck: { watch: new BatchWatch('eta10', { commonModeWindow: 0, minShift: 0, allowance: 0.75, threshold: 4 }), stations: lab, training, requalification: { auto: true } },
  });
  return { loop, agent, lab, docs, excluded };
}

const byType = <T extends LabDocument['type']>(docs: LabDocument[], type: T) => docs.filter((d): d is Extract<LabDocument, { type: T }> => d.type === type);

describe('campaign loop: the electrolyte batch check', () => {
  it('a shift on one station: its stretch is flagged (fault documents, observation flag), taken out of training, and the station quarantined', async () => {
    const { loop, agent, lab, docs, excluded } = makeLoop({ badFrom: 7, shift: 0.04, budget: 24 });
    const result = await loop.run();
    expect(result.state).toBe('completed');
    expect(result.progress.completed).toBe(24);

    const faults = byType(docs, 'fault');
    expect(faults.length).toBeGreaterThan(0);
    expect(faults.every((f) => f.payload.station === 'p1' && f.payload.device === 'electrolyte' && f.payload.failure.code === 'ELECTROLYTE_CONTAMINATION')).toBe(true);
    const flagged = faults.map((f) => f.payload.trialId as string);
    // The flagged trials are p1's runs from the 7th on (the shifted batch), and stay completed.
    const completed = byType(docs, 'trialState').filter((d) => d.payload.to === 'completed');
    const p1 = completed.filter((d) => d.payload.station === 'p1').map((d) => d.payload.trialId);
    expect(flagged).toEqual(p1.slice(6, 6 + flagged.length));
    expect(flagged.length).toBeLessThanOrEqual(3);
    expect(p1).toHaveLength(6 + flagged.length); // nothing more ran on p1 after the alarm
    expect(completed.filter((d) => d.payload.station === 'p2').length).toBe(24 - p1.length);

    expect([...lab.quarantined.keys()]).toEqual(['p1']);
    expect(lab.quarantined.get('p1')).toMatch(/^ELECTROLYTE_CONTAMINATION: eta10 residuals of station p1 shifted \+0\.0\d+ .*Replace the electrolyte batch, then release the station\.$/);
    expect(excluded).toEqual([flagged]);
    // The alarm trial's observation carries the flag; its measurement was still reported to the agent.
    const alarmTrial = flagged.at(-1);
    expect(agent.ingested.find((o) => o.trialId === alarmTrial)?.qualityFlags).toContain(ELECTROLYTE_CONTAMINATION_FLAG);
    expect(agent.ingested.filter((o) => o.qualityFlags.includes(ELECTROLYTE_CONTAMINATION_FLAG))).toHaveLength(1);
  });

  it('no shift: no alarm, no flag, nobody quarantined; trials without a prediction (the initial design) are not watched', async () => {
    const { loop, lab, docs, excluded } = makeLoop({ badFrom: Number.POSITIVE_INFINITY, shift: 0, budget: 24, unpredicted: 5 });
    expect((await loop.run()).state).toBe('completed');
    expect(byType(docs, 'fault')).toEqual([]);
    expect(lab.quarantined.size).toBe(0);
    expect(excluded).toEqual([]);
  });

  it('a shift among the unpredicted trials only is not seen (nothing to compare with)', async () => {
    // p1 shifted from its first run, every trial unpredicted: no residuals at all.
    const { loop, lab } = makeLoop({ badFrom: 1, shift: 0.05, budget: 12, unpredicted: 12 });
    await loop.run();
    expect(lab.quarantined.size).toBe(0);
  });

  it('re-qualification (ADR 0061): after the lab replaced the electrolyte, a reference measurement on the station passes and it takes trials again', async () => {
    const { loop, lab, docs } = makeLoop({ badFrom: 7, shift: 0.04, budget: 30, maintenance: 'fixes' });
    const result = await loop.run();
    expect(result.state).toBe('completed');
    expect(lab.released).toEqual(['p1']);
    const refs = byType(docs, 'suggestion').filter((d) => d.payload.suggestion.proposer === 'reference');
    expect(refs).toHaveLength(1);
    expect(refs[0]?.payload.suggestion.rationale).toMatch(/^Re-qualification of station p1 after ELECTROLYTE_CONTAMINATION: a reference recipe the other stations read \d+ time\(s\)/);
    const refTrial = refs[0]?.payload.trialId;
    const states = byType(docs, 'trialState').filter((d) => d.payload.to === 'completed');
    expect(states.find((d) => d.payload.trialId === refTrial)?.payload.station).toBe('p1');
    // Back in service: p1 measured more trials after its reference, and nobody is quarantined at the end.
    const refIndex = states.find((d) => d.payload.trialId === refTrial)?.payload.index ?? Infinity;
    expect(states.filter((d) => d.payload.station === 'p1' && d.payload.index > refIndex).length).toBeGreaterThan(3);
    expect(lab.quarantined.size).toBe(0);
  });

  it('re-qualification: when the station still reads off, the reference fails and the station is quarantined again for an operator', async () => {
    const { loop, lab, docs, excluded } = makeLoop({ badFrom: 7, shift: 0.05, budget: 30, maintenance: 'stillBad' });
    const result = await loop.run();
    expect(result.state).toBe('completed');
    expect(lab.released).toEqual(['p1']);
    expect(lab.quarantined.get('p1')).toMatch(/^REQUALIFICATION_FAILED: reference read 0\.35\d*, the other stations 0\.3\d* \(n = \d+\): off by 0\.0[45]\d*, tolerance ±0\.03\. Replace the electrolyte/);
    const refs = byType(docs, 'suggestion').filter((d) => d.payload.suggestion.proposer === 'reference');
    expect(refs).toHaveLength(1);
    // The failed reference leaves the training data; p1 runs nothing after it.
    expect(excluded.at(-1)).toEqual([refs[0]?.payload.trialId]);
    const completed = byType(docs, 'trialState').filter((d) => d.payload.to === 'completed');
    const refIndex = completed.find((d) => d.payload.trialId === refs[0]?.payload.trialId)?.payload.index ?? -1;
    expect(completed.filter((d) => d.payload.station === 'p1' && d.payload.index > refIndex)).toEqual([]);
  });
});
