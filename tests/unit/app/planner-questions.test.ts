import { describe, expect, it } from 'vitest';
import { QuestionLeftOpenError } from '../../../agents/planner/human-desk.ts';
import { PlannerQuestions, QUESTION_TIMEOUT_ACTOR } from '../../../src/app/planner-questions.ts';
import { DocumentBus, type LabDocument } from '../../../src/protocol/index.ts';

const question = (requestId: string) => ({
  requestId,
  kind: 'triage' as const,
  trialId: 't1',
  question: 'The deposit delaminated twice in this region: retry once more?',
  approve: 'retry the step',
  reject: 'skip the trial',
  reason: 'two delaminations in a row',
});

describe('planner questions to operators', () => {
  it('declines a question nobody answers in time, publishes who declined it, and keeps answered ones untouched', async () => {
    const bus = new DocumentBus();
    const docs: LabDocument[] = [];
    bus.subscribe((d) => void docs.push(d));
    const desk = new PlannerQuestions(bus, 'c1', 50);
    const answeredInTime = desk.ask(question('q-answered'));
    const unanswered = desk.ask(question('q-silent'));
    expect(desk.pending().sort()).toEqual(['q-answered', 'q-silent']);
    expect(desk.answer('q-answered', { approved: true, actor: 'alice' })).toBe(true);

    const late = await unanswered;
    expect(late).toMatchObject({ approved: false, actor: QUESTION_TIMEOUT_ACTOR });
    expect(late.reason).toMatch(/no answer within .* min .*declined/);
    expect(await answeredInTime).toEqual({ approved: true, actor: 'alice' });
    expect(desk.pending()).toEqual([]);
    // A late operator's answer finds nothing open.
    expect(desk.answer('q-silent', { approved: true, actor: 'bob' })).toBe(false);
    await bus.flush();
    const states = docs.filter((d) => d.type === 'plannerQuestion').map((d) => [(d.payload as { requestId: string }).requestId, (d.payload as { state: string }).state]);
    expect(states).toEqual([['q-answered', 'open'], ['q-silent', 'open'], ['q-answered', 'answered'], ['q-silent', 'answered']]);
  });

  it('without a timeout a question waits for its answer', async () => {
    const desk = new PlannerQuestions(new DocumentBus(), 'c1');
    let settled = false;
    const p = desk.ask(question('q')).then((a) => ((settled = true), a));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    desk.answer('q', { approved: false, actor: 'op', reason: 'no' });
    expect(await p).toMatchObject({ approved: false, actor: 'op' });
  });

  it('a pause stops waiting without answering: the question stays open in the documents, its timeout stops, a shutdown rejects nothing', async () => {
    const bus = new DocumentBus();
    const docs: LabDocument[] = [];
    bus.subscribe((d) => void docs.push(d));
    const desk = new PlannerQuestions(bus, 'c1', 80);
    const waiting = desk.ask(question('q-open'));
    desk.suspend('campaign paused');
    await expect(waiting).rejects.toBeInstanceOf(QuestionLeftOpenError);
    expect(desk.pending()).toEqual([]);
    // Later questions are not asked in this run; an answer finds nothing open here; the shutdown declines nothing.
    await expect(desk.ask(question('q-later'))).rejects.toBeInstanceOf(QuestionLeftOpenError);
    expect(desk.answer('q-open', { approved: true, actor: 'op' })).toBe(false);
    desk.cancelAll('shutdown', 'run ended');
    await new Promise((r) => setTimeout(r, 150));
    await bus.flush();
    const questions = docs.filter((d) => d.type === 'plannerQuestion').map((d) => d.payload as { requestId: string; state: string });
    expect(questions.map((q) => [q.requestId, q.state])).toEqual([['q-open', 'open']]);
  });
});
