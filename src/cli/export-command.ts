import { logOutputOf } from './option-parsers.ts';
import { loadConfig } from '../config/index.ts';
import { createLogger } from '../app/logger.ts';
import { exportResults } from '../app/export-results.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { UsageError } from './usage-error.ts';

interface DbFlags {
  db?: string;
  out?: string;
}

async function withStore<T>(flags: DbFlags, fn: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, flags.db ? { pgliteDir: flags.db } : {});
  const store = await openStore({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, pgliteTemplateCacheDir: config.pgliteCacheDir, logger: createLogger(config.logLevel, logOutputOf(flags as Record<string, unknown>, config)) });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `labloop export <campaign>`: results.csv, campaign.json and the best-so-far plot from the database. */
export async function runExportCommand(campaignId: string, raw: Record<string, unknown>): Promise<void> {
  const flags = raw as DbFlags;
  await withStore(flags, async (store) => {
    const { files, rows } = await exportResults(store, campaignId, undefined, flags.out ?? 'out');
    process.stdout.write(`exported ${rows} trials of ${campaignId}: ${files.join(', ')}\n`);
  });
}

/**
 * `labloop campaigns`: id, status, created, trials done / budget, best value (newest first); `--json` prints the same
 * as an array. While a run holds the PGlite folder, the listing that run keeps beside it is shown (read-only).
 */
export async function runCampaignsCommand(raw: Record<string, unknown>): Promise<void> {
  const flags = raw as DbFlags & { json?: boolean };
  const { listCampaigns, readLiveListing } = await import('../app/campaign-listing.ts');
  let listing: Awaited<ReturnType<typeof listCampaigns>>;
  try {
    listing = await withStore(flags, (store) => listCampaigns(store));
  } catch (e) {
    const config = loadConfig(process.env, flags.db ? { pgliteDir: flags.db } : {});
    const live = config.databaseUrl ? undefined : readLiveListing(config.pgliteDir);
    if (!live || !/in use by process/.test((e as Error).message)) throw e;
    process.stderr.write(`labloop: the database is in use by process ${live.pid}; showing its live listing (updated ${live.updatedAt})\n`);
    listing = live.campaigns;
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
    return;
  }
  if (listing.length === 0) {
    process.stdout.write('no campaigns\n');
    return;
  }
  const rows = listing.map((c) => [
    c.id,
    c.awaitingRecovery > 0 && c.status !== 'awaiting-recovery' ? `${c.status} (${c.awaitingRecovery} awaiting recovery)` : c.status,
    c.created,
    `${c.trials.done}/${c.trials.budget}`,
    c.best ? `${c.best.objective} ${Number(c.best.value.toPrecision(4))} ${c.best.unit}` : '—',
  ]);
  const header = ['ID', 'STATUS', 'CREATED', 'TRIALS', 'BEST'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const r of [header, ...rows]) process.stdout.write(`${r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`);
}

/** `labloop audit <campaign>`: the campaign's invariants; exit 1 when one is broken (src/app/campaign-audit.ts). */
export async function runAuditCommand(campaignId: string, raw: Record<string, unknown>): Promise<void> {
  const { auditCampaign } = await import('../app/campaign-audit.ts');
  const report = await withStore(raw as DbFlags, (store) => auditCampaign(store, campaignId));
  if (!report) throw new UsageError(`no campaign "${campaignId}" in this database (see \`labloop campaigns\`)`);
  if ((raw as { json?: boolean }).json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(`audit of ${report.campaignId} (${report.state}): ${report.ok ? 'clean' : 'BROKEN'}\n`);
    for (const c of report.checks) {
      process.stdout.write(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
      for (const v of c.violations) process.stdout.write(`         - ${v}\n`);
    }
    for (const n of report.notes) process.stdout.write(`  note: ${n}\n`);
  }
  if (!report.ok) throw new AuditFailedError(report.campaignId, report.checks.filter((c) => !c.ok).map((c) => c.name));
}

/** `labloop audit` found a broken invariant (exit 1). */
export class AuditFailedError extends Error {
  constructor(campaignId: string, broken: string[]) {
    super(`audit of ${campaignId} failed: ${broken.join(', ')}`);
    this.name = 'AuditFailedError';
  }
}
