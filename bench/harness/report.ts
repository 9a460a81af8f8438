import fs from 'node:fs';
import path from 'node:path';
import { renderSvgPlot, type Series } from '../../src/app/report/svg-plot.ts';
import type { ArmSummary, PairedComparison } from './aggregate.ts';
import type { PoolBenchResult } from './pool-bench.ts';

/** Markdown tables and SVG curves of benchmark results. */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

const num = (v: number | null | undefined, digits = 0): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const ci = (c: [number, number]): string => (Number.isFinite(c[1]) ? `${num(c[0])}–${num(c[1])}` : `${num(c[0])}–∞`);

export function poolMarkdown(r: PoolBenchResult): string {
  const p = r.pool;
  const lines: string[] = [];
  const topSet = p.direction === 'pareto' ? `top set = the Pareto set, K = ${p.K} (${p.objectives.map((o) => `${o.name} ${o.direction === 'maximize' ? 'max' : 'min'}`).join(', ')})` : `top set K = ${p.K} (${p.direction}, threshold ${p.topThreshold.toPrecision(4)})`;
  lines.push(`### ${p.name}: N = ${p.N} pool points (${p.rowsRead} rows), ${topSet}, d = ${p.d}`);
  lines.push('');
  lines.push(`${r.config.protocol.init} random initial points (the same for every arm at a seed), ${r.seeds.length} seeds, ${r.agentMode ? 'GP and random arms: ' : ''}${r.mode}. ` +
    `Experiments include the initial points. "median" = median over campaigns of each campaign's experiments (95 % bootstrap CI); ` +
    `"Liang" = first i where the median over 10 × five-fold averaged Top% curves reaches the level. AF = a·N / experiments.`);
  lines.push('');
  lines.push('| arm | q | campaigns | exp→Top% 0.5 median (CI) | exp→0.8 median (CI) | exp→0.8 Liang | AF50 | AF80 | AF80 Liang | EF max (at i) | rounds→0.8 | not reached 0.8 | ms/round |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const rr = r.random;
  lines.push(`| random (exact: Top%(i) = i/N) | – | – | ${num(rr.expectedCurve50)} (median ${rr.median50}) | ${num(rr.expectedCurve80)} (median ${rr.median80}) | ${num(rr.expectedCurve80)} | 1.0 | 1.0 | 1.0 | 1.0 | – | – | – |`);
  for (const a of r.arms) {
    lines.push(
      `| ${a.name} | ${a.q} | ${a.campaigns} | ${num(a.expTo50)} (${ci(a.expTo50Ci)}) | ${num(a.expTo80)} (${ci(a.expTo80Ci)}) | ${num(a.expTo80Liang)} | ` +
        `${num(a.af50, 1)} | ${num(a.af80, 1)} | ${num(a.af80Liang, 1)} | ${num(a.efMax, 1)} (${a.efMaxAt}) | ${num(a.roundsTo80)} | ${a.censored80} | ${a.timing.medianRoundMs} |`,
    );
  }
  const hvArms = r.arms.filter((a) => a.hypervolume);
  if (hvArms.length > 0) {
    const at = hvArms[0]?.hypervolume?.at.map((c) => c.n) ?? [];
    lines.push('');
    lines.push(
      "Hypervolume: fraction of the pool's Pareto-set hypervolume dominated by the evaluated points (objectives min–max scaled over the pool, reference point = the pool's worst in each), " +
        'median over campaigns (5th–95th percentile); the random arm is sampled, not exact.',
    );
    lines.push('');
    lines.push(`| arm | q | ${at.map((n) => `HV at ${n}`).join(' | ')} | exp→HV 0.90 | exp→HV 0.95 |`);
    lines.push(`| --- | ---: | ${at.map(() => '---:').join(' | ')} | ---: | ---: |`);
    for (const a of hvArms) {
      const h = a.hypervolume;
      if (!h) continue;
      lines.push(`| ${a.name} | ${a.q} | ${h.at.map((c) => `${c.median.toFixed(2)} (${c.p5.toFixed(2)}–${c.p95.toFixed(2)})`).join(' | ')} | ${num(h.expToHv90)} | ${num(h.expToHv95)} |`);
    }
  }
  if (r.batchCost.length > 0) {
    lines.push('');
    lines.push('Batch cost (paired by seed): experiments to Top% 0.8 at q relative to the same arm at q = 1, median of per-seed ratios (95 % CI).');
    lines.push('');
    lines.push('| arm | q | ratio exp→0.5 | ratio exp→0.8 |');
    lines.push('| --- | ---: | ---: | ---: |');
    for (const b of r.batchCost)
      lines.push(`| ${b.arm} | ${b.q} | ${b.ratio50 ? `${b.ratio50.median} (${b.ratio50.ci.join('–')})` : '—'} | ${b.ratio80 ? `${b.ratio80.median} (${b.ratio80.ci.join('–')})` : '—'} |`);
  }
  lines.push(...pairedMarkdown(r));
  return lines.join('\n');
}

const signed = (v: number, digits = 2): string => `${v > 0 ? '+' : ''}${v.toFixed(digits)}`;

const median = (xs: (number | null | undefined)[]): number | null => {
  const v = xs.filter((x): x is number => x !== undefined && x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
};

const mean = (xs: (number | undefined)[]): number | null => {
  const v = xs.filter((x): x is number => x !== undefined);
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
};

/** Per arm, medians over its campaigns: Top% at the end, best rank found, picks by other proposers, snap distance, CPU and wall time. */
export function campaignTable(arms: readonly Pick<ArmSummary, 'name' | 'q' | 'perCampaign' | 'timing'>[]): string[] {
  const lines = [
    '| arm | q | campaigns | Top% at end (median) | best found: pool rank (median) | picks by another proposer than BO (mean share) | snap distance (median) | CPU s per campaign (median) | wall s per campaign (median) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const a of arms) {
    const p = a.perCampaign;
    lines.push(
      `| ${a.name} | ${a.q} | ${p.length} | ${num(median(p.map((c) => c.topAtEnd)), 2)} | ${num(median(p.map((c) => c.bestRank)), 1)} | ${num(mean(p.map((c) => c.otherProposers)), 3)} | ${num(median(p.map((c) => c.medianSnap)), 3)} | ${num(median(p.map((c) => c.cpuS)), 1)} | ${num(a.timing.medianCampaignS, 1)} |`,
    );
  }
  return lines;
}

/** Every arm against the reference, paired on seeds. */
export function pairedTable(paired: readonly PairedComparison[]): string[] {
  if (paired.length === 0) return [];
  const ref = paired[0]?.reference;
  const lines = [
    `Paired on seeds against ${ref} (same initial rows): median of the per-seed difference arm − ${ref}, 95 % paired bootstrap CI (seeds resampled, 4,000 resamples), and seeds where the arm did better / worse / the same. Top% at end: higher is better; best rank: lower is better.`,
    '',
    '| arm | q | pairs | Δ Top% at end (CI) | better / worse / same | Δ best rank (CI) | better / worse / same | exp→Top% 0.5, arm ÷ reference (CI, pairs) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const c of paired) {
    const t = c.topAtEnd;
    const b = c.bestRank;
    const ratio = c.ratio50 ? `${c.ratio50.median} (${c.ratio50.ci.join('–')}, ${c.ratio50.pairs})` : '—';
    lines.push(
      `| ${c.arm} | ${c.q} | ${c.pairs} | ${signed(t.median)} (${signed(t.ci[0])} to ${signed(t.ci[1])}) | ${t.better} / ${t.worse} / ${t.ties} | ${signed(b.median, 1)} (${signed(b.ci[0], 1)} to ${signed(b.ci[1], 1)}) | ${b.better} / ${b.worse} / ${b.ties} | ${ratio} |`,
    );
  }
  return lines;
}

/** Agent arms' costs and every arm against the first one, paired on seeds (empty when there is one arm). */
function pairedMarkdown(r: PoolBenchResult): string[] {
  const lines: string[] = [];
  if (r.agentMode) {
    const budget = r.config.protocol.budget;
    lines.push('', `${r.agentMode}. Budget ${budget ?? r.pool.N} evaluations; a campaign stops early once Top% reaches ${r.config.protocol.stopAtTop}.`, '');
    lines.push(...campaignTable(r.arms));
  }
  if (r.paired.length > 0) lines.push('', ...pairedTable(r.paired));
  lines.push('', `Run: ${r.wallSeconds} s wall, ${r.cpuSeconds} s CPU (process, all threads), load average at the start ${r.environment.loadAverage.join(' / ')}, at the end ${r.loadAverageAtEnd.join(' / ')}.`);
  return lines;
}

/** Top% curves (median over campaigns, or the Liang aggregate) against experiments, with random's i/N. */
export function poolCurvesSvg(r: PoolBenchResult, opts: { liang?: boolean; xAxis?: 'experiments' | 'rounds' } = {}): string {
  const xAxis = opts.xAxis ?? 'experiments';
  const series: Series[] = [];
  let xMax = 0;
  r.arms.forEach((a, k) => {
    const band = opts.liang && a.curveLiang ? a.curveLiang : a.curve;
    const reach = band.median.findIndex((v) => v >= 0.999);
    const end = reach >= 0 ? reach + 1 : band.median.length;
    const init = r.config.protocol.init;
    const x = (i: number): number => (xAxis === 'rounds' ? Math.max(0, (i + 1 - init) / a.q) : i + 1);
    xMax = Math.max(xMax, x(end - 1));
    const stride = Math.max(1, Math.floor(end / 400));
    const points: { x: number; y: number }[] = [];
    for (let i = 0; i < end; i += stride) points.push({ x: x(i), y: band.median[i] as number });
    points.push({ x: x(end - 1), y: band.median[end - 1] as number });
    series.push({ label: `${a.name} q=${a.q}`, color: PALETTE[k % PALETTE.length] as string, points, style: 'line' });
  });
  if (xAxis === 'experiments') {
    const N = r.pool.N;
    series.push({ label: 'random (i/N)', color: '#7f7f7f', points: [{ x: 0, y: 0 }, { x: xMax, y: Math.min(1, xMax / N) }], style: 'line' });
  }
  return renderSvgPlot(series, {
    title: `${r.pool.name}: Top% (${opts.liang ? 'median of 10×5-fold averages' : 'median over campaigns'})`,
    xLabel: xAxis === 'rounds' ? 'rounds (batches after the initial points)' : 'experiments (initial points included)',
    yLabel: `fraction of the top ${r.pool.K} found`,
  });
}

/** Several objectives: hypervolume fraction reached against experiments (median over campaigns). */
export function hypervolumeSvg(r: PoolBenchResult): string {
  const series: Series[] = r.arms.flatMap((a, k) => {
    const m = a.hypervolume?.curve.median;
    if (!m) return [];
    const stride = Math.max(1, Math.floor(m.length / 400));
    const points = m.flatMap((y, i) => (i % stride === 0 || i === m.length - 1 ? [{ x: i + 1, y }] : []));
    return [{ label: `${a.name} q=${a.q}`, color: PALETTE[k % PALETTE.length] as string, points, style: 'line' as const }];
  });
  return renderSvgPlot(series, {
    title: `${r.pool.name}: hypervolume reached (median over campaigns)`,
    xLabel: 'experiments (initial points included)',
    yLabel: "fraction of the pool's Pareto hypervolume",
  });
}

/**
 * Writes the results of one or several pool problems: `jsonPath` (one result object, or `{ suite, problems }` for a
 * suite), a markdown file next to it, and per problem the Top% curves as SVG (and against rounds when q > 1).
 * Returns the files written.
 */
export function writePoolReport(results: PoolBenchResult[], jsonPath: string, suite?: string): string[] {
  fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
  const base = jsonPath.replace(/\.json$/, '');
  const files = [jsonPath, `${base}.md`];
  const only = results.length === 1 && !suite ? results[0] : undefined;
  fs.writeFileSync(jsonPath, `${JSON.stringify(only ?? { suite, problems: results }, null, 1)}\n`);
  fs.writeFileSync(`${base}.md`, `${results.map(poolMarkdown).join('\n\n')}\n`);
  for (const r of results) {
    const svgBase = only ? base : `${base}-${r.pool.name}`;
    fs.writeFileSync(`${svgBase}-top.svg`, poolCurvesSvg(r, { liang: r.config.protocol.liang }));
    files.push(`${svgBase}-top.svg`);
    if (r.arms.some((a) => a.hypervolume)) {
      fs.writeFileSync(`${svgBase}-hypervolume.svg`, hypervolumeSvg(r));
      files.push(`${svgBase}-hypervolume.svg`);
    }
    if (r.config.protocol.q.some((q) => q > 1)) {
      fs.writeFileSync(`${svgBase}-rounds.svg`, poolCurvesSvg(r, { xAxis: 'rounds' }));
      files.push(`${svgBase}-rounds.svg`);
    }
  }
  return files;
}
