import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../agents/agent.ts';
import { CampaignLoop, type LoopRestore } from '../../agents/campaign-loop.ts';
import { QuestionLeftOpenError } from '../../agents/planner/human-desk.ts';
import { autoApproval, autoRecovery, type FlagDecision, type FlaggedTrial } from '../../agents/trial-ports.ts';
import { loadStoredCampaign } from '../../src/app/campaign-restore.ts';
import { silentLogger, type Observation, type Recipe, type Suggestion } from '../../src/domain/index.ts';
import { DocumentBus, type LabDocument } from '../../src/protocol/index.ts';
import { SafetyGate } from '../../src/safety/safety-gate.ts';
import { attachDocumentSink, type Store } from '../../src/store/index.ts';
import { InstantClock } from '../../simulators/clock.ts';
import { openTempStore } from '../helpers/db.ts';
import { defaultSpec, goodRecipe } from '../helpers/default-spec.ts';
import { OneStationLab } from '../helpers/one-station-lab.ts';

/**
 * ADR 0103: a re-measurement the planner's flag triage decides is a plannerAction document before it is queued, so a
 * campaign paused before its dispatch re-applies it when resumed — once: a later resume finds its suggestion stored
 * and leaves it. Three runs of the campaign loop over one PGlite store, each rebuilt from the stored documents by the
 * same `loadStoredCampaign` as `labloop resume`.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const CAMPAIGN = 'actions-resume';
const FLAGGED_CHARGE = 21;

/** Suggests goodRecipe with deposition charge `from`, `from + 1`, … (so every recipe is recognisable). */
class CountingAgent implements Agent {
  readonly name = 'counting';
  constructor(private next: number) {}
  async ingest(_obs: Observation[]): Promise<void> {}
  async suggest(n: number): Promise<Suggestion[]> {
    return Array.from({ length: n }, () => {
      const charge = this.next++;
      return { id: `s${charge}`, recipe: { ...goodRecipe, depositionCharge_mC_cm2: charge }, proposer: 'bo' as const, rationale: 'test' };
    });
  }
  report() {
    return { name: this.name, observations: 0 };
  }
}

/** One station; a run at FLAGGED_CHARGE comes back flagged `noisy`; `onRun` is called as each run starts. */
function flaggingLab(clock: InstantClock): OneStationLab {
  return new OneStationLab(clock, (req) => {
    const flags = req.recipe['depositionCharge_mC_cm2'] === FLAGGED_CHARGE ? ['noisy'] : [];
    return { status: 'completed', runId: `r-${req.trialId}`, objectives: { eta10: 0.3 }, features: {}, flags };
  });
}

const REMEASURE: FlagDecision = { remeasure: true, verdict: 'retry', actor: 'planner:llm:plannerCall:7', reason: 'noisy reading', proposer: 'llm' };

/** One run of the campaign (a new one, or resumed from `restore`), its documents stored in `store`. */
function startRun(store: Store, run: number, restore: { loop: LoopRestore; lastSeq: number } | undefined, firstCharge: number) {
  const spec = defaultSpec();
  const clock = new InstantClock();
  const bus = new DocumentBus();
  if (restore) bus.resumeSequence(CAMPAIGN, restore.lastSeq);
  const sink = attachDocumentSink(bus, store);
  if (!restore) bus.publish(CAMPAIGN, 'campaignStart', { spec, seed: 1, resumed: false });
  const lab = flaggingLab(clock);
  const triaged: FlaggedTrial[] = [];
  let n = 0;
  let decide: (e: FlaggedTrial) => Promise<FlagDecision> = async () => REMEASURE;
  const loop = new CampaignLoop({
    spec, campaignId: CAMPAIGN, agent: new CountingAgent(firstCharge), bus, executor: lab, gate: new SafetyGate(spec), approvals: autoApproval,
    recovery: autoRecovery(1), newId: () => `run${run}-id${++n}`, logger: silentLogger, clock, budget: 6,
    flags: { triage: (e) => (triaged.push(e), decide(e)) },
    ...(restore ? { restore: restore.loop } : {}),
  });
  const finish = async () => {
    const result = await loop.run();
    await bus.flush();
    await sink.flush();
    sink.detach();
    return result;
  };
  return { loop, lab, triaged, finish, setDecide: (f: typeof decide) => (decide = f) };
}

const charges = (recipes: Recipe[]) => recipes.map((r) => r['depositionCharge_mC_cm2']);
const ofType = <T extends LabDocument['type']>(docs: LabDocument[], type: T) => docs.filter((d): d is Extract<LabDocument, { type: T }> => d.type === type);

describe('planner actions survive a pause (ADR 0103)', () => {
  it('a re-measurement decided while the campaign pauses is dispatched by the resumed run, exactly once', async () => {
    const store = await openTempStore();
    cleanups.push(() => store.close());
    await store.campaigns.createCampaign({ campaignId: CAMPAIGN, spec: defaultSpec(), seed: 1 }, 'test-owner', 60_000);

    // Run 1: the 2nd trial (charge 21) is flagged; the campaign is paused while the triage decides to re-measure it.
    const run1 = startRun(store, 1, undefined, 20);
    run1.setDecide(async () => {
      run1.loop.pause('paused by the test while the triage decides');
      await new Promise((r) => setTimeout(r, 20));
      return REMEASURE;
    });
    const result1 = await run1.finish();
    expect(result1.state).toBe('paused');
    expect(run1.triaged.map((e) => e.index)).toEqual([1]);
    expect(charges(run1.lab.ran).filter((c) => c === FLAGGED_CHARGE)).toHaveLength(1);
    let docs = await store.documents.after(CAMPAIGN, 0, 10_000);
    // The triage request (ADR 0105), then the re-measurement it decided.
    const actions = ofType(docs, 'plannerAction').map((d) => d.payload);
    expect(actions.map((a) => a.kind)).toEqual(['triage', 'remeasure']);
    const action = actions.flatMap((a) => (a.kind === 'remeasure' ? [a] : []))[0];
    expect(action).toMatchObject({ kind: 'remeasure', trialId: run1.triaged[0]?.trialId, trigger: 'quality', suggestion: { proposer: 'llm', recipe: { depositionCharge_mC_cm2: FLAGGED_CHARGE } } });
    expect(action?.suggestion.rationale).toContain('decided by planner:llm:plannerCall:7: noisy reading');
    expect(ofType(docs, 'suggestion').some((d) => d.payload.suggestion.id === action?.suggestion.id)).toBe(false);

    // Run 2 (resumed): the stored action is due again and is its first trial, ahead of the agent; the campaign is
    // paused again as that trial starts. The re-measurement comes back flagged too and is not triaged again.
    const stored2 = await loadStoredCampaign(store, CAMPAIGN);
    expect(stored2.loop.remeasures).toEqual([{ suggestion: action?.suggestion, dispatched: false }]);
    expect(stored2.loop.triages).toEqual([]);
    const run2 = startRun(store, 2, stored2, 40);
    run2.lab.onRun = () => run2.loop.pause('paused by the test as the first trial starts');
    expect((await run2.finish()).state).toBe('paused');
    expect(charges(run2.lab.ran)).toEqual([FLAGGED_CHARGE]);
    expect(run2.triaged).toEqual([]);
    docs = await store.documents.after(CAMPAIGN, 0, 10_000);
    const applied = ofType(docs, 'suggestion').filter((d) => d.payload.suggestion.id === action?.suggestion.id);
    expect(applied).toHaveLength(1);
    expect(applied[0]?.payload.suggestion).toEqual(action?.suggestion);
    expect(ofType(docs, 'trialState').filter((d) => d.payload.trialId === applied[0]?.payload.trialId).at(-1)?.payload.to).toBe('completed');

    // Run 3 (resumed again): the action was applied; nothing is re-measured, the agent fills the rest of the budget.
    const stored3 = await loadStoredCampaign(store, CAMPAIGN);
    expect(stored3.loop.remeasures).toEqual([{ suggestion: action?.suggestion, dispatched: true }]);
    const run3 = startRun(store, 3, stored3, 60);
    const result3 = await run3.finish();
    expect(result3.state).toBe('completed');
    expect(result3.progress.dispatched).toBe(6);
    expect(charges(run3.lab.ran)).not.toContain(FLAGGED_CHARGE);
    expect(run3.triaged).toEqual([]);
    docs = await store.documents.after(CAMPAIGN, 0, 10_000);
    // Over the three runs the flagged recipe was measured twice: the original and one re-measurement.
    const all = [...run1.lab.ran, ...run2.lab.ran, ...run3.lab.ran];
    expect(charges(all).filter((c) => c === FLAGGED_CHARGE)).toHaveLength(2);
    expect(all).toHaveLength(6);
    expect(ofType(docs, 'plannerAction')).toHaveLength(2);
  });

  it('a triage left undecided (ADR 0105) is asked again by the resumed run, once; a decided one never again', async () => {
    const store = await openTempStore();
    cleanups.push(() => store.close());
    await store.campaigns.createCampaign({ campaignId: CAMPAIGN, spec: defaultSpec(), seed: 1 }, 'test-owner', 60_000);

    // Run 1: the triage of the flagged 2nd trial waits for an operator when the campaign pauses: no verdict.
    const run1 = startRun(store, 1, undefined, 20);
    run1.setDecide(async () => {
      run1.loop.pause('paused by the test while an operator is asked');
      throw new QuestionLeftOpenError('left open: the campaign paused');
    });
    expect((await run1.finish()).state).toBe('paused');
    expect(run1.triaged.map((e) => e.index)).toEqual([1]);
    const flagged = run1.triaged[0] as FlaggedTrial;
    let docs = await store.documents.after(CAMPAIGN, 0, 10_000);
    expect(ofType(docs, 'plannerAction').map((d) => d.payload)).toEqual([{ kind: 'triage', trigger: 'quality', trialId: flagged.trialId, index: 1, recipe: flagged.recipe, station: 'p1', flags: ['noisy'] }]);

    // Run 2 (resumed): the undecided triage is asked again, once, and decided (keep the measurement); paused again.
    const stored2 = await loadStoredCampaign(store, CAMPAIGN);
    expect(stored2.loop.triages).toEqual([flagged]);
    const run2 = startRun(store, 2, stored2, 40);
    run2.setDecide(async () => {
      run2.loop.pause('paused by the test after the verdict');
      return { remeasure: false, verdict: 'skip', actor: 'planner:llm:plannerCall:9', reason: 'the reading stands', proposer: 'llm' };
    });
    expect((await run2.finish()).state).toBe('paused');
    expect(run2.triaged).toEqual([flagged]);
    docs = await store.documents.after(CAMPAIGN, 0, 10_000);
    expect(ofType(docs, 'plannerAction').map((d) => d.payload.kind)).toEqual(['triage', 'triaged']);
    expect(ofType(docs, 'plannerAction')[1]?.payload).toEqual({ kind: 'triaged', trialId: flagged.trialId, trigger: 'quality', verdict: 'skip', actor: 'planner:llm:plannerCall:9', reason: 'the reading stands' });

    // Run 3: the verdict is recorded, so nothing is triaged again; the agent fills the budget; nothing re-measured.
    const stored3 = await loadStoredCampaign(store, CAMPAIGN);
    expect(stored3.loop.triages).toEqual([]);
    const run3 = startRun(store, 3, stored3, 60);
    expect((await run3.finish()).state).toBe('completed');
    expect(run3.triaged).toEqual([]);
    const all = [...run1.lab.ran, ...run2.lab.ran, ...run3.lab.ran];
    expect(charges(all).filter((c) => c === FLAGGED_CHARGE)).toHaveLength(1);
  });
});
