import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesFact, printedNumbers } from '../../agents/planner/report-job.ts';
import { runDryRun, type DryRunSummary } from '../../src/app/dry-run.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/domain/index.ts';
import { openStore } from '../../src/store/open-store.ts';
import { defaultSpec, goodRecipe } from '../helpers/default-spec.ts';
import { startOpenAiStub, type OpenAiStub } from '../helpers/openai-stub.ts';

/** The stub as a model that always advises exploiting near a fixed good ink (two candidates). */
function adviseResponder(): Parameters<OpenAiStub['script']>[0] {
  return (req) => {
    const input = JSON.parse(req.body.messages[1]?.content ?? '{}') as { job?: string; input?: { summary?: { completed?: number }; failure?: { retryable?: boolean } } };
    if (input.job === 'triage') return { content: JSON.stringify({ verdict: input.input?.failure?.retryable ? 'retry' : 'skip', reason: 'a device fault, not the ink' }) };
    if (input.job === 'report') return { content: JSON.stringify({ markdown: 'The campaign ran 99 trials and found an ink at 0.1 V.' }) };
    if (input.job !== 'advise') return { status: 500, message: 'not scripted' };
    const shift = ((input.input?.summary?.completed ?? 0) % 5) * 10;
    return {
      content: JSON.stringify({
        strategy: 'exploit',
        rationale: 'Ni-Fe inks with a little Co are known good OER catalysts',
        candidates: [
          { recipe: { ...goodRecipe, depositionCharge_mC_cm2: 40 + shift }, rationale: 'Ni-rich Ni-Fe-Co' },
          { recipe: { ...goodRecipe, Ni: 0.5, Fe: 0.35, Co: 0.15, annealTemperature: 250 + shift }, rationale: 'more Fe' },
        ],
      }),
    };
  };
}

async function csvRows(file: string): Promise<Record<string, string>[]> {
  const [header, ...lines] = (await readFile(file, 'utf8')).trim().split(/\r?\n/);
  const cols = (header ?? '').split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i] ?? `c${i}`, v])));
}

describe('dry run with the hybrid agent (strategy.agent: hybrid)', () => {
  let dir: string;
  let stub: OpenAiStub;
  const spec = defaultSpec({ budget: { trials: 14 }, stations: { pairs: 2 } });
  const hybrid = { ...spec, strategy: { ...spec.strategy, agent: 'hybrid' as const, planner: { every: 4, stallAfter: 6, candidates: 2, share: 0.5, triage: ['retry' as const, 'skip' as const] } } };
  let withStub: DryRunSummary;
  let noEndpoint: DryRunSummary;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-hybrid-'));
    stub = await startOpenAiStub(adviseResponder());
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
      expect(threads.size).toBe(adviceCalls);
      for (const s of llm) {
        expect(s.rationale).toContain('LLM planner (exploit)');
        expect(calls.has(s.sourceId ?? '')).toBe(true);
      }
      // Every HTTP request is a turn of some plannerCall document (repairs are further turns of the same call).
      expect(stub.requests.length).toBe([...calls.values()].reduce((n, d) => n + (d.type === 'plannerCall' ? d.payload.turns.length : 0), 0));
    } finally {
      await store.close();
    }
    const campaign = JSON.parse(await readFile(path.join(dir, 'stub', 'campaign.json'), 'utf8')) as { planner: { kind: string; calls: number; answeredBy: { llm: number } } };
    expect(campaign.planner).toMatchObject({ kind: 'llm' });
    expect(campaign.planner.calls).toBe(stub.requests.length);
    expect(campaign.planner.answeredBy.llm).toBeGreaterThan(1);
  });

  it('triages every trial that awaited recovery through the planner', async () => {
    const store = await openStore({ pgliteDir: path.join(dir, 'db-stub') });
    try {
      const docs = await store.documents.after(withStub.campaignId, 0, 100_000);
      const awaiting = docs.filter((d) => d.type === 'trialState' && d.payload.to === 'awaitingRecovery').length;
      const triaged = docs.filter((d) => d.type === 'plannerCall' && d.payload.job === 'triage');
      expect(awaiting).toBeGreaterThan(0);
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
