import type { CampaignProgress } from '../../agents/campaign-loop.ts';

export interface ProgressSink {
  update(p: CampaignProgress, virtualSeconds: number): void;
  done(): void;
}

const fmtDuration = (s: number): string => {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
};

/** One-line progress: bar, trials done/total, failures, best so far, wall ETA and virtual lab time. */
export function formatProgress(p: CampaignProgress, elapsedWall_s: number, virtual_s: number, width = 24, unit = ''): string {
  const finished = p.completed + p.failed;
  const frac = p.budget > 0 ? Math.min(1, finished / p.budget) : 1;
  const filled = Math.round(frac * width);
  const eta = finished > 0 ? (elapsedWall_s / finished) * (p.budget - finished) : Number.NaN;
  const best = p.best ? `${p.best.value.toFixed(4)}${unit ? ` ${unit}` : ''}` : '—';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${finished}/${p.budget} trials · ${p.failed} failed · ${p.blocked} blocked · ${p.running} running · best ${best} · ETA ${fmtDuration(eta)} · lab time ${(virtual_s / 3600).toFixed(1)} h`;
}

/** Redraws in place on a TTY; on a pipe or in CI prints a line at each 10 % step. */
export function createProgressBar(stream: NodeJS.WriteStream, unit: string): ProgressSink {
  const start = performance.now();
  let lastDecile = -1;
  let lastLine = '';
  return {
    update(p, virtualSeconds) {
      const line = formatProgress(p, (performance.now() - start) / 1000, virtualSeconds, 24, unit);
      lastLine = line;
      if (stream.isTTY) stream.write(`\r${line.padEnd(stream.columns ? Math.min(stream.columns - 1, 160) : 140)}`);
      else {
        const decile = Math.floor(((p.completed + p.failed) / Math.max(1, p.budget)) * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          stream.write(`${line}\n`);
        }
      }
    },
    done() {
      if (stream.isTTY && lastLine) stream.write('\n');
    },
  };
}
