import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt } from '../../src/console/index.ts';
import { silentLogger } from '../../src/domain/index.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import { modelLikeResponder, promptOf } from '../helpers/model-like-stub.ts';
import { startOpenAiStub, type OpenAiStub } from '../helpers/openai-stub.ts';
import { startConsoleDryRun, type ConsoleDryRun } from '../unit/console/dry-run-harness.ts';
import { TestClient, TOKENS } from '../unit/console/server-harness.ts';
import { chromiumAvailable, launchBrowser, openConsole, pageErrors } from './browser.ts';

/**
 * The planner in the console, in headless Chromium (ADRs 0072, 0076): each transcript beside the suggestion it
 * produced (the API key redacted), the planner's metrics, and a question the planner put to a human answered with the
 * page's approve button.
 */
const SECRET = 'sk-test-0123456789abcdefSECRET';
const ofType = <T extends LabDocument['type']>(docs: LabDocument[], type: T) => docs.filter((d): d is Extract<LabDocument, { type: T }> => d.type === type);

let browser: Awaited<ReturnType<typeof launchBrowser>>;
let stub: OpenAiStub;

beforeAll(async () => {
  expect(chromiumAvailable(), 'Debian chromium at /usr/bin/chromium (apt-get install chromium)').toBe(true);
  await ensureWebBuilt({ logger: silentLogger });
  browser = await launchBrowser();
  const base = modelLikeResponder({ triage: () => ({ verdict: 'ask-human', reason: 'two faults on one ink: a person should look' }) });
  // A model that leaks the key it was called with into its rationale: the stored transcript must not show it.
  stub = await startOpenAiStub((req) => {
    const reply = base(req);
    if (promptOf(req).job === 'advise' && 'content' in reply) return { content: reply.content.replace('known good OER catalysts', `known good OER catalysts (key ${SECRET})`) };
    return reply;
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stub?.close();
});

describe('planner transcripts, metrics and questions in the console', () => {
  it('shows the transcript beside an LLM suggestion (key redacted), the metrics, and answers a question from the page', async () => {
    const run: ConsoleDryRun = await startConsoleDryRun({
      trials: 4,
      stations: 2,
      speed: 2000,
      faultRate: 0.3,
      seed: 1,
      agent: 'hybrid',
      planner: { triage: ['retry', 'skip', 'ask-human'], every: 2, stallAfter: 50, candidates: 2 },
      env: { LABLOOP_LLM_BASE_URL: stub.baseUrl, LABLOOP_LLM_MODEL: 'stub', LABLOOP_LLM_API_KEY: SECRET },
    });
    const helper = new TestClient(run.url, TOKENS.operator);
    try {
      await helper.connected();
      await helper.subscribe(run.campaignId);
      const hash = `#/campaign/${encodeURIComponent(run.campaignId)}`;
      const page = await openConsole(browser.context, run.url, hash, TOKENS.operator);
      await expect.poll(() => page.locator('#connection').getAttribute('data-state'), { timeout: 30_000 }).toBe('live');

      // The planner panel appears with its first job; a question shows approve / reject for an operator.
      await expect.poll(() => page.locator('#planner-metrics').count(), { timeout: 60_000 }).toBe(1);
      const open = page.locator('#planner-questions li[data-state=open]').first();
      await expect.poll(() => open.count(), { timeout: 90_000 }).toBe(1);
      const requestId = (await open.getAttribute('data-request')) ?? '';
      expect(requestId).toContain(':triage:');
      expect(await open.textContent()).toContain('two faults on one ink');
      // The question is addressed by its id: `open` is re-resolved on every use, and a question asked meanwhile can
      // become the first open one (several faults can ask at once).
      const answered = page.locator(`#planner-questions li[data-request="${requestId}"]`);
      await answered.locator('button[data-answer=approve]').click();
      await expect.poll(() => page.locator('#command-status').getAttribute('data-ok')).toBe('true');
      await expect.poll(() => answered.getAttribute('data-state'), { timeout: 15_000 }).toBe('answered');
      expect(await answered.textContent()).toContain('approved by ada');

      // Any later question is rejected through the socket, so the campaign can end.
      const seen = new Set([requestId]);
      let ended = false;
      void run.ended.then(() => (ended = true));
      while (!ended) {
        for (const q of ofType(helper.messages.flatMap((m) => m.docs), 'plannerQuestion')) {
          if (q.payload.state !== 'open' || seen.has(q.payload.requestId)) continue;
          seen.add(q.payload.requestId);
          await helper.request('command', { campaignId: run.campaignId, action: 'answer', requestId: q.payload.requestId, approved: false });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const docs = await run.documents();

      // The transcript beside an LLM suggestion: selecting its trial shows the prompt and the (redacted) reply.
      const llm = ofType(docs, 'suggestion').find((d) => d.payload.suggestion.proposer === 'llm');
      expect(llm, 'an LLM candidate won a place').toBeDefined();
      const sourceId = llm?.payload.suggestion.sourceId ?? '';
      await page.locator(`#trials tbody tr[data-trial-id="${llm?.payload.trialId}"]`).click();
      await expect.poll(() => page.locator('#transcript').getAttribute('data-call'), { timeout: 15_000 }).toBe(sourceId);
      const transcript = (await page.locator('#transcript').textContent()) ?? '';
      expect(transcript).toContain('advise answered by llm');
      expect(transcript).toContain('"job":"advise"');
      expect(transcript).toContain('known good OER catalysts (key ');
      expect(transcript).not.toContain(SECRET);
      expect(await page.content()).not.toContain(SECRET);

      // The metrics: every HTTP request the stub answered is a call; approvals as answered.
      const metric = async (key: string) => (await page.locator(`#planner-metrics tr[data-metric=${key}] td`).textContent()) ?? '';
      await expect.poll(() => metric('calls'), { timeout: 15_000 }).toBe(String(stub.requests.length));
      expect(await metric('tokens')).toMatch(/^\d+$/);
      expect(await metric('rejections')).toMatch(/json \d+, schema \d+, rules \d+, safety \d+/);
      expect(await metric('fallbacks')).toMatch(/provider 0, timeout 0, budget 0, invalid 0/);
      const questions = ofType(docs, 'plannerQuestion').filter((d) => d.payload.state === 'answered');
      const approved = questions.filter((d) => d.payload.answer?.approved).length;
      expect(await metric('approvals')).toBe(`${questions.length} asked, ${approved} approved, ${questions.length - approved} rejected, 0 open`);
      expect(approved).toBe(1);
      expect(pageErrors(page)).toEqual([]);
    } finally {
      helper.close();
      await run.release();
    }
  }, 300_000);
});
