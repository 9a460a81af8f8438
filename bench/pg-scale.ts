/**
 * How far several labloop processes share one PostgreSQL (issue 14, ADR 0092): P processes each run C "campaigns"
 * concurrently through the real write path — a campaign lease (heartbeat), the fenced document sink (every batch reads
 * the campaign row FOR SHARE and checks the owner) with its projections — publishing D documents per campaign in
 * event-loop batches. Reports documents/s over all processes, the lease-statement latency, and the CPU of the
 * labloop processes (process.cpuUsage), so the database's share can be told from ours.
 * Usage: npm run bench:pg-scale -- [--procs 1,2,4] [--campaigns 4] [--docs 2000]
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/domain/index.ts';
import { DocumentBus } from '../src/protocol/index.ts';
import { attachDocumentSink } from '../src/store/document-sink.ts';
import { openStore } from '../src/store/open-store.ts';
import { takeCampaignLease } from '../src/app/command-queue-lease.ts';
import { createTempDatabase } from '../tests/helpers/db.ts';
import { defaultSpec } from '../tests/helpers/default-spec.ts';

const { values } = parseArgs({ options: { procs: { type: 'string', default: '1,2,4' }, campaigns: { type: 'string', default: '4' }, docs: { type: 'string', default: '2000' }, child: { type: 'string' }, url: { type: 'string' } } });

interface ChildResult {
  docs: number;
  wall_s: number;
  cpu_s: number;
  leaseMs: number[];
}

async function child(url: string, tag: string, campaigns: number, docs: number): Promise<void> {
  const store = await openStore({ databaseUrl: url, maxConnections: 4, logger: silentLogger });
  const spec = defaultSpec();
  const leaseMs: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: campaigns }, async (_, c) => {
      const campaignId = `scale-${tag}-${c}`;
      const l0 = performance.now();
      const lease = await takeCampaignLease({ store, campaignId, spec, seed: 1, logger: silentLogger, mode: 'create' });
      leaseMs.push(performance.now() - l0);
      const bus = new DocumentBus();
      const sink = attachDocumentSink(bus, store, { logger: silentLogger, fence: { campaignId, owner: lease.owner } });
      for (let i = 0; i < docs; i++) {
        bus.publish(campaignId, 'operatorAction', { actor: 'bench', action: 'note', accepted: true, reason: `document ${i}` });
        // A campaign publishes in bursts (a trial is 15–20 documents), then waits for its devices.
        if (i % 20 === 19) await new Promise((r) => setImmediate(r));
      }
      await bus.flush();
      await sink.flush();
      sink.detach();
      const r0 = performance.now();
      await lease.release();
      leaseMs.push(performance.now() - r0);
    }),
  );
  const wall_s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await store.close();
  const out: ChildResult = { docs: campaigns * docs, wall_s, cpu_s: (cpu.user + cpu.system) / 1e6, leaseMs };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(url: string, tag: string, campaigns: number, docs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', tag, '--url', url, '--campaigns', String(campaigns), '--docs', String(docs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ChildResult) : reject(new Error(`child exited ${code}`))));
  });
}

const campaigns = Number(values.campaigns);
const docs = Number(values.docs);
if (values.child && values.url) {
  await child(values.url, values.child, campaigns, docs);
} else {
  const lines = ['| processes | campaigns | documents | wall s | documents/s (all) | labloop CPU s (sum) | lease take/release ms, median (max) |', '| ---: | ---: | ---: | ---: | ---: | ---: | --- |'];
  for (const procs of values.procs.split(',').map(Number)) {
    const db = await createTempDatabase();
    try {
      // Migrations once, before the clock starts.
      await (await openStore({ databaseUrl: db.url, logger: silentLogger })).close();
      const t0 = performance.now();
      const results = await Promise.all(Array.from({ length: procs }, (_, i) => runChild(db.url, `p${i}`, campaigns, docs)));
      // Wall time from the first child's start includes its start-up; the per-child wall is the write phase only.
      const wall = Math.max(...results.map((r) => r.wall_s));
      const total = results.reduce((n, r) => n + r.docs, 0);
      const lease = results.flatMap((r) => r.leaseMs).sort((a, b) => a - b);
      const med = lease[Math.floor(lease.length / 2)] ?? 0;
      lines.push(`| ${procs} | ${procs * campaigns} | ${total} | ${wall.toFixed(1)} | ${Math.round(total / wall)} | ${results.reduce((n, r) => n + r.cpu_s, 0).toFixed(1)} | ${med.toFixed(0)} (${(lease.at(-1) ?? 0).toFixed(0)}) |`);
      process.stderr.write(`${lines.at(-1)} (total ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    } finally {
      await db.drop();
    }
  }
  process.stdout.write(`machine: ${os.cpus().length} cores, node ${process.version}, load ${os.loadavg()[0]?.toFixed(1)} at the end\n${lines.join('\n')}\n`);
}
