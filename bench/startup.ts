/**
 * Start-up and per-trial overhead of the engine (issue 14): a `labloop dry-run` process from spawn to its first device
 * command (seen in the simulated instruments' run logs), its wall time per trial after that, and its peak RSS
 * and CPU time (also up to the first command, from /proc) (user + system, every thread; /usr/bin/time). The machine is shared: on a loaded machine the CPU time is
 * the figure to compare, the wall times are reported beside it. The PGlite template and the OPC UA certificates come
 * from the repository's .labloop (a warm start, as every run after the first on a machine). Usage: node --import tsx bench/startup.ts [--transport sim,twin] [--trials 1,24,1000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { journalCount, processCpu_s } from '../tests/helpers/kill-resume.ts';

const { values } = parseArgs({ options: { transport: { type: 'string', default: 'sim,twin' }, trials: { type: 'string', default: '1,24' } } });
const root = path.resolve(import.meta.dirname, '..');
const rows: string[] = ['| transport | trials | spawn → first dispatch s | … CPU s | wall s | CPU s (user + sys) | s per trial after the first dispatch | peak RSS MiB |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
/** The labloop process under /usr/bin/time (its only child), for its CPU time so far; undefined off Linux. */
const childOf = (pid: number | undefined): number | undefined => {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
};
for (const transport of values.transport.split(',')) {
  for (const trials of values.trials.split(',').map(Number)) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-bench-startup-'));
    const journal = path.join(dir, 'db.lab', 'startup');
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', process.execPath, path.join(root, 'bin/labloop.js'), 'dry-run', path.join(root, 'examples/oer-screen.yaml'), '--transport', transport, '--agent', 'random', '--trials', String(trials), '--id', 'startup', '--db', path.join(dir, 'db'), '--out', path.join(dir, 'out'), '--quiet'], {
      cwd: dir,
      env: { ...process.env, LABLOOP_LOG_LEVEL: 'silent', DATABASE_URL: '', LABLOOP_DB_CACHE_DIR: path.join(root, '.labloop/cache'), LABLOOP_PKI_DIR: path.join(root, '.labloop/pki') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    let first: number | undefined;
    let firstCpu: number | undefined;
    const poll = setInterval(() => {
      if (first === undefined && journalCount(journal, 'lh-', 'accepted') > 0) {
        first = (performance.now() - t0) / 1000;
        firstCpu = processCpu_s(childOf(child.pid));
      }
    }, 5);
    await new Promise((r) => child.on('exit', r));
    clearInterval(poll);
    const wall = (performance.now() - t0) / 1000;
    const [, user, sys, rss] = /([\d.]+) ([\d.]+) (\d+)\s*$/.exec(stderr.trim()) ?? [];
    const rssKiB = Number(rss ?? NaN);
    const cpu = Number(user ?? NaN) + Number(sys ?? NaN);
    rows.push(`| ${transport} | ${trials} | ${first?.toFixed(2) ?? '—'} | ${firstCpu?.toFixed(2) ?? '—'} | ${wall.toFixed(2)} | ${cpu.toFixed(2)} | ${first !== undefined && trials > 1 ? ((wall - first) / trials).toFixed(3) : '—'} | ${(rssKiB / 1024).toFixed(0)} |`);
    process.stderr.write(`${rows.at(-1)}\n`);
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(`${rows.join('\n')}\n\nmachine: ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}\n`);
