import type { GenerationMetrics } from '../../../models/generative/metrics.ts';
import { recipeKeys, type CampaignSpec } from '../../domain/index.ts';
import { renderSvgPlot, type Series } from '../report/svg-plot.ts';
import { toCsv } from '../../store/csv.ts';
import type { DesignResult } from './run-design.ts';

/** candidates.csv: one row per candidate, the campaign's parameter names as columns, then the verdicts. */
export function designCsv(spec: CampaignSpec, result: DesignResult): string {
  const keys = recipeKeys(spec);
  const rows = result.candidates.map((c, i) => {
    const row: Record<string, unknown> = { rank: i + 1 };
    for (const k of keys) {
      const v = c.recipe[k];
      row[k] = typeof v === 'number' ? Number(v.toPrecision(6)) : v;
    }
    for (const o of spec.objectives) {
      const p = c.predicted[o.name];
      row[`${o.name}_mean`] = p ? Number(p.mean.toPrecision(4)) : '';
      row[`${o.name}_sd`] = p ? Number(p.sd.toPrecision(3)) : '';
    }
    row['p_target'] = Number(c.pTarget.toFixed(3));
    row['novelty'] = Number(c.novelty.toFixed(3));
    row['safety'] = c.safety.allowed ? 'allowed' : `refused: ${c.safety.reasons.join('; ')}`;
    return row;
  });
  const cols = ['rank', ...keys, ...spec.objectives.flatMap((o) => [`${o.name}_mean`, `${o.name}_sd`]), 'p_target', 'novelty', 'safety'];
  return toCsv(rows, cols);
}

/** First principal direction of the rows (power iteration on the centred Gram matrix), as projections. */
function firstComponent(rows: Float32Array, n: number, F: number, extra: Float32Array, m: number): { data: number[]; extra: number[] } {
  const mean = new Float64Array(F);
  for (let i = 0; i < n; i++) for (let k = 0; k < F; k++) mean[k] = (mean[k] as number) + (rows[i * F + k] as number) / n;
  let v = new Float64Array(F).fill(1 / Math.sqrt(F));
  for (let it = 0; it < 50; it++) {
    const next = new Float64Array(F);
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let k = 0; k < F; k++) dot += ((rows[i * F + k] as number) - (mean[k] as number)) * (v[k] as number);
      for (let k = 0; k < F; k++) next[k] = (next[k] as number) + dot * ((rows[i * F + k] as number) - (mean[k] as number));
    }
    const norm = Math.hypot(...next) || 1;
    v = next.map((x) => x / norm);
  }
  const project = (x: Float32Array, count: number): number[] =>
    Array.from({ length: count }, (_, i) => {
      let s = 0;
      for (let k = 0; k < F; k++) s += ((x[i * F + k] as number) - (mean[k] as number)) * (v[k] as number);
      return s;
    });
  return { data: project(rows, n), extra: project(extra, m) };
}

/**
 * The plot of candidates against the data: with two or more objectives the objective plane (observed vs predicted
 * means); with one, the recipes' first principal component against the objective.
 */
export function designSvg(spec: CampaignSpec, result: DesignResult, observed: { objectives: Record<string, number>; feasible: boolean }[]): string {
  const [o1, o2] = spec.objectives;
  if (!o1) return '';
  if (o2) {
    const series: Series[] = [
      { label: 'observed', color: '#9aa0a6', style: 'dots', points: observed.filter((o) => o.feasible).map((o) => ({ x: o.objectives[o1.name] as number, y: o.objectives[o2.name] as number })) },
      { label: 'candidates (predicted mean)', color: '#d93025', style: 'dots', points: result.candidates.map((c) => ({ x: c.predicted[o1.name]?.mean ?? Number.NaN, y: c.predicted[o2.name]?.mean ?? Number.NaN })) },
    ];
    return renderSvgPlot(series, { title: 'Inverse design: candidates vs data', xLabel: `${o1.name} (${o1.unit})`, yLabel: `${o2.name} (${o2.unit})` });
  }
  const n = result.data.values.length;
  const m = result.candidates.length;
  const pc = firstComponent(result.data.features, n, result.dim, result.candidateFeatures, m);
  const series: Series[] = [
    { label: 'observed', color: '#9aa0a6', style: 'dots', points: result.data.values.flatMap((v, i) => (v === undefined ? [] : [{ x: pc.data[i] as number, y: v }])) },
    { label: 'candidates (predicted mean)', color: '#d93025', style: 'dots', points: result.candidates.map((c, i) => ({ x: pc.extra[i] as number, y: c.predicted[o1.name]?.mean ?? Number.NaN })) },
  ];
  return renderSvgPlot(series, { title: 'Inverse design: candidates vs data', xLabel: 'recipe principal component 1', yLabel: `${o1.name} (${o1.unit})` });
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** One row of the model comparison table (markdown). */
export function metricsHeader(): string {
  return '| model | validity | uniqueness | novelty | COV-R | COV-P | W1 | hit rate | train s |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |';
}

export function metricsRow(model: string, m: GenerationMetrics, trainSeconds: number): string {
  return `| ${model} | ${pct(m.validity)} | ${pct(m.uniqueness)} | ${pct(m.novelty)} | ${pct(m.covR)} | ${pct(m.covP)} | ${m.wasserstein.toPrecision(3)} | ${pct(m.hitRate)} | ${trainSeconds.toFixed(1)} |`;
}
