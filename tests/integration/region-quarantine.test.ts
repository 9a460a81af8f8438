import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../agents/agent.ts';
import { CampaignLoop, type LoopRestore } from '../../agents/campaign-loop.ts';
import { FlagTriage } from '../../agents/planner/flag-triage.ts';
import type { TriageVerdict } from '../../agents/planner/planner.ts';
import { RulePlanner } from '../../agents/planner/rule-planner.ts';
import { TriageRecovery } from '../../agents/planner/triage-recovery.ts';
import { RegionQuarantines, type ActiveRegion } from '../../agents/region-quarantine.ts';
import { autoApproval, autoRecovery, type FlagPolicy, type RecoveryPolicy } from '../../agents/trial-ports.ts';
import { loadStoredCampaign } from '../../src/app/campaign-restore.ts';
import { makeFailure, silentLogger, type CampaignSpec, type Observation, type Recipe, type Suggestion } from '../../src/domain/index.ts';
import { DocumentBus, activeRegions, type LabDocument } from '../../src/protocol/index.ts';
import { SafetyGate } from '../../src/safety/safety-gate.ts';
import { attachDocumentSink, exportCampaign, type Store } from '../../src/store/index.ts';
import { InstantClock } from '../../simulators/clock.ts';
import { openTempStore } from '../helpers/db.ts';
import { defaultSpec, goodRecipe } from '../helpers/default-spec.ts';
import { OneStationLab } from '../helpers/one-station-lab.ts';

/**
 * ADR 0106: a quarantine-region verdict of the planner's triage quarantines the ball of `regionRadius` (0.1) around the
 * trial's recipe. Recipes differ here only in deposition charge (2…150 mC/cm², so 14.8 mC/cm² is a distance of 0.1):
 * around a centre at 40, charges 26…54 are inside, 100 and above far outside.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const CENTRE = 40;
const recipe = (charge: number): Recipe => ({ ...goodRecipe, depositionCharge_mC_cm2: charge });
const charge = (r: Recipe): number => Number(r['depositionCharge_mC_cm2']);
const ofType = <T extends LabDocument['type']>(docs: LabDocument[], type: T) => docs.filter((d): d is Extract<LabDocument, { type: T }> => d.type === type);

/**
 * Proposes the scripted charges in order, one per call. From its second call on it first waits for `ready` (the
 * triage of the first trial decided), so the order of events is fixed: the later suggestions follow the verdict.
 */
class ScriptedAgent implements Agent {
  readonly name = 'scripted';
  readonly ingested: Observation[] = [];
  private calls = 0;
  private i = 0;
  constructor(
    private readonly charges: number[],
    private readonly ready: Promise<void> = Promise.resolve(),
  ) {}
  async ingest(obs: Observation[]): Promise<void> {
    this.ingested.push(...obs);
  }
  async suggest(n: number): Promise<Suggestion[]> {
    if (this.calls++ > 0) await this.ready;
    const out: Suggestion[] = [];
    for (let k = 0; k < n && this.i < this.charges.length; k++) {
      const c = this.charges[this.i++] as number;
      out.push({ id: `s${c}`, recipe: recipe(c), proposer: 'bo', rationale: 'scripted' });
    }
    return out;
  }
  report() {
    return { name: this.name, observations: this.ingested.length };
  }
}

/** One station; a run at `failAt` fails with a device timeout, a run at `flagAt` comes back flagged `noisy`. */
function labWith(clock: InstantClock, at: { failAt?: number; flagAt?: number } = {}): OneStationLab {
  return new OneStationLab(clock, (req) => {
    const c = charge(req.recipe);
    if (c === at.failAt) return { status: 'failed', runId: `r-${req.trialId}`, failure: makeFailure('COMMAND_TIMEOUT', 'the pipette did not answer') };
    return { status: 'completed', runId: `r-${req.trialId}`, objectives: { eta10: 0.3 + c / 1000 }, features: {}, flags: c === at.flagAt ? ['noisy'] : [] };
  });
}

/** A planner whose triage answers `verdict` as a model would, counting its calls. */
function answering(verdict: TriageVerdict['verdict']) {
  const planner = new RulePlanner({ gateFor: (s) => new SafetyGate(s) });
  let calls = 0;
  planner.triage = async () => {
    calls++;
    return { value: { verdict, reason: 'films delaminate around this recipe' }, source: 'llm', transcriptId: 'plannerCall:5' };
  };
  return { planner, calls: () => calls };
}

function specAllowing(): CampaignSpec {
  const spec = defaultSpec();
  spec.strategy.planner = { every: 8, stallAfter: 12, candidates: 3, share: 0.5, triage: ['retry', 'skip', 'quarantine-region'], questionTimeout_min: 60, regionRadius: 0.1 };
  return spec;
}

/** The loop of one run with its bus, regions (restored from `restore`) and policies; `regionReady` resolves at the first region. */
function setup(opts: {
  spec: CampaignSpec;
  campaignId: string;
  lab: OneStationLab;
  agent: (regionReady: Promise<void>) => ScriptedAgent;
  policies: (regions: RegionQuarantines, trialInfo: (id: string) => { recipe: Recipe } | undefined) => { recovery?: RecoveryPolicy; flags?: FlagPolicy };
  budget: number;
  run: number;
  clock: InstantClock;
  restore?: { loop: LoopRestore; lastSeq: number; regions: ActiveRegion[] };
}) {
  const { spec, campaignId } = opts;
  const bus = new DocumentBus();
  if (opts.restore) bus.resumeSequence(campaignId, opts.restore.lastSeq);
  const docs: LabDocument[] = [];
  const trials = new Map<string, { recipe: Recipe }>();
  let regionReady: () => void = () => {};
  const ready = new Promise<void>((r) => (regionReady = r));
  bus.subscribe((d) => {
    docs.push(d);
    if (d.type === 'trialState') trials.set(d.payload.trialId, { recipe: d.payload.recipe });
    if (d.type === 'regionQuarantine') regionReady();
  });
  let n = 0;
  const newId = () => `run${opts.run}-id${++n}`;
  const regions = new RegionQuarantines({ spec, bus, campaignId, newId, radius: 0.1, restored: opts.restore?.regions ?? [] });
  const agent = opts.agent(ready);
  const policies = opts.policies(regions, (id) => trials.get(id));
  const loop = new CampaignLoop({
    spec, campaignId, agent, bus, executor: opts.lab, gate: new SafetyGate(spec), approvals: autoApproval,
    recovery: policies.recovery ?? autoRecovery(1), newId, logger: silentLogger, clock: opts.clock, budget: opts.budget,
    ...(policies.flags ? { flags: policies.flags } : {}), regions,
    ...(opts.restore ? { restore: opts.restore.loop } : {}),
  });
  return { loop, bus, docs, agent, regions };
}

const blockedCharges = (docs: LabDocument[]) =>
  ofType(docs, 'trialState').filter((d) => d.payload.to === 'blocked').map((d) => ({ charge: charge(d.payload.recipe), code: d.payload.failure?.code }));

describe('region quarantine (ADR 0106)', () => {
  it('after a quarantine-region verdict on a failed step, a suggestion inside the region is refused and one outside is dispatched', async () => {
    const spec = specAllowing();
    const clock = new InstantClock();
    const lab = labWith(clock, { failAt: CENTRE });
    const triage = answering('quarantine-region');
    const { loop, bus, docs, agent } = setup({
      spec, campaignId: 'c', lab, clock, budget: 3, run: 1,
      agent: (ready) => new ScriptedAgent([CENTRE, 45, 100, 50, 130], ready),
      policies: (regions, trialInfo) => ({ recovery: new TriageRecovery({ planner: triage.planner, spec, allowed: spec.strategy.planner?.triage ?? [], trialInfo, regions }) }),
    });
    const result = await loop.run();
    await bus.flush();

    expect(result.state).toBe('completed');
    expect(triage.calls()).toBe(1);
    // 45 and 50 lie inside the region around 40 and never reach the station; 100 and 130 lie outside and run.
    expect(lab.ran.map(charge)).toEqual([CENTRE, 100, 130]);
    expect(result.progress).toMatchObject({ dispatched: 3, completed: 2, failed: 1, blocked: 2 });
    expect(blockedCharges(docs)).toEqual([{ charge: 45, code: 'REGION_QUARANTINED' }, { charge: 50, code: 'REGION_QUARANTINED' }]);
    const failedId = ofType(docs, 'trialState').find((d) => d.payload.to === 'failed')?.payload.trialId;
    expect(ofType(docs, 'regionQuarantine').map((d) => d.payload)).toEqual([
      { state: 'active', regionId: expect.stringMatching(/^region-/), centre: recipe(CENTRE), radius: 0.1, trialId: failedId, reason: 'planner triage of COMMAND_TIMEOUT: films delaminate around this recipe', actor: 'planner:llm:plannerCall:5' },
    ]);
    // The agent learns each refusal as an infeasible observation at the refused recipe.
    expect(agent.ingested.filter((o) => !o.feasible).map((o) => [charge(o.recipe), o.failureCode])).toEqual([
      [45, 'REGION_QUARANTINED'],
      [50, 'REGION_QUARANTINED'],
    ]);
  });

  it('without quarantine-region among the allowed verdicts nothing is quarantined', async () => {
    const spec = defaultSpec();
    const clock = new InstantClock();
    const lab = labWith(clock, { failAt: CENTRE });
    const triage = answering('quarantine-region');
    const { loop, bus, docs } = setup({
      spec, campaignId: 'c', lab, clock, budget: 3, run: 1,
      agent: () => new ScriptedAgent([CENTRE, 45, 100]),
      policies: (regions, trialInfo) => ({ recovery: new TriageRecovery({ planner: triage.planner, spec, allowed: ['retry', 'skip'], trialInfo, regions }) }),
    });
    await loop.run();
    await bus.flush();
    expect(lab.ran.map(charge)).toEqual([CENTRE, 45, 100]);
    expect(ofType(docs, 'regionQuarantine')).toEqual([]);
  });

  it('a region quarantined on a flagged trial survives a resume, is listed in the export, and can be lifted', async () => {
    const spec = specAllowing();
    const campaignId = 'region-resume';
    const store = await openTempStore();
    cleanups.push(() => store.close());
    await store.campaigns.createCampaign({ campaignId, spec, seed: 1 }, 'test-owner', 60_000);
    const stored = (s: Store) => {
      const sinks: ReturnType<typeof attachDocumentSink>[] = [];
      return { attach: (bus: DocumentBus) => sinks.push(attachDocumentSink(bus, s)), flush: async () => { for (const k of sinks) { await k.flush(); k.detach(); } } };
    };

    // Run 1: the reading at 40 comes back flagged; the triage quarantines its region and keeps the measurement. The
    // next suggestion (45) is refused, 100 runs, and the campaign is paused as it starts.
    const clock1 = new InstantClock();
    const lab1 = labWith(clock1, { flagAt: CENTRE });
    const triage = answering('quarantine-region');
    const run1 = setup({
      spec, campaignId, lab: lab1, clock: clock1, budget: 4, run: 1,
      agent: (ready) => new ScriptedAgent([CENTRE, 45, 100, 120], ready),
      policies: (regions) => ({ flags: new FlagTriage({ planner: triage.planner, spec, campaignId, allowed: spec.strategy.planner?.triage ?? [], regions }) }),
    });
    const sink1 = stored(store);
    sink1.attach(run1.bus);
    run1.bus.publish(campaignId, 'campaignStart', { spec, seed: 1, resumed: false });
    lab1.onRun = (r) => charge(r.recipe) === 100 && run1.loop.pause('paused by the test');
    expect((await run1.loop.run()).state).toBe('paused');
    await run1.bus.flush();
    await sink1.flush();
    expect(lab1.ran.map(charge)).toEqual([CENTRE, 100]);
    expect(triage.calls()).toBe(1);
    expect(blockedCharges(run1.docs)).toEqual([{ charge: 45, code: 'REGION_QUARANTINED' }]);
    const [region] = run1.regions.active();
    expect(region).toMatchObject({ centre: recipe(CENTRE), radius: 0.1, actor: 'planner:llm:plannerCall:5' });
    expect(ofType(run1.docs, 'plannerAction').at(-1)?.payload).toMatchObject({ kind: 'triaged', verdict: 'quarantine-region' });
    // campaign.json lists the active region.
    expect((await exportCampaign(store, campaignId)).regionQuarantines).toEqual([region]);

    // Run 2 (resumed from the stored documents, as `labloop resume`): the region is in force without asking the
    // triage again: 46 is refused, 110 runs. An operator lifts the region while 110 runs; 48 (inside the former
    // region) is dispatched after the lift.
    const restored = await loadStoredCampaign(store, campaignId);
    expect(restored.regions).toEqual([region]);
    expect(restored.loop.triages).toEqual([]);
    const clock2 = new InstantClock();
    const lab2 = labWith(clock2);
    let asked = 0;
    const run2 = setup({
      spec, campaignId, lab: lab2, clock: clock2, budget: 4, run: 2,
      restore: { loop: restored.loop, lastSeq: restored.lastSeq, regions: restored.regions },
      agent: () => new ScriptedAgent([46, 110, 48]),
      policies: () => ({ flags: { triage: async () => (asked++, { remeasure: false, verdict: 'skip', actor: 'test', reason: '', proposer: 'rules' }) } }),
    });
    const sink2 = stored(store);
    sink2.attach(run2.bus);
    lab2.onRun = (r) => charge(r.recipe) === 110 && run2.regions.lift(region?.regionId ?? '', 'alice', 'the delamination was a bad batch of substrates');
    const result2 = await run2.loop.run();
    await run2.bus.flush();
    await sink2.flush();
    expect(result2.state).toBe('completed');
    expect(asked).toBe(0);
    expect(lab2.ran.map(charge)).toEqual([110, 48]);
    expect(blockedCharges(run2.docs)).toEqual([{ charge: 46, code: 'REGION_QUARANTINED' }]);
    const all = await store.documents.after(campaignId, 0, 10_000);
    expect(ofType(all, 'regionQuarantine').map((d) => d.payload.state)).toEqual(['active', 'lifted']);
    expect(ofType(all, 'regionQuarantine')[1]?.payload).toEqual({ state: 'lifted', regionId: region?.regionId, actor: 'alice', reason: 'the delamination was a bad batch of substrates' });
    expect(activeRegions(all)).toEqual([]);
    expect((await exportCampaign(store, campaignId)).regionQuarantines).toEqual([]);
  });
});
