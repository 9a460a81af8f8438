import { describe, expect, it } from 'vitest';
import { PlannerModel } from '../../../src/console/web/src/planner-model.ts';
import type { LabDocument } from '../../../src/protocol/index.ts';

let seq = 0;
const doc = (type: 'plannerCall' | 'plannerQuestion' | 'campaignStart', payload: unknown): LabDocument => ({ v: 1, campaignId: 'c', seq: ++seq, time: '2026-01-01T00:00:00.000Z', type, payload }) as LabDocument;
const turn = (o: { reply?: string; error?: string; tokens?: number; latency_ms: number; rejected?: 'json' | 'schema' | 'rules' | 'safety' }) => ({
  system: 's',
  user: 'u',
  ...(o.reply !== undefined ? { reply: o.reply } : {}),
  ...(o.error !== undefined ? { error: o.error } : {}),
  tokens: o.tokens ?? 0,
  latency_ms: o.latency_ms,
  ...(o.rejected ? { rejected: { layer: o.rejected, issues: ['x'] } } : {}),
});
const question = { requestId: 'c:triage:t1:0', kind: 'triage', trialId: 't1', question: 'retry?', approve: 'retry', reject: 'skip', reason: 'unclear' };

describe('PlannerModel (the console page)', () => {
  it('folds transcripts into the metrics: calls, tokens, latency, rejections per layer, repairs, fallbacks, approvals', () => {
    const m = new PlannerModel();
    // An answer after two repairs (json, then safety); a timeout that fell back; a rule-planner answer with no turn.
    expect(m.fold(doc('plannerCall', { callId: 'advise-1', job: 'advise', source: 'llm', promptHash: 'h1', turns: [turn({ reply: '{', tokens: 10, latency_ms: 5, rejected: 'json' }), turn({ reply: '{}', tokens: 12, latency_ms: 7, rejected: 'safety' }), turn({ reply: '{}', tokens: 11, latency_ms: 6 })], result: {} }))).toBe(true);
    m.fold(doc('plannerCall', { callId: 'triage-2', job: 'triage', source: 'rules', fallback: 'timeout', promptHash: 'h2', turns: [turn({ error: 'timeout: no answer', latency_ms: 500 })], result: {} }));
    m.fold(doc('plannerCall', { callId: 'report-3', job: 'report', source: 'rules', promptHash: '', turns: [], result: {} }));
    m.fold(doc('plannerQuestion', { ...question, state: 'open' }));
    m.fold(doc('plannerQuestion', { ...question, requestId: 'q2', state: 'open' }));
    m.fold(doc('plannerQuestion', { ...question, state: 'answered', answer: { approved: true, actor: 'ada' } }));
    expect(m.fold(doc('plannerQuestion', { ...question, state: 'answered', answer: { approved: true, actor: 'ada' } }))).toBe(true);
    expect(m.metrics).toEqual({
      calls: 3,
      tokens: 33,
      latency_ms: { total: 518, max: 500 },
      rejections: { json: 1, schema: 0, rules: 0, safety: 1 },
      repairs: 2,
      fallbacks: { provider: 0, timeout: 1, budget: 0, invalid: 0 },
      // The same shape as campaign.json's planner counters: every key present.
      jobs: { draft: 0, advise: 1, triage: 1, report: 1 },
      answeredBy: { llm: 1, rules: 2, replay: 0 },
      approvals: { asked: 2, approved: 1, rejected: 0, open: 1 },
    });
    expect(m.calls.get('plannerCall:1')?.callId).toBe('advise-1');
    expect(m.open().map((q) => q.requestId)).toEqual(['q2']);
  });

  it('questions a stopped run left open become unanswered when the campaign resumes; the resumed run may ask again', () => {
    const m = new PlannerModel();
    m.fold(doc('plannerQuestion', { ...question, state: 'open' }));
    m.fold(doc('plannerQuestion', { ...question, requestId: 'q2', state: 'open' }));
    m.fold(doc('plannerQuestion', { ...question, requestId: 'q2', state: 'answered', answer: { approved: false, actor: 'ada' } }));
    const version = m.version;
    // Not consumed: the campaign model folds the campaignStart too.
    expect(m.fold(doc('campaignStart', { spec: {}, seed: 1, resumed: true }))).toBe(false);
    expect(m.version).toBe(version + 1);
    expect(m.open()).toEqual([]);
    expect(m.questions.get(question.requestId)?.state).toBe('unanswered');
    expect(m.questions.get('q2')?.state).toBe('answered');
    expect(m.metrics.approvals).toEqual({ asked: 2, approved: 0, rejected: 1, open: 0 });
    // The resumed run asks the same question again (same request id): open once more, not a new question.
    m.fold(doc('plannerQuestion', { ...question, state: 'open' }));
    expect(m.open().map((q) => q.requestId)).toEqual([question.requestId]);
    expect(m.metrics.approvals).toEqual({ asked: 2, approved: 0, rejected: 1, open: 1 });
    m.fold(doc('plannerQuestion', { ...question, state: 'answered', answer: { approved: true, actor: 'ada' } }));
    expect(m.metrics.approvals).toEqual({ asked: 2, approved: 1, rejected: 1, open: 0 });
  });
});
