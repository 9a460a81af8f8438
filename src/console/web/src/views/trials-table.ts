/// <reference lib="dom" />
import type { CampaignModel, TrialRow } from '../campaign-model.ts';
import { clear, fmt, h } from '../dom.ts';

export interface TrialActions {
  /** Approve / reject a proposed trial, or retry / skip / abandon one awaiting recovery. */
  act(action: 'approve' | 'reject' | 'retry' | 'skip' | 'abandon', trialId: string): void;
  select(trialId: string): void;
}

/**
 * The live trials table: status, recipe, objective values, proposer, station, failure code. Rows are keyed by trial
 * id (`data-trial-id`, `data-status`) and re-rendered only when their document version changed.
 */
export class TrialsTable {
  readonly el: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;
  private readonly rows = new Map<string, { tr: HTMLTableRowElement; version: number; controls: string }>();
  private columns = '';
  private recipeKeys: string[] = [];
  private objectiveKeys: string[] = [];

  constructor(private readonly actions: TrialActions) {
    this.body = h('tbody');
    this.el = h('table', { id: 'trials', class: 'trials' }, this.body);
  }

  /** Trials awaiting an operator's recovery decision (the server's pending list). */
  private recoveries: ReadonlySet<string> = new Set();

  update(model: CampaignModel, canAct: boolean, recoveries?: readonly string[]): void {
    if (recoveries) this.recoveries = new Set(recoveries);
    const trials = model.trialList();
    const recipeKeys = recipeColumns(model, trials);
    const objectiveKeys = model.objectives.map((o) => o.name);
    const columns = `${recipeKeys.join(',')}|${objectiveKeys.join(',')}`;
    if (columns !== this.columns) {
      this.columns = columns;
      this.recipeKeys = recipeKeys;
      this.objectiveKeys = objectiveKeys;
      this.rows.clear();
      clear(this.body);
      this.el.querySelector('thead')?.remove();
      const units = new Map(model.objectives.map((o) => [o.name, o.unit]));
      this.el.prepend(
        h(
          'thead',
          {},
          h('tr', {}, h('th', {}, '#'), h('th', {}, 'status'), ...objectiveKeys.map((k) => h('th', { class: 'num' }, `${k} / ${units.get(k) ?? ''}`)), h('th', {}, 'proposer'), h('th', {}, 'station'), h('th', {}, 'failure'), ...recipeKeys.map((k) => h('th', { class: 'num recipe' }, k)), h('th', {}, '')),
        ),
      );
    }
    let previous: HTMLTableRowElement | undefined;
    for (const t of trials) {
      const controls = `${this.controlsKey(model, t, canAct)}${model.bestTrialId === t.id ? '|best' : ''}`;
      let entry = this.rows.get(t.id);
      if (!entry || entry.version !== t.version || entry.controls !== controls) {
        const tr = this.renderRow(model, t, controls);
        if (entry) entry.tr.replaceWith(tr);
        entry = { tr, version: t.version, controls };
        this.rows.set(t.id, entry);
      }
      const expectedPosition = previous ? previous.nextSibling : this.body.firstChild;
      if (expectedPosition !== entry.tr) {
        if (previous) previous.after(entry.tr);
        else this.body.prepend(entry.tr);
      }
      previous = entry.tr;
    }
  }

  private controlsKey(model: CampaignModel, t: TrialRow, canAct: boolean): string {
    if (!canAct) return '';
    // A trial of a campaign no process runs, waiting for an operator (a device step of unknown fate).
    if (t.status === 'awaitingRecovery' && this.recoveries.has(t.id)) return 'recovery';
    if (!model.humanApproval) return '';
    if (t.status === 'proposed') return 'approval';
    if (t.status === 'awaitingRecovery') return 'recovery';
    return '';
  }

  private renderRow(model: CampaignModel, t: TrialRow, controls: string): HTMLTableRowElement {
    const button = (action: 'approve' | 'reject' | 'retry' | 'skip' | 'abandon') =>
      h('button', { class: `small ${action}`, 'data-action': action, onclick: (ev: Event) => (ev.stopPropagation(), this.actions.act(action, t.id)) }, action);
    const kind = controls.split('|')[0];
    const cell = kind === 'approval' ? [button('approve'), button('reject')] : kind === 'recovery' ? [button('retry'), button('skip'), button('abandon')] : [];
    const best = model.bestTrialId === t.id;
    return h(
      'tr',
      { 'data-trial-id': t.id, 'data-status': t.status, class: `status-${t.status}${best ? ' best' : ''}`, onclick: () => this.actions.select(t.id) },
      h('td', { class: 'num' }, t.index),
      h('td', {}, h('span', { class: `badge ${t.status}` }, t.status), t.attempt > 0 ? h('span', { class: 'attempt' }, ` ×${t.attempt + 1}`) : null),
      ...this.objectiveKeys.map((k) => h('td', { class: 'num' }, fmt(t.objectives?.[k]))),
      h('td', {}, t.proposer),
      h('td', {}, t.station ?? ''),
      h('td', { title: t.failureMessage ?? '' }, t.failureCode ?? ''),
      ...this.recipeKeys.map((k) => h('td', { class: 'num recipe' }, fmt(t.recipe[k]))),
      h('td', { class: 'row-actions' }, ...cell),
    );
  }
}

/** Recipe columns in the spec's order (simplex components, then parameters), else in first-seen order. */
export function recipeColumns(model: CampaignModel, trials: TrialRow[]): string[] {
  const keys: string[] = [];
  for (const p of model.spec?.parameters ?? []) {
    if (p.type === 'simplex') keys.push(...p.components);
    else keys.push(p.name);
  }
  for (const t of trials) for (const k of Object.keys(t.recipe)) if (!keys.includes(k)) keys.push(k);
  return keys;
}
