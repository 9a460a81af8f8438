import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CampaignSpec } from '../domain/index.ts';
import { toCsv } from '../store/csv.ts';
import type { CampaignExport, ExportTrial } from '../store/export.ts';
import { renderSvgPlot, type Series } from './report/svg-plot.ts';

/**
 * Best-so-far of the first objective against trials run (the best single reading), with every observation as a dot,
 * and, when the campaign estimated it (ADR 0060), the best-confirmed recipe's mean as a line across the plot with its
 * 95 % confidence interval as a band and the model's estimate as a second line.
 */
export function bestSoFarSvg(spec: CampaignSpec, trials: readonly ExportTrial[], confirmed?: CampaignExport['bestConfirmed']): string {
  const objective = spec.objectives[0];
  const ran = [...trials].sort((a, b) => a.index - b.index).filter((t) => t.status === 'completed' || t.status === 'failed');
  const dots: { x: number; y: number }[] = [];
  const best: { x: number; y: number }[] = [];
  const failed: { x: number; y: number }[] = [];
  let current: number | undefined;
  ran.forEach((t, i) => {
    if (t.status === 'failed') failed.push({ x: i + 1, y: Number.NaN });
    const v = objective ? t.objectives?.[objective.name] : undefined;
    if (v !== undefined && Number.isFinite(v)) {
      dots.push({ x: i + 1, y: v });
      if (current === undefined || (objective?.direction === 'minimize' ? v < current : v > current)) current = v;
    }
    if (current !== undefined) best.push({ x: i + 1, y: current });
  });
  const series: Series[] = [
    { label: 'observed', color: '#7a9cc6', points: dots, style: 'dots' },
    { label: 'best observed so far', color: '#c0392b', points: best, style: 'step' },
    ...(failed.length > 0 ? [{ label: `failed trial (${failed.length})`, color: '#e67e22', points: failed, style: 'marks' as const }] : []),
  ];
  const c = confirmed?.best;
  if (c && ran.length > 0) {
    const x0 = 1;
    const x1 = Math.max(2, ran.length);
    const digits = (v: number): string => Number(v.toPrecision(4)).toString();
    if (c.ci95) {
      const [lo, hi] = c.ci95;
      series.push({ label: '', color: '#27ae60', style: 'area', points: [{ x: x0, y: hi }, { x: x1, y: hi }, { x: x1, y: lo }, { x: x0, y: lo }] });
    }
    series.push({ label: `best confirmed ${digits(c.mean)}${c.ci95 ? ` ± ${digits((c.ci95[1] - c.ci95[0]) / 2)}` : ''} (n = ${c.n})`, color: '#27ae60', style: 'line', points: [{ x: x0, y: c.mean }, { x: x1, y: c.mean }] });
    if (c.model) series.push({ label: `model estimate ${digits(c.model.mean)} ± ${digits(c.model.sd)}`, color: '#8e44ad', style: 'line', points: [{ x: x0, y: c.model.mean }, { x: x1, y: c.model.mean }] });
  }
  return renderSvgPlot(
    series,
    { title: `${spec.title}: best so far`, xLabel: 'trials run', yLabel: objective ? `${objective.name} / ${objective.unit} (${objective.direction})` : 'objective' },
  );
}

/** Writes results.csv (one row per trial), campaign.json and best-so-far.svg into `outDir`. */
export async function writeCampaignOutputs(outDir: string, spec: CampaignSpec, exported: CampaignExport, extra: Record<string, unknown> = {}): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const { rows, columns, campaign, ...rest } = exported;
  // Who held the lease, and until when, describes a process, not the campaign: left out, so outputs are reproducible.
  const { owner: _owner, leaseExpiresAt: _expires, heartbeatAt: _heartbeat, ...record } = campaign;
  const files: Record<string, string> = {
    'results.csv': toCsv(rows, columns),
    'campaign.json': `${JSON.stringify({ campaign: record, ...rest, ...extra }, null, 2)}\n`,
    'best-so-far.svg': bestSoFarSvg(spec, exported.trials, exported.bestConfirmed),
  };
  const written: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(outDir, name);
    await writeFile(file, content);
    written.push(file);
  }
  return written;
}
