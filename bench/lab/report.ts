import { renderSvgPlot, type Series } from '../../src/app/report/svg-plot.ts';
import { PALETTE } from '../harness/report.ts';
import type { LabOutcome } from './child-pool.ts';
import type { LabRunResult } from './run-task.ts';
import { regretBand, type ArmSummary, type PairedComparison } from './summary.ts';

/** What bench:lab writes: configuration, environment, the landscapes' optima, every run (with its trials), aggregates. */
export interface LabBenchResult {
  benchmark: 'lab';
  config: {
    campaign: string;
    arms: { name: string; strategy: Record<string, unknown> }[];
    seeds: number[];
    landscapeSeeds: number[];
    trials: number;
    stations: number;
    transport: 'twin' | 'sim';
    faultRate: number;
    workers: number;
    checkpoints: number[];
    calibration: { uniform: number; near: number };
    command: string;
  };
  environment: Record<string, unknown>;
  landscapes: { seed: number; optimum: number; optimumRecipe: Record<string, number | string> }[];
  summaries: ArmSummary[];
  comparisons: PairedComparison[];
  errors: Extract<LabOutcome, { ok: false }>[];
  wallSeconds: number;
  runs: LabRunResult[];
}

const n = (v: number | null | undefined, digits = 0): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const band = (b: { median: number | null; p5: number | null; p95: number | null } | undefined): string =>
  b && b.median !== null ? `${n(b.median)} (${n(b.p5)}–${n(b.p95)})` : '—';

export function labMarkdown(r: LabBenchResult): string {
  const c = r.config;
  const L: string[] = [];
  const several = c.landscapeSeeds.length > 1;
  const env = r.environment as { describe?: string; startedAt?: string; cpus?: number; cpuModel?: string; node?: string; loadAverage?: number[] };
  L.push(`### Lab benchmark: ${c.campaign}, ${c.trials} trials, ${c.stations} station pairs, transport ${c.transport}${c.faultRate > 0 ? `, fault rate ${c.faultRate}` : ''}`);
  L.push('');
  L.push(
    `Seeds ${formatSeeds(c.seeds)}; landscape seed${several ? 's' : ''} ${c.landscapeSeeds.join(', ')} (optimum ${r.landscapes.map((l) => `${l.optimum.toFixed(4)} V`).join(', ')}); ` +
      `code ${env.describe ?? 'unknown'}; ${env.startedAt ?? ''}; ${env.cpus ?? '?'} cores (${env.cpuModel ?? '?'}), node ${env.node ?? '?'}, load ${env.loadAverage?.join(' ') ?? '?'}; ` +
      `${c.workers} worker process(es), ${(r.wallSeconds / 60).toFixed(1)} min wall.`,
  );
  L.push('');
  L.push(`Command: \`${c.command}\``);
  L.push('');
  L.push(
    'Every trial is judged by the noise-free η10 of its recipe. Regret = best true η10 among completed trials − the landscape optimum, mV: median (5–95 % over seeds). ' +
      '"→15 mV": spent trials (failed ones included) until a completed trial was within 15 mV of the optimum, median over seeds (— when most never got there). ' +
      'Reported best: what the campaign reports as its best recipe (best-confirmed, ADR 0060, when the campaign estimated one), judged by its true η10; ' +
      '"gap" = its true η10 − the best true η10 the campaign measured (runs within 10 mV); "observed" = the same for the best single reading; ' +
      '"CI holds truth" = runs whose reported 95 % CI contains the true η10 of the recipe.',
  );
  L.push('');
  const cps = c.checkpoints;
  L.push(`| arm |${several ? ' landscape |' : ''} runs | ≤15 mV | ≤30 mV | →15 mV | →30 mV | ${cps.map((k) => `regret @${k}`).join(' | ')} | reported best: kind | regret | gap (≤10 mV) | CI holds truth | observed: regret | observed: gap (≤10 mV) |`);
  L.push(`| --- |${several ? ' ---: |' : ''} ---: | ---: | ---: | ---: | ---: | ${cps.map(() => '---:').join(' | ')} | --- | ---: | ---: | ---: | ---: | ---: |`);
  for (const s of r.summaries) {
    L.push(
      `| ${s.arm} |${several ? ` ${s.landscapeSeed} |` : ''} ${s.runs} | ${s.hits15}/${s.runs} | ${s.hits30}/${s.runs} | ${n(s.medianTrialsTo15)} | ${n(s.medianTrialsTo30)} | ` +
        `${cps.map((k) => band(s.regretAt[String(k)])).join(' | ')} | ${s.reported.kind ?? '—'} | ${n(s.reported.medianRegret)} | ${n(s.reported.medianGapToBestTrue)} (${s.reported.within10}/${s.reported.n}) | ` +
        `${s.reported.ciCoverage === null ? '—' : `${Math.round(s.reported.ciCoverage * s.reported.ciRuns)}/${s.reported.ciRuns}`} | ${n(s.observed?.medianRegret)} | ${n(s.observed?.medianGapToBestTrue)} (${s.observed?.within10 ?? 0}/${s.observed?.n ?? 0}) |`,
    );
  }
  L.push('');
  L.push(
    'Model against the truth: the final agent\'s latent posterior on ' +
      `${c.calibration.uniform} recipes drawn uniformly from the dispensable space and ${c.calibration.near} near the optimum (none of them measured; recipes whose film fails are left out): ` +
      'coverage of its 95 % intervals, mean log score (natural log density of the true η10, higher is better), RMSE; medians over seeds. ' +
      'Failures: median share of spent trials. Batch shift: runs with a batch-shift alarm / runs (alarms, trials flagged). Busy: median over seeds of the least and most busy station\'s busy fraction.',
  );
  L.push('');
  L.push(`| arm |${several ? ' landscape |' : ''} coverage 95 % | log score | RMSE mV | near opt.: coverage | near: RMSE mV | failures | batch shift | busy min–max | not completed | wall s (median) |`);
  L.push(`| --- |${several ? ' ---: |' : ''} ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
  for (const s of r.summaries) {
    const cal = s.calibration;
    L.push(
      `| ${s.arm} |${several ? ` ${s.landscapeSeed} |` : ''} ${cal.runs > 0 ? n(cal.coverage95, 2) : '—'} | ${n(cal.meanLogScore, 2)} | ${n(cal.rmse_mV)} | ${n(cal.nearCoverage95, 2)} | ${n(cal.nearRmse_mV)} | ` +
        `${s.failureShare === null ? '—' : `${(100 * s.failureShare).toFixed(0)} %`} | ${s.batchShift.runsWithAlarm}/${s.runs} (${s.batchShift.alarms}, ${s.batchShift.flaggedTrials}) | ` +
        `${n(s.utilisation.minBusy, 2)}–${n(s.utilisation.maxBusy, 2)} | ${s.notCompleted} | ${n(s.wallSeconds.median)} |`,
    );
  }
  const codes = [...new Set(r.summaries.flatMap((s) => Object.keys(s.failures)))].sort();
  if (codes.length > 0) {
    L.push('');
    L.push('Failed or abandoned trials by code, summed over seeds:');
    L.push('');
    L.push(`| arm |${several ? ' landscape |' : ''} ${codes.join(' | ')} |`);
    L.push(`| --- |${several ? ' ---: |' : ''} ${codes.map(() => '---:').join(' | ')} |`);
    for (const s of r.summaries) L.push(`| ${s.arm} |${several ? ` ${s.landscapeSeed} |` : ''} ${codes.map((k) => s.failures[k] ?? 0).join(' | ')} |`);
  }
  if (r.comparisons.length > 0) {
    L.push('');
    L.push(
      'Paired on seeds (same landscape, same seed): arm − baseline, median of per-seed differences (95 % bootstrap CI); W/L/T = seeds where the arm is better (lower) / worse / equal. ' +
        'Runs that never came within 15 mV count as budget + 1 trials.',
    );
    L.push('');
    const metrics = r.comparisons[0]?.differences.map((d) => d.metric) ?? [];
    L.push(`| arm vs baseline |${several ? ' landscape |' : ''} ${metrics.map((m) => m).join(' | ')} | ≤15 mV (arm vs baseline) |`);
    L.push(`| --- |${several ? ' ---: |' : ''} ${metrics.map(() => '---:').join(' | ')} | ---: |`);
    for (const cmp of r.comparisons) {
      const cells = cmp.differences.map((d) => (d.median === null ? '—' : `${n(d.median, d.unit === 'mV' ? 1 : 0)} ${d.unit} (${d.ci ? `${n(d.ci[0], 1)} – ${n(d.ci[1], 1)}` : '—'}) W/L/T ${d.wins}/${d.losses}/${d.ties}`));
      L.push(`| ${cmp.arm} vs ${cmp.baseline} |${several ? ` ${cmp.landscapeSeed} |` : ''} ${cells.join(' | ')} | ${cmp.hits15.arm} vs ${cmp.hits15.baseline} of ${cmp.hits15.pairs} |`);
    }
  }
  if (r.errors.length > 0) {
    L.push('');
    L.push(`Runs that failed to produce a result (${r.errors.length}):`);
    L.push('');
    for (const e of r.errors) L.push(`- ${e.arm} seed ${e.seed} landscape ${e.landscapeSeed}: ${e.error.split('\n')[0]}`);
  }
  return L.join('\n');
}

/** Regret of the best true value so far (mV) against spent trials: median per arm with its 5–95 % band over seeds. */
export function labCurvesSvg(r: LabBenchResult): string {
  const series: Series[] = [];
  r.config.arms.forEach((arm, k) => {
    const runs = r.runs.filter((x) => x.arm === arm.name);
    if (runs.length === 0) return;
    const b = regretBand(runs, r.config.trials);
    if (b.length === 0) return;
    const color = PALETTE[k % PALETTE.length] as string;
    series.push({ label: '', color, style: 'area', points: [...b.map((p) => ({ x: p.x, y: p.p95 })), ...[...b].reverse().map((p) => ({ x: p.x, y: p.p5 }))] });
    series.push({ label: `${arm.name} (n = ${runs.length})`, color, style: 'line', points: b.map((p) => ({ x: p.x, y: p.median })) });
  });
  return renderSvgPlot(series, {
    title: `${r.config.campaign}: regret of the best true η10 (median, 5–95 % over seeds)`,
    xLabel: 'trials spent (failed trials included)',
    yLabel: 'best true η10 − optimum / mV',
  });
}

/** "1-10" for consecutive seeds, else a list. */
export function formatSeeds(seeds: readonly number[]): string {
  const s = [...seeds].sort((a, b) => a - b);
  const first = s[0];
  const last = s[s.length - 1];
  if (first !== undefined && last !== undefined && s.length > 2 && last - first === s.length - 1) return `${first}–${last}`;
  return s.join(', ');
}
