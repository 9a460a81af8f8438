/// <reference lib="dom" />
import type { Suggestion } from '../../../../domain/index.ts';
import { short, type CampaignModel } from '../campaign-model.ts';
import { clear, fmt, h } from '../dom.ts';
import { transcriptView } from './planner-panel.ts';

/** Why the agent chose a recipe: proposer, rationale, acquisition value, predicted objectives, model snapshot. */
export class SuggestionPanel {
  readonly el = h('div', { id: 'suggestion', class: 'suggestion' });
  private selected: string | undefined;
  private shown = '';

  select(trialId: string): void {
    this.selected = trialId;
  }

  update(model: CampaignModel): void {
    const trialId = this.selected ?? model.suggestionOrder.at(-1);
    const key = `${trialId}|${model.version}|${model.planner.version}`;
    if (key === this.shown) return;
    this.shown = key;
    clear(this.el);
    const s = trialId ? model.suggestions.get(trialId) : undefined;
    const trial = trialId ? model.trials.get(trialId) : undefined;
    if (!s || !trialId) {
      this.el.append(h('p', { class: 'muted' }, 'no suggestion yet'));
      return;
    }
    this.el.append(
      h('div', { class: 'suggestion-head' }, h('strong', {}, `trial #${trial?.index ?? '?'}`), ' ', h('span', { class: 'badge' }, s.proposer), trial ? h('span', { class: `badge ${trial.status}` }, trial.status) : null),
      h('p', { class: 'rationale' }, s.rationale),
      h(
        'dl',
        {},
        h('dt', {}, 'acquisition'),
        h('dd', {}, s.acquisitionValue === undefined ? '—' : fmt(s.acquisitionValue)),
        h('dt', {}, 'model snapshot'),
        h('dd', {}, s.modelSnapshotId ? short(s.modelSnapshotId) : '—'),
        ...predicted(s),
      ),
      h('div', { class: 'recipe-list' }, ...Object.entries(s.recipe).map(([k, v]) => h('span', { class: 'kv' }, `${k} = ${fmt(v)}`))),
    );
    // The planner's transcript beside the suggestion it produced (ADR 0072; secrets were redacted before storing).
    if (s.sourceId?.startsWith('plannerCall:')) this.el.append(transcriptView(model.planner.calls.get(s.sourceId), s.sourceId));
    if (this.selected === undefined) this.el.append(h('p', { class: 'muted small' }, 'latest suggestion — click a trial row to see its own'));
  }
}

function predicted(s: Suggestion): HTMLElement[] {
  return Object.entries(s.predicted ?? {}).flatMap(([k, p]) => [h('dt', {}, `predicted ${k}`), h('dd', {}, `${fmt(p.mean)} ± ${fmt(p.sd)}`)]);
}
