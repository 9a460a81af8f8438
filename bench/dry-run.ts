/**
 * B7 (and B6-lite): wall time and peak RSS of whole dry runs on the default scenario, instant clock.
 * Usage: node --import tsx bench/dry-run.ts [--trials 48,96] [--transport twin,sim] [--repeat 1]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runDryRun } from '../src/app/dry-run.ts';
import { loadCampaignFile, loadConfig } from '../src/config/index.ts';
import { silentLogger } from '../src/domain/index.ts';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '48,96' }, transport: { type: 'string', default: 'twin,sim' }, repeat: { type: 'string', default: '1' } } });
const spec0 = await loadCampaignFile(path.resolve(import.meta.dirname, '../examples/oer-screen.yaml'));
const rows: Record<string, unknown>[] = [];
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
for (const transport of values.transport.split(',') as ('twin' | 'sim')[]) {
  for (const trials of values.trials.split(',').map(Number)) {
    for (let r = 0; r < Number(values.repeat); r++) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-bench-'));
      const config = loadConfig({}, { pgliteDir: path.join(dir, 'db') });
      const spec = { ...spec0, budget: { trials }, stations: { pairs: 4 } };
      const t0 = performance.now();
      const s = await runDryRun({ spec, config, logger: silentLogger, seed: 1 + r, outDir: path.join(dir, 'out'), clock: 'instant', transport });
      const wall = (performance.now() - t0) / 1000;
      const p = s.result.progress;
      rows.push({ transport, trials, stations: 4, seed: 1 + r, wall_s: +wall.toFixed(2), completed: p.completed, failed: p.failed, blocked: p.blocked, best: p.best?.value, labHours: +s.virtualHours.toFixed(1) });
      process.stderr.write(`${transport} ${trials} trials: ${wall.toFixed(1)} s (completed ${p.completed}, failed ${p.failed}, best ${p.best?.value.toFixed(4)})\n`);
      await rm(dir, { recursive: true, force: true });
    }
  }
}
clearInterval(rssTimer);
const table = ['| transport | trials | stations | wall s | completed | failed | blocked | best η10 V | lab h |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
for (const r of rows) table.push(`| ${r.transport} | ${r.trials} | ${r.stations} | ${r.wall_s} | ${r.completed} | ${r.failed} | ${r.blocked} | ${(r.best as number | undefined)?.toFixed(4) ?? '—'} | ${r.labHours} |`);
process.stdout.write(`${table.join('\n')}\n\npeak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB (whole process, all runs)\n`);
await writeFile(path.resolve(import.meta.dirname, 'results/dry-run.json'), `${JSON.stringify({ machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`, rows, peakRss_MiB: peakRss / 2 ** 20 }, null, 2)}\n`);
