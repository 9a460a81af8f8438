import { logOutputOf } from './option-parsers.ts';
import { loadConfig } from '../config/index.ts';
import { createLogger } from '../app/logger.ts';
import { exportResults } from '../app/export-results.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';

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

/** `labloop campaigns`: one line per stored campaign. */
export async function runCampaignsCommand(raw: Record<string, unknown>): Promise<void> {
  await withStore(raw as DbFlags, async (store) => {
    const campaigns = await store.campaigns.list();
    if (campaigns.length === 0) process.stdout.write('no campaigns\n');
    for (const c of campaigns) process.stdout.write(`${c.id}\t${c.state}\t${c.title ?? ''}\n`);
  });
}
