import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CampaignSpec } from '../domain/index.ts';
import { toCsv } from '../store/csv.ts';
import type { CampaignExport, ExportTrial } from '../store/export.ts';
import { renderSvgPlot } from './report/svg-plot.ts';

/** Best-so-far of the first objective against trials run, with every observation as a dot. */
export function bestSoFarSvg(spec: CampaignSpec, trials: readonly ExportTrial[]): string {
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
  return renderSvgPlot(
    [
      { label: 'observed', color: '#7a9cc6', points: dots, style: 'dots' },
      { label: 'best so far', color: '#c0392b', points: best, style: 'step' },
      ...(failed.length > 0 ? [{ label: `failed trial (${failed.length})`, color: '#e67e22', points: failed, style: 'marks' as const }] : []),
    ],
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
    'best-so-far.svg': bestSoFarSvg(spec, exported.trials),
  };
  const written: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(outDir, name);
    await writeFile(file, content);
    written.push(file);
  }
  return written;
}
