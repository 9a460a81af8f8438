import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { STRATEGIES, type AdviceRequest, type DraftRequest, type Planner, type ReportRequest, type TriageRequest } from '../../agents/planner/planner.ts';
import { matchesFact, printedNumbers } from '../../agents/planner/report-job.ts';
import { parseCampaign } from '../../src/config/index.ts';
import { makeFailure, TRIAGE_VERDICTS } from '../../src/domain/index.ts';
import { SafetyGate } from '../../src/safety/safety-gate.ts';
import { defaultSpec, goodRecipe } from '../helpers/default-spec.ts';

/** A planner under test; `prime` lets a scripted model know the request before it is asked (no-op for the others). */
export interface PlannerHarness {
  planner: Planner;
  prime?(job: 'draft' | 'advise' | 'triage' | 'report', req: unknown): void;
}

const base = defaultSpec();

export const CASES = {
  oerGoal: { goal: 'Find a Ni-Fe-Co-Ce-Mn ink with the lowest OER overpotential in 96 experiments, keep Ce below 20 %', base } satisfies DraftRequest,
  subsetGoal: { goal: 'Screen Ni, Fe and Co only, lowest overpotential, 30 trials', base } satisfies DraftRequest,
  unsafeGoal: { goal: 'Lowest overpotential in 40 experiments with complexant up to 80 mM', base } satisfies DraftRequest,
  hotGoal: { goal: 'Lowest overpotential in 40 experiments, annealing up to 800 °C', base } satisfies DraftRequest,
  impossibleGoal: { goal: 'Only Ni and Fe, Ni below 10 % and Fe below 10 %, 20 trials', base } satisfies DraftRequest,
  adviceCold: {
    spec: base,
    k: 3,
    reason: 'cadence',
    summary: { completed: 0, failed: 0, budgetLeft: 48, pending: 0, sinceImprovement: 0, recent: [], failuresByCode: {} },
  } satisfies AdviceRequest,
  adviceWarm: {
    spec: base,
    k: 2,
    reason: 'stall',
    summary: { completed: 20, failed: 2, budgetLeft: 26, pending: 3, sinceImprovement: 12, best: { value: 0.33, recipe: goodRecipe }, recent: [{ recipe: goodRecipe, value: 0.33 }], failuresByCode: { DELAMINATION: 2 } },
  } satisfies AdviceRequest,
  triageRetry: { spec: base, trialId: 't1', recipe: goodRecipe, failure: makeFailure('CLOT', 'pressure rose at aspirate'), flags: [], station: 'pair1', attempt: 0, allowed: ['retry', 'skip'] } satisfies TriageRequest,
  triageSkipOnly: { spec: base, trialId: 't2', recipe: goodRecipe, failure: makeFailure('CLOT', 'pressure rose at aspirate'), flags: [], station: 'pair1', attempt: 0, allowed: ['skip'] } satisfies TriageRequest,
  report: {
    facts: {
      campaignId: 'oer-screen-seed1',
      title: 'Ni-Fe-Co-Ce-Mn OER catalyst ink screen',
      objective: { name: 'eta10', unit: 'V', direction: 'minimize' },
      trials: { total: 48, completed: 45, failed: 2, blocked: 1, abandoned: 0 },
      best: { value: 0.31234, trialIndex: 17, recipe: goodRecipe },
      failuresByCode: { DELAMINATION: 2 },
      proposers: { bo: 40, llm: 8 },
    },
  } satisfies ReportRequest,
} as const;

/** The conformance suite every Planner passes (rule, LLM, replay). */
export function plannerContract(name: string, makeHarness: () => Promise<PlannerHarness>): void {
  describe(`Planner contract: ${name}`, () => {
    let h: PlannerHarness;
    beforeAll(async () => {
      h = await makeHarness();
    });
    const ask = {
      draft: (r: DraftRequest) => (h.prime?.('draft', r), h.planner.draft(r)),
      advise: (r: AdviceRequest) => (h.prime?.('advise', r), h.planner.advise(r)),
      triage: (r: TriageRequest) => (h.prime?.('triage', r), h.planner.triage(r)),
      report: (r: ReportRequest) => (h.prime?.('report', r), h.planner.report(r)),
    };

    it('drafts a campaign from a goal that the campaign loader accepts, with the budget and the cap asked for', async () => {
      const { value } = await ask.draft(CASES.oerGoal);
      expect(value.kind).toBe('campaign');
      if (value.kind !== 'campaign') return;
      const loaded = parseCampaign(stringify(value.spec));
      expect(loaded.budget.trials).toBe(96);
      expect(loaded.constraints).toContainEqual(expect.objectContaining({ coefficients: { Ce: 1 }, rhs: 0.2 }));
      expect(value.chosen).toEqual(expect.arrayContaining(['budget.trials', 'constraints']));
      expect(loaded.safety).toEqual(base.safety);
    });

    it('drafts a narrower mixture when the goal names a subset of the components', async () => {
      const { value } = await ask.draft(CASES.subsetGoal);
      expect(value.kind).toBe('campaign');
      if (value.kind !== 'campaign') return;
      const mixture = value.spec.parameters.find((p) => p.type === 'simplex');
      expect(mixture?.type === 'simplex' && mixture.components).toEqual(['Ni', 'Fe', 'Co']);
      expect(value.spec.budget.trials).toBe(30);
    });

    it('refuses an unsafe goal, naming the envelope rule', async () => {
      const { value } = await ask.draft(CASES.unsafeGoal);
      expect(value).toMatchObject({ kind: 'refused', rule: 'safety.maxConcentration.complexant' });
      const hot = await ask.draft(CASES.hotGoal);
      expect(hot.value).toMatchObject({ kind: 'refused', rule: 'safety.maxTemperature' });
    });

    it('refuses an impossible goal, naming the rule', async () => {
      const { value } = await ask.draft(CASES.impossibleGoal);
      expect(value).toMatchObject({ kind: 'refused', rule: 'draft.feasible-mixture' });
    });

    it('advises a strategy from the closed list with at most k candidates, each passing the safety gate', async () => {
      const gate = new SafetyGate(base);
      for (const req of [CASES.adviceCold, CASES.adviceWarm]) {
        const { value } = await ask.advise(req);
        expect(STRATEGIES).toContain(value.strategy);
        expect(value.candidates.length).toBeLessThanOrEqual(req.k);
        expect(value.candidates.length).toBeGreaterThan(0);
        for (const c of value.candidates) expect(gate.checkRecipe(c.recipe).allowed).toBe(true);
      }
    });

    it('triages with a verdict the campaign allows', async () => {
      const retry = await ask.triage(CASES.triageRetry);
      expect(TRIAGE_VERDICTS).toContain(retry.value.verdict);
      expect(retry.value.verdict).toBe('retry');
      const skip = await ask.triage(CASES.triageSkipOnly);
      expect(skip.value.verdict).toBe('skip');
      expect(skip.value.reason.length).toBeGreaterThan(0);
    });

    it('reports only numbers that are facts', async () => {
      const { value } = await ask.report(CASES.report);
      const numbers = printedNumbers(value.markdown);
      expect(numbers).toContain('48');
      for (const n of numbers) expect(matchesFact(n, CASES.report.facts), n).toBe(true);
    });

    it('counts its jobs', () => {
      const s = h.planner.stats();
      expect(s.jobs.draft).toBeGreaterThanOrEqual(5);
      expect(s.jobs.advise).toBeGreaterThanOrEqual(2);
    });
  });
}
