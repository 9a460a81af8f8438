import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabDocument } from '../../src/protocol/index.ts';
import { countPlannerCall, emptyPlannerStats, type PlannerStats } from '../../src/protocol/planner-stats.ts';
import { ofType } from '../helpers/fault-campaign.ts';
import { CAMPAIGN_FILE, storedDocuments, killAndResume } from '../helpers/kill-resume.ts';
import { modelLikeResponder, promptOf } from '../helpers/model-like-stub.ts';
import { startOpenAiStub, type OpenAiStub, type StubResponder } from '../helpers/openai-stub.ts';

/**
 * A hybrid dry run (`--agent hybrid`, the LLM planner over HTTP to the stub model) is kill -9'd while the model is
 * being asked for its third advice round, then `labloop resume` completes it (ADRs 0073, 0074, 0103): the advice
 * rounds answered before the kill are read back from their checkpoints and never asked again, the resumed planner's
 * call budget counts the calls the killed run spent, and `labloop audit` is clean.
 */
const dirs: string[] = [];
const stubs: OpenAiStub[] = [];
afterAll(async () => {
  for (const s of stubs) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});


const spentOf = (docs: LabDocument[]): PlannerStats => ofType(docs, 'plannerCall').reduce((s, d) => countPlannerCall(s, d.payload), emptyPlannerStats());

/** Per advice thread: the transcripts its checkpoints name (one per answered advise step) and the cadence it was asked at. */
function adviceThreads(docs: LabDocument[], campaignId: string): Map<string, { transcripts: Set<string>; completed?: number; reason?: string }> {
  const threads = new Map<string, { transcripts: Set<string>; completed?: number; reason?: string }>();
  for (const d of ofType(docs, 'plannerCheckpoint')) {
    const thread = d.payload.config.configurable?.['thread_id'];
    if (typeof thread !== 'string' || !thread.startsWith(`${campaignId}:advice:`)) continue;
    const t = threads.get(thread) ?? { transcripts: new Set<string>() };
    threads.set(thread, t);
    const values = (d.payload.checkpoint as { channel_values?: Record<string, unknown> } | undefined)?.channel_values ?? {};
    const channels: [string, unknown][] = [...Object.entries(values), ...(d.payload.writes ?? [])];
    for (const [channel, value] of channels) {
      if (channel === 'transcriptId' && typeof value === 'string') t.transcripts.add(value);
      if (channel === 'summary' && value && typeof value === 'object') t.completed = Number((value as { completed?: unknown }).completed);
      if (channel === 'reason' && typeof value === 'string') t.reason = value;
    }
  }
  return threads;
}

describe('kill -9 of a hybrid dry run and resume', () => {
  it('answered advice rounds come from their checkpoints, the call budget counts what the killed run spent, the audit is clean', { timeout: 900_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'labloop-hybrid-kill-'));
    dirs.push(dir);
    // The example campaign with advice every 3 completed trials (and no stall rounds): rounds at 0, 3, 6, 9 trials.
    const campaignFile = path.join(dir, 'campaign.yaml');
    writeFileSync(campaignFile, readFileSync(CAMPAIGN_FILE, 'utf8').replace(/^strategy:\n/m, 'strategy:\n  planner:\n    every: 3\n    stallAfter: 50\n'));

    // The stub answers like a model, except that it holds the third advise request (and any later one) until the kill.
    const model = modelLikeResponder();
    let holding = true;
    let held = false;
    const answeredAdvice: string[] = [];
    let answered = 0;
    const responder: StubResponder = (req) => {
      const prompt = promptOf(req);
      if (prompt.job === 'advise') {
        if (holding && answeredAdvice.length >= 2) {
          held = true;
          return { delay_ms: 60_000, then: { status: 503, message: 'held by the test' } };
        }
        answeredAdvice.push(req.body.messages[1]?.content ?? '');
      }
      answered++;
      return model(req);
    };
    const stub = await startOpenAiStub(responder);
    stubs.push(stub);

    const campaignId = 'kill-hybrid';
    let answeredAtKill = 0;
    let before: LabDocument[] = [];
    const result = await killAndResume({
      dir,
      campaignId,
      seed: 3,
      trials: 12,
      killAfterMeasurements: 0,
      agent: 'hybrid',
      campaignFile,
      env: { LABLOOP_LLM_BASE_URL: stub.baseUrl, LABLOOP_LLM_MODEL: 'stub', LABLOOP_LLM_TIMEOUT_MS: '60000' },
      killWhen: () => held,
      afterKill: async () => {
        answeredAtKill = answered;
        holding = false;
        before = await storedDocuments(dir, campaignId);
      },
      // The resumed run may call the model once more than the killed run's stored calls: the budget is per campaign.
      resumeEnv: () => ({ LABLOOP_LLM_MAX_CALLS: String(spentOf(before).calls + 1) }),
    });

    // The run and its resumes completed the budget; the audit is clean.
    expect(result.audit.ok, JSON.stringify(result.audit.checks)).toBe(true);
    for (const c of result.audit.checks) expect(c.violations, c.name).toEqual([]);
    expect(result.campaigns.find((c) => c.id === campaignId)).toMatchObject({ status: 'completed', trials: { done: 12, budget: 12 } });

    const after = await storedDocuments(dir, campaignId);
    const threadsBefore = adviceThreads(before, campaignId);
    const threadsAfter = adviceThreads(after, campaignId);
    // Two rounds were answered and stored before the kill (the third was being asked).
    const answeredBefore = [...threadsBefore].filter(([, t]) => t.transcripts.size > 0);
    expect(answeredBefore.map(([thread]) => thread)).toEqual([`${campaignId}:advice:1`, `${campaignId}:advice:2`]);
    // Checkpoint reuse: every advice thread was answered exactly once over the whole campaign (an answered round was
    // never asked again), the killed round was answered by the resumed run in its own thread, and each thread was
    // asked at its own cadence point.
    for (const [thread, t] of answeredBefore) expect([...(threadsAfter.get(thread)?.transcripts ?? [])], thread).toEqual([...t.transcripts]);
    expect([...threadsAfter.values()].every((t) => t.transcripts.size === 1)).toBe(true);
    expect(threadsAfter.has(`${campaignId}:advice:3`)).toBe(true);
    const cadence = [...threadsAfter.values()].map((t) => `${t.completed}:${t.reason}`);
    expect(new Set(cadence).size).toBe(cadence.length);
    expect(ofType(after, 'plannerCall').filter((d) => d.payload.job === 'advise')).toHaveLength(threadsAfter.size);
    // The model was never given the same advise prompt twice with an answer.
    expect(new Set(answeredAdvice).size).toBe(answeredAdvice.length);

    // The budget: the resumed run could make one more model call than the killed run had stored, and made it;
    // campaign.json counts the whole campaign's calls, and the planner fell back for lack of budget afterwards.
    const spentBefore = spentOf(before);
    expect(spentBefore.calls).toBeGreaterThanOrEqual(2);
    expect(answered - answeredAtKill).toBe(1);
    const campaignJson = JSON.parse(readFileSync(path.join(dir, 'out', 'campaign.json'), 'utf8')) as { planner: PlannerStats & { kind: string } };
    expect(campaignJson.planner.kind).toBe('llm');
    expect(campaignJson.planner.calls).toBe(spentBefore.calls + 1);
    expect(campaignJson.planner.fallbacks.budget).toBeGreaterThanOrEqual(1);
    const { kind: _kind, ...counters } = campaignJson.planner;
    expect(counters).toEqual(spentOf(after));
  });
});
