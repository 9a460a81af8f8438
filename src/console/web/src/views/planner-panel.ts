/// <reference lib="dom" />
import type { PlannerCallView, PlannerModel } from '../planner-model.ts';
import { clear, fmt, h } from '../dom.ts';

/**
 * The planner panel (ADRs 0072, 0076): its metrics (calls, tokens, latency, rejections per validation layer, repairs,
 * fallbacks, approvals), the questions it put to operators with approve / reject for an operator, and its latest jobs.
 */
export class PlannerPanel {
  readonly el = h('div', { id: 'planner', class: 'planner' });
  private shown = -1;
  private shownAct = false;

  constructor(private readonly answer: (requestId: string, approved: boolean) => void) {}

  update(model: PlannerModel, canAct: boolean): void {
    if (model.version === this.shown && canAct === this.shownAct) return;
    this.shown = model.version;
    this.shownAct = canAct;
    clear(this.el);
    const m = model.metrics;
    const row = (label: string, value: string, key: string) => h('tr', { 'data-metric': key }, h('th', {}, label), h('td', {}, value));
    const perKey = (o: Record<string, number>) =>
      Object.entries(o)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '—';
    this.el.append(
      h(
        'table',
        { id: 'planner-metrics', class: 'metrics' },
        h(
          'tbody',
          {},
          row('calls', String(m.calls), 'calls'),
          row('tokens', String(m.tokens), 'tokens'),
          row('latency', `${fmt(m.latency_ms.total / 1000)} s total, max ${fmt(m.latency_ms.max)} ms`, 'latency'),
          row('rejections', perKey(m.rejections), 'rejections'),
          row('repairs', String(m.repairs), 'repairs'),
          row('fallbacks', perKey(m.fallbacks), 'fallbacks'),
          row('answered by', perKey(m.answeredBy), 'answeredBy'),
          row('approvals', `${m.approvals.asked} asked, ${m.approvals.approved} approved, ${m.approvals.rejected} rejected, ${m.approvals.open} open`, 'approvals'),
        ),
      ),
    );
    const open = model.open();
    this.el.append(h('h3', {}, `Questions for an operator (${open.length} open)`));
    const list = h('ul', { id: 'planner-questions', class: 'questions' });
    for (const q of [...model.questions.values()].reverse().slice(0, 20)) {
      const item = h(
        'li',
        { 'data-request': q.requestId, 'data-state': q.state, class: `question ${q.state}` },
        h('p', {}, q.question),
        h('p', { class: 'muted small' }, `planner's reason: ${q.reason}`),
        h('p', { class: 'small' }, `approve: ${q.approve} · reject: ${q.reject}`),
      );
      if (q.state === 'open' && canAct)
        item.append(
          h('button', { 'data-answer': 'approve', onclick: () => this.answer(q.requestId, true) }, 'approve'),
          h('button', { 'data-answer': 'reject', class: 'abort', onclick: () => this.answer(q.requestId, false) }, 'reject'),
        );
      else if (q.state === 'unanswered') item.append(h('p', { class: 'small muted' }, 'not answered: the run that asked it stopped'));
      else if (q.answer) item.append(h('p', { class: 'small answered' }, `${q.answer.approved ? 'approved' : 'rejected'} by ${q.answer.actor}${q.answer.reason ? `: ${q.answer.reason}` : ''}`));
      list.append(item);
    }
    if (model.questions.size === 0) list.append(h('li', { class: 'muted' }, 'none'));
    this.el.append(list);
    this.el.append(h('h3', {}, 'Latest jobs'));
    const jobs = h('ul', { id: 'planner-jobs', class: 'jobs small' });
    for (const c of [...model.calls.values()].reverse().slice(0, 8)) jobs.append(h('li', {}, `${c.id} ${c.job} — ${c.source}${c.fallback ? ` (fallback: ${c.fallback})` : ''}, ${c.turns.length} turn(s)`));
    this.el.append(jobs);
  }
}

/** A planner transcript beside the suggestion it produced: each turn's prompt, reply and how validation judged it. */
export function transcriptView(call: PlannerCallView | undefined, id: string): HTMLElement {
  if (!call) return h('p', { id: 'transcript', class: 'muted small' }, `transcript ${id} not loaded`);
  const turns = call.turns.map((t, i) =>
    h(
      'div',
      { class: 'turn', 'data-turn': i },
      h('div', { class: 'small muted' }, `turn ${i + 1}: ${t.tokens} tokens, ${fmt(t.latency_ms)} ms${t.rejected ? ` — rejected (${t.rejected.layer}): ${t.rejected.issues.slice(0, 3).join('; ')}` : ''}`),
      h('details', {}, h('summary', {}, 'system prompt'), h('pre', { class: 'prompt' }, t.system)),
      h('details', { open: i === 0 }, h('summary', {}, 'prompt'), h('pre', { class: 'prompt' }, t.user)),
      h('pre', { class: t.error ? 'reply error' : 'reply' }, t.error ?? t.reply ?? ''),
    ),
  );
  return h(
    'section',
    { id: 'transcript', class: 'transcript', 'data-call': call.id },
    h('h3', {}, `Planner transcript ${call.id}`),
    h('p', { class: 'small' }, `${call.job} answered by ${call.source}${call.fallback ? ` (fallback: ${call.fallback})` : ''}; prompt hash ${call.promptHash.slice(0, 12) || '—'}`),
    call.turns.length === 0 ? h('p', { class: 'muted small' }, 'the rule planner answered: no model turn') : null,
    ...turns,
  );
}
