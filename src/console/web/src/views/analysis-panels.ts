/// <reference lib="dom" />
import { paretoFront, type CampaignModel } from '../campaign-model.ts';
import { clear, h } from '../dom.ts';
import { recipeColumns } from './trials-table.ts';
import { scatterSvg } from './scatter.ts';

/** Objective vs a chosen recipe parameter, for every completed trial (the best one highlighted). */
export class ParameterScatter {
  readonly el = h('div', { id: 'param-scatter', class: 'panel-body' });
  private readonly select = h('select', { id: 'param-select', 'aria-label': 'parameter' });
  private readonly plot = h('div', { class: 'plot' });
  private shown = '';

  constructor() {
    this.select.addEventListener('change', () => (this.shown = ''));
    this.el.append(h('label', { class: 'small' }, 'parameter ', this.select), this.plot);
  }

  update(model: CampaignModel): void {
    const keys = recipeColumns(model, model.trialList()).filter((k) => model.completed().some((t) => typeof t.recipe[k] === 'number'));
    const options = keys.join(',');
    if (this.select.dataset.options !== options) {
      const current = this.select.value;
      clear(this.select);
      for (const k of keys) this.select.append(h('option', { value: k }, k));
      if (keys.includes(current)) this.select.value = current;
      this.select.dataset.options = options;
    }
    const param = this.select.value;
    const key = `${param}|${model.best.length}|${model.bestTrialId}`;
    if (key === this.shown) return;
    this.shown = key;
    const o = model.objectives[0];
    const bestId = model.bestTrialId;
    const points = o
      ? model.completed().flatMap((t) => {
          const x = t.recipe[param];
          const y = t.objectives?.[o.name];
          return typeof x === 'number' && y !== undefined ? [{ x, y, highlight: t.id === bestId, title: `trial #${t.index}` }] : [];
        })
      : [];
    clear(this.plot);
    this.plot.append(scatterSvg(points, { xLabel: param || 'parameter', yLabel: o ? `${o.name} / ${o.unit}` : 'objective', empty: 'no completed trial yet' }));
  }
}

/** Leave-one-out predicted vs observed of the latest model snapshot, with ±1 sd bars. */
export class ParityPlot {
  readonly el = h('div', { id: 'parity', class: 'panel-body' });
  private shown = -1;

  update(model: CampaignModel): void {
    if (model.snapshots.length === this.shown) return;
    this.shown = model.snapshots.length;
    const snap = [...model.snapshots].reverse().find((s) => s.parity && s.parity.length > 0);
    clear(this.el);
    if (!snap?.parity) {
      this.el.append(h('p', { class: 'muted' }, 'the agent has not reported leave-one-out predictions yet'));
      return;
    }
    const o = model.objectives[0];
    const unit = o ? ` / ${o.unit}` : '';
    this.el.append(
      h('div', { class: 'muted small' }, `${snap.agent}, n = ${snap.n}${snap.looRmse !== undefined ? `, LOO RMSE ${snap.looRmse.toPrecision(3)}` : ''}`),
      scatterSvg(
        snap.parity.map((p) => ({ x: p.observed, y: p.predicted, err: p.sd })),
        { xLabel: `observed${unit}`, yLabel: `predicted (LOO)${unit}`, diagonal: true },
      ),
    );
  }
}

/** Pareto front of the first two objectives (only shown when the campaign has several). */
export class ParetoPlot {
  readonly el = h('div', { id: 'pareto', class: 'panel-body' });
  private shown = -1;

  update(model: CampaignModel): void {
    const [a, b] = model.objectives;
    if (!a || !b) return;
    const done = model.completed();
    if (done.length === this.shown) return;
    this.shown = done.length;
    const pts = done.flatMap((t) => {
      const x = t.objectives?.[a.name];
      const y = t.objectives?.[b.name];
      return x !== undefined && y !== undefined ? [{ a: x, b: y, id: t.id, index: t.index }] : [];
    });
    const front = paretoFront(pts, a.direction === 'minimize', b.direction === 'minimize');
    const onFront = new Set(front.map((p) => p.id));
    clear(this.el);
    this.el.append(
      scatterSvg(
        pts.map((p) => ({ x: p.a, y: p.b, highlight: onFront.has(p.id), title: `trial #${p.index}` })),
        { xLabel: `${a.name} / ${a.unit} (${a.direction})`, yLabel: `${b.name} / ${b.unit} (${b.direction})`, line: front.map((p) => ({ x: p.a, y: p.b })) },
      ),
    );
  }
}
