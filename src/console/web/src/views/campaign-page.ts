/// <reference lib="dom" />
import type { ConsoleCommand, HelloMessage, Reply, Role } from '../../../console-protocol.ts';
import type { DormantStatus, PendingDecisions } from '../../../ports.ts';
import { download, getJson } from '../api.ts';
import { CampaignModel } from '../campaign-model.ts';
import { append, clear, fmt, h } from '../dom.ts';
import { LiveConnection, type ConnectionState } from '../live.ts';
import { ParameterScatter, ParetoPlot, ParityPlot } from './analysis-panels.ts';
import { BestSoFarChart, CurveChart } from './charts.ts';
import { EventLog } from './event-log.ts';
import { PlannerPanel } from './planner-panel.ts';
import { StationsPanel } from './stations-panel.ts';
import { SuggestionPanel } from './suggestion-panel.ts';
import { TrialsTable } from './trials-table.ts';

export interface PageContext {
  setConnection(state: ConnectionState, detail?: string): void;
  setWho(hello: HelloMessage): void;
}

function panel(title: string, body: HTMLElement, cls = ''): HTMLElement {
  return h('section', { class: `panel ${cls}` }, h('h2', {}, title), body);
}

/** The campaign page: live trials, charts, stations, suggestion, event log and the operator controls. */
export class CampaignPage {
  readonly model: CampaignModel;
  readonly connection: LiveConnection;
  private role: Role = 'viewer';
  private controllable = false;
  /** Set when no process runs the campaign and operators may resume or abort it (the server's view, polled). */
  private dormant: DormantStatus | null = null;
  private recoveries: string[] = [];
  private poll: number | undefined;
  private frame = 0;
  private readonly title = h('h1', {}, '');
  private readonly stateBadge = h('span', { id: 'campaign-state', class: 'badge' }, 'unknown');
  private readonly reason = h('span', { class: 'muted' });
  private readonly summary = h('div', { id: 'summary', class: 'summary' });
  private readonly controls = h('div', { id: 'controls', class: 'controls' });
  private readonly status = h('div', { id: 'command-status', role: 'status', 'aria-live': 'polite' });
  private readonly table: TrialsTable;
  private readonly bestChart: BestSoFarChart;
  private readonly curve: CurveChart;
  private readonly curveCaption = h('div', { class: 'muted small', id: 'curve-caption' }, 'waiting for the first measurement');
  private readonly scatter = new ParameterScatter();
  private readonly parity = new ParityPlot();
  private readonly pareto = new ParetoPlot();
  private readonly stations: StationsPanel;
  private readonly suggestion = new SuggestionPanel();
  private readonly log = new EventLog();
  private readonly grid: HTMLElement;
  private paretoShown = false;
  private readonly planner: PlannerPanel;
  private plannerShown = false;

  constructor(root: HTMLElement, campaignId: string, ctx: PageContext) {
    this.model = new CampaignModel(campaignId);
    this.table = new TrialsTable({
      act: (action, trialId) => void this.send(action === 'approve' || action === 'reject' ? { action, campaignId, trialId } : { action: 'recover', campaignId, trialId, decision: action }),
      select: (trialId) => {
        this.suggestion.select(trialId);
        this.schedule();
      },
    });
    this.stations = new StationsPanel((action, station) => void this.send({ action, campaignId, station }));
    this.planner = new PlannerPanel((requestId, approved) => void this.send({ action: 'answer', campaignId, requestId, approved }));
    const bestHost = h('div', { id: 'best-so-far', class: 'chart' });
    const curveHost = h('div', { id: 'live-curve', class: 'chart' });
    this.bestChart = new BestSoFarChart(bestHost);
    this.curve = new CurveChart(curveHost);
    this.grid = h(
      'div',
      { class: 'grid' },
      panel('Trials', h('div', { class: 'table-wrap' }, this.table.el), 'wide'),
      panel('Best so far', bestHost),
      panel('Live curve', h('div', {}, this.curveCaption, curveHost)),
      panel('Objective vs parameter', this.scatter.el),
      panel('Surrogate parity (leave-one-out)', this.parity.el),
      panel('Stations', this.stations.el),
      panel('Suggestion', this.suggestion.el),
      panel('Event log', this.log.el, 'wide log'),
    );
    clear(root);
    root.append(
      h('section', { class: 'campaign-head' }, h('div', { class: 'title-row' }, this.title, this.stateBadge, this.reason), this.summary, h('div', { class: 'control-row' }, this.controls, this.exportLinks(campaignId)), this.status),
      this.grid,
    );
    this.title.textContent = campaignId;
    this.connection = new LiveConnection(this.model, {
      onState: (state, detail) => ctx.setConnection(state, detail),
      onHello: (hello) => {
        this.role = hello.role;
        ctx.setWho(hello);
        this.schedule();
      },
      onDocs: () => this.schedule(),
      onSubscribed: (r) => {
        this.controllable = r.controllable;
        this.recoveries = r.pending?.recoveries ?? [];
        this.schedule();
      },
    });
    // Whether the campaign is run (here or elsewhere) or waits for an operator changes without a document: polled.
    void this.refreshControl(campaignId);
    this.poll = window.setInterval(() => void this.refreshControl(campaignId), 2000);
  }

  private async refreshControl(campaignId: string): Promise<void> {
    try {
      const r = await getJson<{ campaign: { controllable: boolean; dormant: DormantStatus | null }; pending: PendingDecisions }>(`/api/campaigns/${encodeURIComponent(campaignId)}`);
      const key = `${r.campaign.controllable}|${r.campaign.dormant}|${r.pending.recoveries.join(',')}`;
      if (key === `${this.controllable}|${this.dormant}|${this.recoveries.join(',')}`) return;
      this.controllable = r.campaign.controllable;
      this.dormant = r.campaign.dormant;
      this.recoveries = r.pending.recoveries;
      this.schedule();
    } catch {
      // The live connection reports the server's problems; the next poll tries again.
    }
  }

  private exportLinks(campaignId: string): HTMLElement {
    const link = (label: string, ext: 'csv' | 'json') =>
      h('button', { class: 'link', onclick: () => void download(`/api/campaigns/${encodeURIComponent(campaignId)}/export.${ext}`, `${campaignId}.${ext}`).catch((e: Error) => this.showStatus({ ok: false, code: 'internal', error: e.message })) }, label);
    return h('div', { class: 'exports' }, 'export: ', link('results.csv', 'csv'), ' ', link('campaign.json', 'json'));
  }

  private async send(cmd: ConsoleCommand): Promise<void> {
    const question = confirmation(cmd);
    if (question !== undefined && !window.confirm(question)) return;
    if (cmd.action === 'abort' || cmd.action === 'resume' || cmd.action === 'recover') this.status.dataset.pending = cmd.action;
    this.status.textContent = `${cmd.action}…`;
    this.status.dataset.ok = '';
    const reply = await this.connection.command(cmd);
    this.showStatus(reply, cmd.action);
    await this.refreshControl(cmd.campaignId);
  }

  private showStatus(reply: Reply, action?: string): void {
    this.status.dataset.ok = String(reply.ok);
    const detail = reply.ok && 'detail' in reply && typeof reply.detail === 'string' ? ` — ${reply.detail}` : '';
    this.status.textContent = reply.ok ? `${action ?? 'command'}: accepted${detail}` : `${action ? `${action}: ` : ''}refused — ${reply.error}`;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const m = this.model;
    const canAct = this.controllable;
    this.title.textContent = m.spec?.title ?? m.campaignId;
    this.stateBadge.textContent = m.state;
    this.stateBadge.className = `badge ${m.state}`;
    this.stateBadge.dataset.state = m.state;
    this.reason.textContent = m.stateReason ? ` ${m.stateReason}` : '';
    this.renderSummary();
    this.renderControls();
    this.table.update(m, canAct, this.recoveries);
    const o = m.objectives[0];
    if (o) this.bestChart.update(m.best, `${o.name} / ${o.unit} (${o.direction})`);
    this.curve.update(m.preview);
    if (m.preview) this.curveCaption.textContent = `trial …${m.preview.trialId.slice(-6)}${m.preview.station ? ` on ${m.preview.station}` : ''} (${m.preview.stream})`;
    this.scatter.update(m);
    this.parity.update(m);
    if (m.objectives.length >= 2) {
      if (!this.paretoShown) {
        this.paretoShown = true;
        this.grid.insertBefore(panel('Pareto front', this.pareto.el), this.grid.children[5] ?? null);
      }
      this.pareto.update(m);
    }
    this.stations.update(m, canAct);
    if (m.planner.active) {
      if (!this.plannerShown) {
        this.plannerShown = true;
        this.grid.insertBefore(panel('Planner', this.planner.el), this.grid.lastElementChild);
      }
      this.planner.update(m.planner, canAct);
    }
    this.suggestion.update(m);
    this.log.update(m);
  }

  private renderSummary(): void {
    const m = this.model;
    const counts = new Map<string, number>();
    for (const t of m.trials.values()) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
    const o = m.objectives[0];
    const best = m.best.at(-1);
    clear(this.summary);
    append(this.summary, [
      h('span', { id: 'trial-count', 'data-count': m.trials.size }, `${m.trials.size} trials`),
      ...[...counts].map(([s, n]) => h('span', { class: `badge ${s}` }, `${s} ${n}`)),
      best && o ? h('span', { id: 'best-value' }, `best observed ${o.name} = ${fmt(best.best)} ${o.unit}`) : null,
      confirmedSummary(m),
      h('span', { class: 'muted' }, `seq ${m.lastSeq}`),
      m.humanApproval ? h('span', { class: 'badge human' }, 'human approval') : null,
    ]);
  }

  private renderControls(): void {
    const m = this.model;
    const key = `${this.controllable}|${m.state}|${this.role}|${this.dormant}|${this.recoveries.length}`;
    if (this.controls.dataset.key === key) return;
    this.controls.dataset.key = key;
    clear(this.controls);
    if (!this.controllable) {
      this.controls.append(h('span', { class: 'muted' }, 'read-only: this campaign is not run by this console’s process'));
      return;
    }
    const id = m.campaignId;
    const button = (action: 'pause' | 'resume' | 'abort', enabled: boolean) =>
      h('button', { 'data-action': action, class: action, disabled: !enabled, onclick: () => void this.send(action === 'abort' ? { action, campaignId: id } : { action, campaignId: id }) }, action);
    if (this.dormant) {
      // Nobody runs it: resume continues it in the console's process; abort ends it (open trials abandoned).
      const waiting = this.recoveries.length > 0 ? ` ${this.recoveries.length} trial(s) await a recovery decision (retry, skip or abandon in the table).` : '';
      this.controls.append(
        button('resume', true),
        button('abort', true),
        h('span', { id: 'dormant-note', class: 'muted small', 'data-dormant': this.dormant }, `${this.dormant}: no process runs this campaign.${waiting}`),
      );
      if (this.role === 'viewer') this.controls.append(h('span', { class: 'muted small role-note' }, 'your role is viewer: the server will refuse actions'));
      return;
    }
    const live = m.state === 'running' || m.state === 'paused' || m.state === 'unknown';
    this.controls.append(button('pause', m.state === 'running'), button('resume', m.state === 'paused'), button('abort', live));
    if (this.role === 'viewer') this.controls.append(h('span', { class: 'muted small role-note' }, 'your role is viewer: the server will refuse actions'));
  }

  destroy(): void {
    if (this.poll !== undefined) window.clearInterval(this.poll);
    if (this.frame) cancelAnimationFrame(this.frame);
    this.connection.close();
    this.bestChart.destroy();
    this.curve.destroy();
  }
}

/** The question a destructive command asks before it is sent (undefined: none is asked). */
function confirmation(cmd: ConsoleCommand): string | undefined {
  if (cmd.action === 'abort') return 'Abort the campaign? Running trials are stopped and no new trial is dispatched.';
  if (cmd.action === 'reject') return `Reject the suggested trial …${cmd.trialId.slice(-6)}? It is abandoned and never run.`;
  if (cmd.action === 'recover' && cmd.decision !== 'retry')
    return `${cmd.decision === 'abandon' ? 'Abandon' : 'Skip'} trial …${cmd.trialId.slice(-6)}? It is ${cmd.decision === 'abandon' ? 'abandoned' : 'recorded as failed'} and not run again.`;
  return undefined;
}

/** The best-confirmed recipe beside the best reading (ADR 0060): mean ± 95 % CI, n readings, the model's estimate. */
function confirmedSummary(m: CampaignModel): HTMLElement | null {
  const e = m.bestEstimate;
  const b = e?.best;
  const o = m.objectives[0];
  if (!e || !b || !o) return null;
  const ci = b.ci95 ? ` ± ${fmt((b.ci95[1] - b.ci95[0]) / 2)}` : '';
  const model = b.model ? `; model ${fmt(b.model.mean)} ± ${fmt(b.model.sd)}` : '';
  const label = e.stage === 'final' ? 'best confirmed' : 'leading (before confirmation)';
  return h('span', { id: 'best-confirmed', 'data-n': b.n, title: Object.entries(b.recipe).map(([k, v]) => `${k}=${v}`).join(' ') }, `${label} ${o.name} = ${fmt(b.mean)}${ci} ${o.unit} (n = ${b.n}${model})`);
}
