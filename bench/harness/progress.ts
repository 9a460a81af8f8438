/**
 * Progress of long benchmark runs on stderr: one line per finished campaign (at most one every `minIntervalMs`,
 * always the last), with elapsed time and a naive ETA from the mean time per finished campaign.
 */
export interface Progress {
  tick(done: number, total: number, detail: string): void;
  log(line: string): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

export function createProgress(label: string, opts: { quiet?: boolean; minIntervalMs?: number; stream?: NodeJS.WritableStream } = {}): Progress {
  const start = performance.now();
  const stream = opts.stream ?? process.stderr;
  const minInterval = opts.minIntervalMs ?? 2000;
  let last = -Infinity;
  return {
    tick(done, total, detail) {
      if (opts.quiet) return;
      const now = performance.now();
      if (done < total && now - last < minInterval) return;
      last = now;
      const elapsed = (now - start) / 1000;
      const eta = done > 0 ? (elapsed / done) * (total - done) : NaN;
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      stream.write(`[${label}] ${done}/${total} (${pct} %) · ${formatDuration(elapsed)} elapsed · ETA ${formatDuration(eta)} · ${detail}\n`);
    },
    log(line) {
      if (!opts.quiet) stream.write(`[${label}] ${line}\n`);
    },
  };
}
