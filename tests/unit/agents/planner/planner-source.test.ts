import { describe, expect, it } from 'vitest';
import { PlannerCandidateSource } from '../../../../agents/planner/planner-source.ts';
import { RulePlanner } from '../../../../agents/planner/rule-planner.ts';
import { TriageRecovery } from '../../../../agents/planner/triage-recovery.ts';
import { makeFailure, plannerStrategySchema, type Observation } from '../../../../src/domain/index.ts';
import { SafetyGate } from '../../../../src/safety/safety-gate.ts';
import { defaultSpec, goodRecipe } from '../../../helpers/default-spec.ts';

const spec = defaultSpec();
const planner = () => new RulePlanner({ gateFor: (s) => new SafetyGate(s) });
const obs = (i: number, eta: number): Observation => ({ trialId: `t${i}`, recipe: goodRecipe, feasible: true, objectives: { eta10: eta }, qualityFlags: [] });

describe('PlannerCandidateSource', () => {
  it('asks at the first proposal, then every k completed trials and once per stall', async () => {
    const p = planner();
    const source = new PlannerCandidateSource({ spec, planner: p, strategy: plannerStrategySchema.parse({ every: 4, stallAfter: 3, candidates: 2 }) });
    const first = await source.propose({ n: 4, pending: [] });
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThanOrEqual(2);
    expect(first[0]?.proposer).toBe('rules');
    expect(await source.propose({ n: 4, pending: [] })).toEqual([]);
    await source.ingest([obs(1, 0.4), obs(2, 0.45), obs(3, 0.46)]);
    expect(await source.propose({ n: 4, pending: [] })).toEqual([]);
    await source.ingest([obs(4, 0.47)]);
    // Four completed since the last advice (cadence); also three without improvement (a stall).
    expect((await source.propose({ n: 4, pending: [] })).length).toBeGreaterThan(0);
    expect(source.advices.map((a) => a.strategy)).toEqual(['explore', 'exploit']);
    await source.ingest([obs(5, 0.5), obs(6, 0.5), obs(7, 0.5)]);
    await source.propose({ n: 4, pending: [] });
    expect(source.advices.at(-1)?.strategy).toBe('diversify');
    expect(await source.propose({ n: 4, pending: [] })).toEqual([]);
    expect(p.stats().jobs.advise).toBe(3);
  });
});

describe('TriageRecovery', () => {
  const trialInfo = () => ({ recipe: goodRecipe, station: 'pair1' });
  it('applies only what the campaign allows', async () => {
    const quarantined: string[] = [];
    const stations = { quarantine: (s: string) => void quarantined.push(s) };
    const retry = new TriageRecovery({ planner: planner(), spec, allowed: ['retry', 'skip'], trialInfo, stations });
    expect((await retry.decide('t1', makeFailure('CLOT', 'clot'), 0)).decision).toBe('retry');
    // Out of retries (maxRetries 1): skip, even though the planner says retry.
    expect((await retry.decide('t1', makeFailure('CLOT', 'clot'), 1)).decision).toBe('skip');
    const skipOnly = new TriageRecovery({ planner: planner(), spec, allowed: [], trialInfo, stations });
    expect((await skipOnly.decide('t2', makeFailure('CLOT', 'clot'), 0)).decision).toBe('skip');
    expect(quarantined).toEqual([]);
  });

  it('puts ask-human to an operator: approve retries while retries are left, reject skips', async () => {
    const asked: string[] = [];
    const desk = (approved: boolean) => ({ ask: async (q: { question: string }) => (asked.push(q.question), { approved, actor: 'alice' }) });
    const askingPlanner = planner();
    askingPlanner.triage = async () => ({ value: { verdict: 'ask-human', reason: 'unclear' }, source: 'llm' });
    const yes = new TriageRecovery({ planner: askingPlanner, spec, allowed: ['ask-human'], trialInfo, desk: desk(true) });
    expect(await yes.decide('t3', makeFailure('CLOT', 'clot'), 0)).toEqual({ decision: 'retry', actor: 'alice' });
    expect(await yes.decide('t3', makeFailure('CLOT', 'clot'), 1)).toEqual({ decision: 'skip', actor: 'alice' });
    const no = new TriageRecovery({ planner: askingPlanner, spec, allowed: ['ask-human'], trialInfo, desk: desk(false) });
    expect(await no.decide('t3', makeFailure('CLOT', 'clot'), 0)).toEqual({ decision: 'skip', actor: 'alice' });
    expect(asked[0]).toContain('Trial t3 on pair1 failed (CLOT');
    // Without a desk (no console) ask-human is not on offer, and a model that answers it anyway gets skip.
    const noHuman = new TriageRecovery({ planner: askingPlanner, spec, allowed: ['ask-human'], trialInfo });
    expect((await noHuman.decide('t3', makeFailure('CLOT', 'clot'), 0)).decision).toBe('skip');
  });
});

describe('examples/oer-hybrid.yaml', () => {
  it('loads as a hybrid campaign with its planner settings', async () => {
    const { loadCampaignFile } = await import('../../../../src/config/index.ts');
    const spec = await loadCampaignFile(new URL('../../../../examples/oer-hybrid.yaml', import.meta.url).pathname);
    expect(spec.strategy.agent).toBe('hybrid');
    expect(spec.strategy.planner).toEqual({
      every: 8, stallAfter: 12, candidates: 3, share: 0.5, triage: ['retry', 'skip', 'quarantine-station'], questionTimeout_min: 60, regionRadius: 0.1,
    });
  });
});
