import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesFact, printedNumbers } from '../../agents/planner/report-job.ts';
import { runDryRun, type DryRunSummary } from '../../src/app/dry-run.ts';
import { PlannerModel } from '../../src/console/web/src/planner-model.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/domain/index.ts';
import { openStore } from '../../src/store/open-store.ts';
import { defaultSpec } from '../helpers/default-spec.ts';
import { hybridSpec, modelLikeResponder } from '../helpers/model-like-stub.ts';
import { startOpenAiStub, type OpenAiStub } from '../helpers/openai-stub.ts';

async function csvRows(file: string): Promise<Record<string, string>[]> {
  const [header, ...lines] = (await readFile(file, 'utf8')).trim().split(/\r?\n/);
  const cols = (header ?? '').split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i] ?? `c${i}`, v])));
}

describe('dry run with the hybrid agent (strategy.agent: hybrid)', () => {
  let dir: string;
  let stub: OpenAiStub;
  const spec = defaultSpec({ budget: { trials: 14 }, stations: { pairs: 2 } });
  const hybrid = hybridSpec(spec, { every: 4, stallAfter: 6, candidates: 2, share: 0.5, triage: ['retry', 'skip'] });
  let withStub: DryRunSummary;
  let noEndpoint: DryRunSummary;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-hybrid-'));
    // A model that invents numbers in its report (99 trials, 0.1 V): the report job must refuse them.
    stub = await startOpenAiStub(modelLikeResponder({ report: 'The campaign ran 99 trials and found an ink at 0.1 V.' }));
    const config = loadConfig({ LABLOOP_LLM_BASE_URL: stub.baseUrl, LABLOOP_LLM_MODEL: 'stub' }, { pgliteDir: path.join(dir, 'db-stub') });
    withStub = await runDryRun({ spec: hybrid, config, logger: silentLogger, seed: 3, outDir: path.join(dir, 'stub'), clock: 'instant', transport: 'sim', faultRate: 0.04 });
    const plain = loadConfig({}, { pgliteDir: path.join(dir, 'db-rules') });
    noEndpoint = await runDryRun({ spec: hybrid, config: plain, logger: silentLogger, seed: 3, outDir: path.join(dir, 'rules'), clock: 'instant', transport: 'sim' });
  }, 300_000);

  afterAll(async () => {
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('completes its budget with the stub endpoint; LLM trials carry the rationale and the transcript id', async () => {
    expect(withStub.result.state).toBe('completed');
    expect(withStub.result.progress.dispatched).toBe(14);
    const rows = await csvRows(path.join(dir, 'stub', 'results.csv'));
    expect(rows.filter((r) => r.proposer === 'llm').length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.proposer === 'llm').length).toBeLessThanOrEqual(7);
    const store = await openStore({ pgliteDir: path.join(dir, 'db-stub') });
    try {
      const docs = await store.documents.after(withStub.campaignId, 0, 100_000);
      const calls = new Map(docs.filter((d) => d.type === 'plannerCall').map((d) => [`plannerCall:${d.seq}`, d]));
      const llm = docs.flatMap((d) => (d.type === 'suggestion' && d.payload.suggestion.proposer === 'llm' ? [d.payload.suggestion] : []));
      expect(llm.length).toBeGreaterThan(0);
      // Each advice round ran as the LangGraph graph, checkpointed in this campaign's documents.
      const checkpoints = docs.filter((d) => d.type === 'plannerCheckpoint');
      const adviceCalls = [...calls.values()].filter((d) => d.type === 'plannerCall' && d.payload.job === 'advise').length;
      const threads = new Set(checkpoints.map((d) => (d.type === 'plannerCheckpoint' ? String(d.payload.config.configurable?.thread_id) : '')));
      expect([...threads].filter((t) => t.includes(':advice:')).length).toBe(adviceCalls);
      // Triage of failed and flagged trials runs as its own graph (ADRs 0075, 0076), one thread per triaged trial.
      expect([...threads].filter((t) => t.includes(':triage:') || t.includes(':flag:') || t.includes(':shift:')).length).toBe([...calls.values()].filter((d) => d.type === 'plannerCall' && d.payload.job === 'triage').length);
      for (const s of llm) {
        expect(s.rationale).toContain('LLM planner (exploit)');
        expect(calls.has(s.sourceId ?? '')).toBe(true);
      }
      // Every HTTP request is a turn of some plannerCall document (repairs are further turns of the same call).
      expect(stub.requests.length).toBe([...calls.values()].reduce((n, d) => n + (d.type === 'plannerCall' ? d.payload.turns.length : 0), 0));
    } finally {
      await store.close();
    }
    const campaign = JSON.parse(await readFile(path.join(dir, 'stub', 'campaign.json'), 'utf8')) as { planner: { kind: string; calls: number; answeredBy: { llm: number } } & Record<string, unknown> };
    expect(campaign.planner).toMatchObject({ kind: 'llm' });
    // The console's planner metrics, folded from the stored transcripts, agree with the planner's own counters.
    const store2 = await openStore({ pgliteDir: path.join(dir, 'db-stub') });
    try {
      const view = new PlannerModel();
      for (const d of await store2.documents.after(withStub.campaignId, 0, 100_000)) view.fold(d);
      const m = view.metrics;
      expect({ calls: m.calls, tokens: m.tokens, repairs: m.repairs, fallbacks: m.fallbacks }).toEqual({
        calls: campaign.planner.calls,
        tokens: campaign.planner['tokens'],
        repairs: campaign.planner['repairs'],
        fallbacks: campaign.planner['fallbacks'],
      });
      expect(m.answeredBy).toMatchObject(Object.fromEntries(Object.entries(campaign.planner.answeredBy).filter(([, n]) => n > 0)));
      expect(m.latency_ms.total).toBeCloseTo((campaign.planner['latency_ms'] as { total: number }).total, 0);
    } finally {
      await store2.close();
    }
    expect(campaign.planner.calls).toBe(stub.requests.length);
    expect(campaign.planner.answeredBy.llm).toBeGreaterThan(1);
  });

  it('triages every trial that awaited recovery through the planner', async () => {
    const store = await openStore({ pgliteDir: path.join(dir, 'db-stub') });
    try {
      const docs = await store.documents.after(withStub.campaignId, 0, 100_000);
      const awaiting = docs.filter((d) => d.type === 'trialState' && d.payload.to === 'awaitingRecovery').length;
      // Failed steps; flagged trials are triaged too (ADR 0075), their prompts name no failure.
      const triaged = docs.filter((d) => d.type === 'plannerCall' && d.payload.job === 'triage' && (d.payload.turns[0]?.user ?? '').includes('"failure":'));
      // Recovery triage runs on `<campaign>:triage:<trial>:<attempt>` threads; flagged trials (ADR 0075) on their own.
      const recoveryThreads = new Set(
        docs.flatMap((d) => (d.type === 'plannerCheckpoint' && String(d.payload.config.configurable?.thread_id).includes(':triage:') ? [String(d.payload.config.configurable?.thread_id)] : [])),
      );
      expect(awaiting).toBeGreaterThan(0);
      expect(recoveryThreads.size).toBe(awaiting);
      expect(triaged).toHaveLength(awaiting);
      expect(triaged.every((d) => d.type === 'plannerCall' && d.payload.source === 'llm')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("writes summary.md whose every number matches the store (the model's invented numbers are refused)", async () => {
    for (const [name, db] of [['stub', 'db-stub'], ['rules', 'db-rules']] as const) {
      const md = await readFile(path.join(dir, name, 'summary.md'), 'utf8');
      expect(md).not.toContain('99 trials');
      const store = await openStore({ pgliteDir: path.join(dir, db) });
      try {
        const campaignId = name === 'stub' ? withStub.campaignId : noEndpoint.campaignId;
        const trials = await store.trials.list(campaignId);
        // The facts, straight from the stored trial rows.
        const done = trials.filter((t) => t.status === 'completed' && t.objectives?.eta10 !== undefined);
        const best = done.reduce((a, b) => ((b.objectives?.eta10 ?? Infinity) < (a.objectives?.eta10 ?? Infinity) ? b : a));
        const byStatus = (s: string): number => trials.filter((t) => t.status === s).length;
        const facts = {
          campaignId,
          title: spec.title,
          objective: { name: 'eta10', unit: 'V', direction: 'minimize' as const },
          trials: { total: trials.length, completed: byStatus('completed'), failed: byStatus('failed'), blocked: byStatus('blocked'), abandoned: byStatus('abandoned') },
          best: { value: best.objectives?.eta10 ?? NaN, trialIndex: best.index, recipe: best.recipe },
          failuresByCode: Object.fromEntries(trials.filter((t) => t.status !== 'completed' && t.failure).map((t) => [t.failure?.code ?? '', trials.filter((u) => u.status !== 'completed' && u.failure?.code === t.failure?.code).length])),
          proposers: Object.fromEntries(trials.map((t) => [t.proposer, trials.filter((u) => u.proposer === t.proposer).length])),
        };
        const numbers = printedNumbers(md);
        expect(numbers).toContain(String(trials.length));
        for (const n of numbers) expect(matchesFact(n, facts), `${name}: ${n} in\n${md}`).toBe(true);
      } finally {
        await store.close();
      }
    }
  });

  it('completes its budget with no endpoint, on the rule planner', async () => {
    expect(noEndpoint.result.state).toBe('completed');
    expect(noEndpoint.result.progress.dispatched).toBe(14);
    const rows = await csvRows(path.join(dir, 'rules', 'results.csv'));
    expect(rows.some((r) => r.proposer === 'llm')).toBe(false);
    const campaign = JSON.parse(await readFile(path.join(dir, 'rules', 'campaign.json'), 'utf8')) as { planner: { kind: string; calls: number } };
    expect(campaign.planner).toMatchObject({ kind: 'rules', calls: 0 });
  });
});
