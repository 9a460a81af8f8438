/**
 * Kill -9 and resume (issue 14): a dry run is killed at random points (its simulated instruments die with it, as in a
 * power cut), resumed until its budget is spent (`--recover retry` for trials whose device step had an unknown fate),
 * then audited. Reports, per kill point: measurements finished at the kill, resumes needed, trials that waited for an
 * operator, resume start → first device command, duplicated commandIds (the devices' own logs), lost measurements,
 * budget completed.
 * `--transport twin` (default): the dry run's real drivers talk MQTT (liquid handlers) and OPC UA (stations) to the
 * twins, which keep their own run logs; `sim`: in-process simulators.
 * Usage: node --import tsx bench/resume.ts [--points 20] [--trials 96] [--db pglite,postgres] [--seed 1] [--transport twin|sim]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../src/domain/index.ts';
import { createTempDatabase } from '../tests/helpers/db.ts';
import { killAndResume } from '../tests/helpers/kill-resume.ts';

const { values } = parseArgs({ options: { points: { type: 'string', default: '20' }, trials: { type: 'string', default: '96' }, db: { type: 'string', default: 'pglite,postgres' }, seed: { type: 'string', default: '1' }, transport: { type: 'string', default: 'twin' } } });
const transport = values.transport === 'sim' ? 'sim' : 'twin';
const points = Number(values.points);
const trials = Number(values.trials);
const rng = new Rng(Number(values.seed));
const kinds = values.db.split(',') as ('pglite' | 'postgres')[];
const rows: Record<string, unknown>[] = [];
for (const kind of kinds) {
  // Kill points: measurements finished when the kill lands, spread at random over the campaign.
  const at = Array.from({ length: points }, () => rng.int(Math.max(1, trials - 8))).sort((a, b) => a - b);
  for (const [i, killAfter] of at.entries()) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-bench-resume-'));
    const db = kind === 'postgres' ? await createTempDatabase() : undefined;
    const t0 = performance.now();
    try {
      const r = await killAndResume({ dir, campaignId: `bench-resume-${kind}-${i}`, seed: 100 + i, trials, killAfterMeasurements: killAfter, databaseUrl: db?.url, timeoutMs: 900_000, transport });
      const check = (name: string) => r.audit.checks.find((c) => c.name === name);
      const listed = r.campaigns[0];
      const row = {
        db: kind,
        point: i + 1,
        killedAfter: r.killedAfterMeasurements,
        resumes: r.resumes,
        awaitingRecovery: r.awaitingRecovery,
        resumeToFirstDispatch_s: r.resumeToFirstDispatch_s === undefined ? null : +r.resumeToFirstDispatch_s.toFixed(2),
        resumeToFirstDispatchCpu_s: r.resumeToFirstDispatchCpu_s === undefined ? null : +r.resumeToFirstDispatchCpu_s.toFixed(2),
        load1: +(os.loadavg()[0] ?? 0).toFixed(1),
        duplicated: check('commands-at-most-once')?.violations.length ?? -1,
        lost: check('measurements-stored')?.violations.length ?? -1,
        auditClean: r.audit.ok,
        budget: `${listed?.trials.done}/${listed?.trials.budget}`,
        status: listed?.status,
        wall_s: +((performance.now() - t0) / 1000).toFixed(1),
      };
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    } catch (e) {
      rows.push({ db: kind, point: i + 1, killedAfter: killAfter, error: (e as Error).message.slice(0, 300) });
      process.stderr.write(`${kind} point ${i + 1}: ${(e as Error).message}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db?.drop();
    }
  }
}
const table = [
  '| db | kill | measurements at kill | resumes | awaiting recovery | resume → 1st dispatch s wall | … CPU s | duplicated steps | lost measurements | audit | budget | status | load |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: |',
];
for (const r of rows)
  table.push(
    r['error']
      ? `| ${r['db']} | ${r['point']} | ${r['killedAfter']} | error: ${String(r['error']).replace(/\|/g, '/')} |  |  |  |  |  |  |  |  |  |`
      : `| ${r['db']} | ${r['point']} | ${r['killedAfter']} | ${r['resumes']} | ${r['awaitingRecovery']} | ${r['resumeToFirstDispatch_s'] ?? '—'} | ${r['resumeToFirstDispatchCpu_s'] ?? '—'} | ${r['duplicated']} | ${r['lost']} | ${r['auditClean'] ? 'clean' : 'BROKEN'} | ${r['budget']} | ${r['status']} | ${r['load1']} |`,
  );
const median = (xs: number[]): number | undefined => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length === 0 ? undefined : v.length % 2 ? v[(v.length - 1) / 2] : ((v[v.length / 2 - 1] as number) + (v[v.length / 2] as number)) / 2;
};
const summary = ['', '| db | kill points | budget completed | duplicated steps | lost measurements | audits clean | resume → 1st dispatch s wall, median (max) | … CPU s, median (max) |', '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |'];
for (const kind of kinds) {
  const mine = rows.filter((r) => r['db'] === kind);
  const ok = mine.filter((r) => !r['error']);
  const t = ok.map((r) => r['resumeToFirstDispatch_s']).filter((x): x is number => typeof x === 'number');
  const c = ok.map((r) => r['resumeToFirstDispatchCpu_s']).filter((x): x is number => typeof x === 'number');
  const sum = (k: string) => ok.reduce((n, r) => n + Number(r[k] ?? 0), 0);
  summary.push(
    `| ${kind} | ${mine.length} | ${ok.filter((r) => r['status'] === 'completed' && String(r['budget']).split('/')[0] === String(trials)).length}/${mine.length} | ${sum('duplicated')} | ${sum('lost')} | ${ok.filter((r) => r['auditClean']).length}/${mine.length} | ${t.length ? `${median(t)?.toFixed(2)} (${Math.max(...t).toFixed(2)})` : '—'} | ${c.length ? `${median(c)?.toFixed(2)} (${Math.max(...c).toFixed(2)})` : '—'} |`,
  );
}
process.stdout.write(`${[...table, ...summary].join('\n')}\n`);
writeFileSync(
  path.resolve(import.meta.dirname, 'results/resume.json'),
  `${JSON.stringify({ transport, machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${os.loadavg()[0]?.toFixed(1)}`, trials, rows }, null, 2)}\n`,
);
