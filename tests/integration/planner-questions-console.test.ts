import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LabDocument } from '../../src/protocol/index.ts';
import { modelLikeResponder } from '../helpers/model-like-stub.ts';
import { startOpenAiStub, type OpenAiStub } from '../helpers/openai-stub.ts';
import { startConsoleDryRun, type ConsoleDryRun } from '../unit/console/dry-run-harness.ts';
import { TestClient, TOKENS, waitFor } from '../unit/console/server-harness.ts';

/**
 * ADR 0076: the planner's "ask a human" is a LangGraph interrupt that becomes an approval request in the console; an
 * operator answers through the socket's command event (zod-checked, role operator) and the graph resumes with it.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const docsOf = (c: TestClient): LabDocument[] => c.messages.flatMap((m) => m.docs);
const ofType = <T extends LabDocument['type']>(docs: LabDocument[], type: T) => docs.filter((d): d is Extract<LabDocument, { type: T }> => d.type === type);

describe('planner questions in the console', () => {
  let stub: OpenAiStub;
  beforeAll(async () => {
    // A model that asks a human about every failed step.
    stub = await startOpenAiStub(modelLikeResponder({ triage: () => ({ verdict: 'ask-human', reason: 'a clot twice in a row may be the ink, not the tip' }) }));
  });
  afterAll(async () => {
    await stub.close();
  });

  it('a failed step waits for an operator; viewers and malformed answers are refused; approve retries the step, reject skips it', async () => {
    const run: ConsoleDryRun = await startConsoleDryRun({
      trials: 4,
      stations: 2,
      speed: 2000,
      faultRate: 0.3,
      seed: 1,
      // Realtime clock: which device meets which fault depends on timing. Three faults in a row would quarantine a
      // station; with both quarantined the approved retry never finds one (a CI run timed out so), so no quarantine.
      quarantineAfter: 100,
      agent: 'hybrid',
      planner: { triage: ['retry', 'skip', 'ask-human'], every: 50, stallAfter: 50 },
      env: { LABLOOP_LLM_BASE_URL: stub.baseUrl, LABLOOP_LLM_MODEL: 'stub' },
    });
    cleanups.push(() => run.release());
    const id = run.campaignId;
    const op = new TestClient(run.url, TOKENS.operator);
    const viewer = new TestClient(run.url, TOKENS.viewer);
    cleanups.push(() => op.close(), () => viewer.close());
    await op.connected();
    await viewer.connected();
    expect(await op.subscribe(id)).toMatchObject({ ok: true, controllable: true });
    const cmd = (c: TestClient, body: Record<string, unknown>) => c.request('command', { campaignId: id, ...body });
    const questions = () => ofType(docsOf(op), 'plannerQuestion');
    const open = () => questions().filter((q) => q.payload.state === 'open' && !questions().some((a) => a.payload.state === 'answered' && a.payload.requestId === q.payload.requestId));

    await waitFor(() => open().length > 0, 60_000, 'a planner question');
    const first = open()[0]?.payload;
    expect(first).toMatchObject({ kind: 'triage', approve: 'retry the failed step', reject: 'give the trial up (failed)' });
    expect(first?.requestId).toBe(`${id}:triage:${first?.trialId}:0`);
    expect(first?.question).toMatch(/failed \(/);
    expect(first?.reason).toBe('a clot twice in a row may be the ink, not the tip');
    // The subscribe reply lists it as pending.
    expect(await viewer.subscribe(id)).toMatchObject({ ok: true, pending: { questions: [first?.requestId] } });

    expect(await cmd(viewer, { action: 'answer', requestId: first?.requestId, approved: true })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await cmd(op, { action: 'answer', requestId: first?.requestId, approved: 'yes' })).toMatchObject({ ok: false, code: 'invalid' });
    expect(await cmd(op, { action: 'answer', requestId: first?.requestId, approved: true, sudo: true })).toMatchObject({ ok: false, code: 'invalid' });
    expect(await cmd(op, { action: 'answer', requestId: 'no-such-question', approved: true })).toMatchObject({ ok: false, error: expect.stringMatching(/no open planner question/) });
    expect(await cmd(op, { action: 'answer', requestId: first?.requestId, approved: true, reason: 'tip replaced' })).toEqual({ ok: true });
    // The graph resumed with the answer: the step is retried (attempt 1) on the operator's word.
    await waitFor(() => ofType(docsOf(op), 'trialState').some((d) => d.payload.trialId === first?.trialId && d.payload.attempt === 1 && d.payload.to === 'running'), 60_000, 'the retry');
    expect(await cmd(op, { action: 'answer', requestId: first?.requestId, approved: true })).toMatchObject({ ok: false, error: expect.stringMatching(/no open planner question/) });

    // Any further question is rejected: that trial is given up (failed), not retried.
    const rejected: string[] = [];
    const answerRest = async (): Promise<void> => {
      for (const q of open()) {
        if (rejected.includes(q.payload.requestId)) continue;
        rejected.push(q.payload.requestId);
        expect(await cmd(op, { action: 'answer', requestId: q.payload.requestId, approved: false })).toEqual({ ok: true });
      }
    };
    const ended = run.ended.then(() => true);
    let done = false;
    void ended.then(() => (done = true));
    while (!done) {
      await answerRest();
      await new Promise((r) => setTimeout(r, 50));
    }
    const docs = await run.documents();
    const summary = await run.release();
    // The campaign ran to its end (not aborted: nothing was left waiting for an operator).
    expect(['completed', 'failed'], summary.result.reason).toContain(summary.result.state);
    expect(summary.result.progress.dispatched).toBe(4);
    const answered = ofType(docs, 'plannerQuestion').filter((d) => d.payload.state === 'answered');
    expect(answered[0]?.payload).toMatchObject({ requestId: first?.requestId, answer: { approved: true, actor: 'ada', reason: 'tip replaced' } });
    for (const r of rejected) {
      const trialId = answered.find((a) => a.payload.requestId === r)?.payload.trialId;
      expect(ofType(docs, 'trialState').filter((d) => d.payload.trialId === trialId).at(-1)?.payload.to).toBe('failed');
    }
    const actions = ofType(docs, 'operatorAction').filter((d) => d.payload.target === first?.requestId);
    expect(actions.map((a) => [a.payload.actor, a.payload.action, a.payload.accepted])).toEqual([
      ['vic', 'approve-question', false],
      ['ada', 'approve-question', true],
      ['ada', 'approve-question', false],
    ]);
    // The interrupt and its answer are in the graph's checkpoints of that thread.
    const thread = ofType(docs, 'plannerCheckpoint').filter((d) => d.payload.config.configurable?.['thread_id'] === first?.requestId);
    expect(JSON.stringify(thread)).toContain('tip replaced');
  }, 240_000);

  it('with human approval, each advice round waits for an operator before its candidates can become trials', async () => {
    const run: ConsoleDryRun = await startConsoleDryRun({
      trials: 2,
      stations: 2,
      speed: 2000,
      seed: 2,
      agent: 'hybrid',
      approval: 'human',
      planner: { every: 50, stallAfter: 50, candidates: 2, share: 1 },
      env: { LABLOOP_LLM_BASE_URL: stub.baseUrl, LABLOOP_LLM_MODEL: 'stub' },
    });
    cleanups.push(() => run.release());
    const id = run.campaignId;
    const op = new TestClient(run.url, TOKENS.operator);
    cleanups.push(() => op.close());
    await op.connected();
    expect(await op.subscribe(id)).toMatchObject({ ok: true, controllable: true });
    const cmd = (body: Record<string, unknown>) => op.request('command', { campaignId: id, ...body });
    const questions = () => ofType(docsOf(op), 'plannerQuestion');
    await waitFor(() => questions().some((q) => q.payload.kind === 'advice'), 60_000, 'an advice question');
    const advice = questions().find((q) => q.payload.kind === 'advice')?.payload;
    expect(advice).toMatchObject({ requestId: `${id}:advice:1`, state: 'open' });
    // Nothing is proposed while the advice waits.
    expect(ofType(docsOf(op), 'suggestion')).toEqual([]);
    expect(await cmd({ action: 'answer', requestId: advice?.requestId, approved: true })).toEqual({ ok: true });
    // Then each trial waits for its own approval, as before; the planner's candidates took the design's places.
    const approvedTrials = new Set<string>();
    let ended = false;
    void run.ended.then(() => (ended = true));
    while (!ended) {
      for (const d of ofType(docsOf(op), 'trialState')) {
        if (d.payload.to !== 'proposed' || approvedTrials.has(d.payload.trialId)) continue;
        approvedTrials.add(d.payload.trialId);
        await cmd({ action: 'approve', trialId: d.payload.trialId });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const docs = await run.documents();
    const suggestions = ofType(docs, 'suggestion').map((d) => d.payload.suggestion);
    expect(suggestions.length).toBe(2);
    expect(suggestions.every((s) => s.proposer === 'llm')).toBe(true);
    expect(ofType(docs, 'plannerQuestion').filter((d) => d.payload.kind === 'advice' && d.payload.state === 'answered')[0]?.payload.answer).toMatchObject({ approved: true, actor: 'ada' });
    expect((await run.release()).result.state).toBe('completed');
  }, 240_000);
});
