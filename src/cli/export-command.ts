import { loadConfig } from '../config/index.ts';
import { createLogger } from '../app/logger.ts';
import { exportResults } from '../app/export-results.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { UsageError } from './main.ts';

interface DbFlags {
  db?: string;
  out?: string;
}

async function withStore<T>(flags: DbFlags, fn: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, flags.db ? { pgliteDir: flags.db } : {});
  const store = await openStore({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, pgliteTemplateCacheDir: config.pgliteCacheDir, logger: createLogger(config.logLevel) });
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

/** `labloop campaigns`: one line per stored campaign. */
export async function runCampaignsCommand(raw: Record<string, unknown>): Promise<void> {
  await withStore(raw as DbFlags, async (store) => {
    const campaigns = await store.campaigns.list();
    if (campaigns.length === 0) process.stdout.write('no campaigns\n');
    for (const c of campaigns) process.stdout.write(`${c.id}\t${c.state}\t${c.title ?? ''}\n`);
  });
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
