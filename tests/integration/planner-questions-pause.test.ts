import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resumeCampaign } from '../../src/app/campaign-resume.ts';
import { startServeConsole } from '../../src/app/console-serve.ts';
import { runDryRun } from '../../src/app/dry-run.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { CampaignCommands } from '../../src/console/index.ts';
import { plannerStrategySchema, silentLogger } from '../../src/domain/index.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import { openStore } from '../../src/store/index.ts';
import { removePgliteDir, TEST_PGLITE_CACHE, tempPgliteDir } from '../helpers/db.ts';
import { defaultSpec } from '../helpers/default-spec.ts';
import { ofType } from '../helpers/fault-campaign.ts';
import { modelLikeResponder } from '../helpers/model-like-stub.ts';
import { startOpenAiStub } from '../helpers/openai-stub.ts';
import { TestClient, TOKEN_ENTRIES, TOKENS } from '../unit/console/server-harness.ts';

/**
 * ADR 0105: pausing a campaign does not wait for the planner's open ask-human question. `labloop serve` closing a
 * campaign it hosts pauses it while the planner waits for an operator about a failed step: the campaign pauses within
 * seconds (the question's 60-minute timeout is far away), the question stays open and unanswered in the documents
 * (nobody rejected it), its trial still awaits recovery; the next resume asks the same question again, and the
 * operator's answer then decides the step.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}


describe('a pause leaves the planner\'s open question open (ADR 0105)', () => {
  it('serve closing a hosted campaign pauses it promptly; the resumed run asks the question again and its answer decides', async () => {
    const dir = tempPgliteDir();
    cleanups.push(() => removePgliteDir(dir));
    // A model that asks a human about every failed step (flagged trials it keeps as they are).
    const stub = await startOpenAiStub(modelLikeResponder({ triage: (p) => (p.input?.failure ? { verdict: 'ask-human', reason: 'two clots in a row may be the ink' } : { verdict: 'skip', reason: 'the reading stands' }) }));
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
    expect(spec.strategy.planner.questionTimeout_min).toBe(60);
    const campaignId = 'paused-question';
    // Run 1: no console (ask-human is not offered), paused after its first trial.
    const pause = new AbortController();
    const first = await runDryRun({
      spec, config, logger: silentLogger, seed: 4, campaignId, outDir: mkdtempSync(path.join(os.tmpdir(), 'labloop-pause-q-')), clock: '2000', transport: 'sim', faultRate: 0.3, pause: pause.signal,
      onProgress: (p) => {
        if (p.dispatched >= 1) pause.abort();
      },
    });
    expect(first.result.state).toBe('paused');

    // Run 2, hosted by serve: the planner asks about a failed step; serve closes before anybody answers.
    const served = await startServeConsole({ config, logger: silentLogger, host: '127.0.0.1', port: 0, insecureLocal: false, pollMs: 50, outDir: mkdtempSync(path.join(os.tmpdir(), 'labloop-pause-q-out-')) });
    let closed = false;
    cleanups.push(() => (closed ? undefined : served.close()));
    const op = new TestClient(served.url, TOKENS.operator);
    await op.connected();
    expect(await op.request('command', { action: 'resume', campaignId })).toMatchObject({ ok: true });
    const pendingNow = async () =>
      ((await (await fetch(`${served.url}/api/campaigns/${campaignId}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })).json()) as { pending?: { questions?: string[] } }).pending?.questions ?? [];
    await until(async () => (await pendingNow()).length > 0, 120_000, 'a question of the hosted campaign');
    const [requestId] = await pendingNow();
    const trialId = requestId?.split(':')[2] ?? '';
    expect(requestId).toBe(`${campaignId}:triage:${trialId}:0`);
    op.close();
    const t0 = performance.now();
    await served.close();
    closed = true;
    const pausedIn_s = (performance.now() - t0) / 1000;
    // Trials in flight finish first (seconds at this clock); nothing waits for the operator.
    expect(pausedIn_s).toBeLessThan(60);

    const store = await openStore({ pgliteDir: dir, pgliteTemplateCacheDir: TEST_PGLITE_CACHE });
    let docs: LabDocument[];
    try {
      docs = await store.documents.after(campaignId, 0, 1_000_000);
    } finally {
      await store.close();
    }
    expect(ofType(docs, 'campaignState').at(-1)?.payload.state).toBe('paused');
    expect(ofType(docs, 'plannerQuestion').filter((d) => d.payload.requestId === requestId).map((d) => d.payload.state)).toEqual(['open']);
    expect(ofType(docs, 'trialState').filter((d) => d.payload.trialId === trialId).at(-1)?.payload.to).toBe('awaitingRecovery');

    // Run 3: the same question is asked again; the operator approves, the step is retried; later questions are rejected.
    let commands: CampaignCommands | undefined;
    let finished = false;
    const third = resumeCampaign({ campaignId, config, logger: silentLogger, outDir: mkdtempSync(path.join(os.tmpdir(), 'labloop-pause-q-3-')), onCommands: (c) => (commands = c) });
    void third.finally(() => (finished = true)).catch(() => undefined);
    const pending = async () => (commands ? ((await commands.pending(campaignId)).questions ?? []) : []);
    await until(async () => (await pending()).includes(requestId ?? ''), 120_000, 'the question asked again');
    expect(await commands?.execute({ action: 'answer', campaignId, requestId: requestId ?? '', approved: true, reason: 'tip replaced' }, 'ada')).toEqual({ accepted: true });
    const rejected = new Set<string>();
    await until(
      async () => {
        for (const id of await pending()) {
          if (rejected.has(id)) continue;
          rejected.add(id);
          await commands?.execute({ action: 'answer', campaignId, requestId: id, approved: false }, 'ada');
        }
        return finished;
      },
      180_000,
      'the resumed run to end',
    );
    const summary = await third;
    expect(summary.result.state).toBe('completed');

    const after = await openStore({ pgliteDir: dir, pgliteTemplateCacheDir: TEST_PGLITE_CACHE });
    try {
      docs = await after.documents.after(campaignId, 0, 1_000_000);
    } finally {
      await after.close();
    }
    const states = ofType(docs, 'plannerQuestion').filter((d) => d.payload.requestId === requestId);
    expect(states.map((d) => d.payload.state)).toEqual(['open', 'open', 'answered']);
    expect(states[2]?.payload.answer).toEqual({ approved: true, actor: 'ada', reason: 'tip replaced' });
    // Asked again by the third run (after its campaignStart); the retry ran after the answer.
    expect(states[1]?.seq).toBeGreaterThan(ofType(docs, 'campaignStart').at(-1)?.seq ?? Infinity);
    expect(ofType(docs, 'trialState').some((d) => d.payload.trialId === trialId && d.payload.attempt === 1 && d.payload.to === 'running' && d.seq > (states[2]?.seq ?? Infinity))).toBe(true);
  }, 600_000);
});
