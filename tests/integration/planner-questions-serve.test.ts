import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServeConsole } from '../../src/app/console-serve.ts';
import { runDryRun } from '../../src/app/dry-run.ts';
import { loadConfig } from '../../src/config/index.ts';
import { plannerStrategySchema, silentLogger } from '../../src/domain/index.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { createTempDatabase, IN_CI, probePostgres, removePgliteDir, TEST_PGLITE_CACHE, tempPgliteDir, type TempDatabase } from '../helpers/db.ts';
import { defaultSpec } from '../helpers/default-spec.ts';
import { modelLikeResponder } from '../helpers/model-like-stub.ts';
import { startOpenAiStub, type OpenAiStub } from '../helpers/openai-stub.ts';
import { TestClient, TOKEN_ENTRIES, TOKENS, waitFor } from '../unit/console/server-harness.ts';

/**
 * ADR 0102: a hybrid campaign run on PostgreSQL without a console of its own puts the planner's ask-human questions to
 * the consoles of other processes. `labloop serve` (its own Store, its own console) lists the open question as pending
 * from the stored documents; an operator's answer travels the command queue to the runner, whose triage graph resumes
 * with it: the failed step is retried on the operator's word. On PGlite (one process per folder) the same holds for a
 * campaign an operator resumed inside `serve`: its questions are serve's own.
 */
const probe = await probePostgres();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Polls an async condition every 100 ms (each poll reads the database). */
async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A model that asks a human about every failed step (flagged trials it keeps as they are). */
const askAboutFailedSteps = () =>
  modelLikeResponder({ triage: (p) => (p.input?.failure ? { verdict: 'ask-human', reason: 'two clots in a row may be the ink' } : { verdict: 'skip', reason: 'the reading stands' }) });

const ofType = <T extends LabDocument['type']>(docs: LabDocument[], type: T) => docs.filter((d): d is Extract<LabDocument, { type: T }> => d.type === type);

describe.skipIf(!probe.available && !IN_CI)('planner questions answered from labloop serve (PostgreSQL)', () => {
  let db: TempDatabase;
  let observer: Store;
  let stub: OpenAiStub;

  beforeAll(async () => {
    if (!probe.available) throw new Error(`PostgreSQL is required in CI: ${probe.reason}`);
    db = await createTempDatabase();
    observer = await openStore({ databaseUrl: db.url, maxConnections: 3 });
    // A model that asks a human about every failed step.
    stub = await startOpenAiStub(askAboutFailedSteps());
    return async () => {
      await stub.close();
      await observer.close();
      await db.drop();
    };
  }, 60_000);

  it('serve lists the open question, an operator answers it there, and the runner retries the step', async () => {
    const env = { LABLOOP_LLM_BASE_URL: stub.baseUrl, LABLOOP_LLM_MODEL: 'stub' };
    const config = loadConfig(env, { databaseUrl: db.url, logLevel: 'silent', console: { tokens: TOKEN_ENTRIES } });
    const base = defaultSpec();
    const spec = {
      ...base,
      budget: { ...base.budget, trials: 4 },
      stations: { pairs: 2 },
      // No station is quarantined for its faults here: every approved retry finds a station.
      strategy: { ...base.strategy, agent: 'hybrid' as const, quarantineAfter: 100, planner: plannerStrategySchema.parse({ triage: ['retry', 'skip', 'ask-human'], every: 50, stallAfter: 50 }) },
    };
    const campaignId = `serve-questions-${Date.now().toString(36)}`;
    const interrupt = new AbortController();
    // The runner: no console of its own (no `console` option); its commands come through the database.
    const run = runDryRun({ spec, config, logger: silentLogger, seed: 1, campaignId, outDir: mkdtempSync(path.join(os.tmpdir(), 'labloop-serve-q-')), clock: '2000', transport: 'sim', faultRate: 0.3, signal: interrupt.signal });
    let finished = false;
    void run.finally(() => (finished = true)).catch(() => undefined);
    cleanups.push(async () => {
      if (!finished) interrupt.abort();
      await run.catch(() => undefined);
    });

    const served = await startServeConsole({ config, logger: silentLogger, host: '127.0.0.1', port: 0, insecureLocal: false, pollMs: 50 });
    cleanups.push(() => served.close());
    const op = new TestClient(served.url, TOKENS.operator);
    cleanups.push(() => op.close());
    await op.connected();
    const pendingNow = async () =>
      ((await (await fetch(`${served.url}/api/campaigns/${encodeURIComponent(campaignId)}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })).json()) as { pending?: { questions?: string[] } }).pending?.questions ?? [];

    // The question reaches serve from the store: listed as pending, and its document in the page's stream.
    await until(async () => (await pendingNow()).length > 0, 90_000, 'an open planner question listed by serve');
    const [requestId] = await pendingNow();
    const trialId = requestId?.split(':')[2];
    expect(requestId).toBe(`${campaignId}:triage:${trialId}:0`);
    expect(await op.subscribe(campaignId, 0)).toMatchObject({ ok: true, controllable: true, pending: { questions: expect.arrayContaining([requestId]) } });
    await waitFor(() => op.messages.flatMap((m) => m.docs).some((d) => d.type === 'plannerQuestion' && d.payload.requestId === requestId), 15_000, 'the question document in serve\'s stream');

    // The answer travels the command queue to the runner; its triage graph resumes and the step is retried.
    expect(await op.request('command', { action: 'answer', campaignId, requestId, approved: true, reason: 'tip replaced' })).toEqual({ ok: true });
    const docs = async () => observer.documents.after(campaignId, 0, 100_000);
    await until(async () => ofType(await docs(), 'trialState').some((d) => d.payload.trialId === trialId && d.payload.attempt === 1 && d.payload.to === 'running'), 60_000, 'the retried step');
    expect(await pendingNow()).not.toContain(requestId);
    expect(await op.request('command', { action: 'answer', campaignId, requestId, approved: true })).toMatchObject({ ok: false, error: expect.stringMatching(/no open planner question/) });

    // Any further question is rejected from serve until the campaign ends: those trials fail, nothing waits forever.
    const rejected = new Set<string>();
    while (!finished) {
      for (const id of await pendingNow()) {
        if (rejected.has(id)) continue;
        rejected.add(id);
        expect(await op.request('command', { action: 'answer', campaignId, requestId: id, approved: false })).toEqual({ ok: true });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const summary = await run;
    expect(['completed', 'failed'], summary.result.reason).toContain(summary.result.state);
    expect(summary.result.progress.dispatched).toBe(4);

    const all = await docs();
    const answered = ofType(all, 'plannerQuestion').filter((d) => d.payload.state === 'answered');
    expect(answered.find((d) => d.payload.requestId === requestId)?.payload.answer).toEqual({ approved: true, actor: 'ada', reason: 'tip replaced' });
    for (const id of rejected) {
      expect(answered.find((d) => d.payload.requestId === id)?.payload.answer).toMatchObject({ approved: false, actor: 'ada' });
      const t = id.split(':')[2];
      expect(ofType(all, 'trialState').filter((d) => d.payload.trialId === t).at(-1)?.payload.to).toBe('failed');
    }
    const actions = await observer.operatorActions.list(campaignId);
    expect(actions.filter((a) => a.target === requestId).map((a) => [a.actor, a.action, a.accepted])).toEqual([
      ['ada', 'approve-question', true],
      ['ada', 'approve-question', false],
    ]);
    // Each answer went through the queue once and was handled by the runner.
    const queued = (await observer.consoleCommands.list(campaignId)).filter((q) => (q.command as { action: string }).action === 'answer');
    expect(queued.filter((q) => q.state === 'accepted')).toHaveLength(1 + rejected.size);
    expect(queued.every((q) => q.claimedBy?.startsWith('runner@'))).toBe(true);
  }, 240_000);
});

describe('planner questions of a campaign resumed inside labloop serve (PGlite)', () => {
  it('a paused hybrid campaign resumed from serve asks its operators there; an approval retries the step', async () => {
    const dir = tempPgliteDir();
    cleanups.push(() => removePgliteDir(dir));
    const stub = await startOpenAiStub(askAboutFailedSteps());
    cleanups.push(() => stub.close());
    const env = { LABLOOP_LLM_BASE_URL: stub.baseUrl, LABLOOP_LLM_MODEL: 'stub' };
    const config = loadConfig(env, { pgliteDir: dir, pgliteCacheDir: TEST_PGLITE_CACHE, logLevel: 'silent', console: { tokens: TOKEN_ENTRIES } });
    const base = defaultSpec();
    const spec = {
      ...base,
      budget: { ...base.budget, trials: 8 },
      stations: { pairs: 2 },
      strategy: { ...base.strategy, agent: 'hybrid' as const, quarantineAfter: 100, planner: plannerStrategySchema.parse({ triage: ['retry', 'skip', 'ask-human'], every: 50, stallAfter: 50 }) },
    };
    const campaignId = 'hosted-questions';
    // The first run has no console (nobody could answer: ask-human is not offered) and is paused after its first trial.
    const pause = new AbortController();
    const first = await runDryRun({
      spec, config, logger: silentLogger, seed: 4, campaignId, outDir: mkdtempSync(path.join(os.tmpdir(), 'labloop-hosted-q-')), clock: '2000', transport: 'sim', faultRate: 0.3, pause: pause.signal,
      onProgress: (p) => {
        if (p.dispatched >= 1) pause.abort();
      },
    });
    expect(first.result.state).toBe('paused');

    const served = await startServeConsole({ config, logger: silentLogger, host: '127.0.0.1', port: 0, insecureLocal: false, pollMs: 50, outDir: mkdtempSync(path.join(os.tmpdir(), 'labloop-hosted-out-')) });
    cleanups.push(() => served.close());
    const op = new TestClient(served.url, TOKENS.operator);
    cleanups.push(() => op.close());
    await op.connected();
    expect(await op.subscribe(campaignId, 0)).toMatchObject({ ok: true, controllable: true, dormant: 'paused' });
    expect(await op.request('command', { action: 'resume', campaignId })).toMatchObject({ ok: true });
    const pendingNow = async () =>
      ((await (await fetch(`${served.url}/api/campaigns/${campaignId}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })).json()) as { pending?: { questions?: string[] } }).pending?.questions ?? [];
    await until(async () => (await pendingNow()).length > 0, 90_000, 'a question of the hosted campaign');
    const [requestId] = await pendingNow();
    const trialId = requestId?.split(':')[2];
    expect(requestId).toBe(`${campaignId}:triage:${trialId}:0`);
    expect(await op.request('command', { action: 'answer', campaignId, requestId, approved: true })).toEqual({ ok: true });
    // serve holds the PGlite folder: the documents are read through its API.
    const docs = async (): Promise<LabDocument[]> => {
      const all: LabDocument[] = [];
      for (;;) {
        const res = await fetch(`${served.url}/api/campaigns/${campaignId}/documents?after=${all.at(-1)?.seq ?? 0}&limit=5000`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
        const { documents } = (await res.json()) as { documents: LabDocument[] };
        all.push(...documents);
        if (documents.length < 5000) return all;
      }
    };
    await until(async () => ofType(await docs(), 'trialState').some((d) => d.payload.trialId === trialId && d.payload.attempt === 1 && d.payload.to === 'running'), 60_000, 'the retried step');
    // Later questions are rejected until the hosted run ends.
    const rejected = new Set<string>();
    await until(
      async () => {
        for (const id of await pendingNow()) {
          if (rejected.has(id)) continue;
          rejected.add(id);
          expect(await op.request('command', { action: 'answer', campaignId, requestId: id, approved: false })).toEqual({ ok: true });
        }
        return served.control.hostedIds().length === 0;
      },
      120_000,
      'the hosted run to end',
    );
    const all = await docs();
    expect(ofType(all, 'campaignState').at(-1)?.payload.state).toBe('completed');
    expect(ofType(all, 'plannerQuestion').find((d) => d.payload.requestId === requestId && d.payload.state === 'answered')?.payload.answer).toMatchObject({ approved: true, actor: 'ada' });
    // The first run offered no ask-human (it had no console): every question is the hosted run's.
    const hostedStart = ofType(all, 'campaignStart').at(-1)?.seq ?? 0;
    expect(ofType(all, 'plannerQuestion').every((d) => d.seq > hostedStart)).toBe(true);
  }, 300_000);
});
