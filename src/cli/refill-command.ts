import { loadConfig } from '../config/index.ts';
import { createLogger } from '../app/logger.ts';
import { UsageError } from './usage-error.ts';

interface RefillFlags {
  stock?: string;
  volume?: string;
  full?: boolean;
  reason?: string;
  db?: string;
}

/**
 * `labloop refill <campaign-id> --stock NAME (--volume µL | --full)`: records an operator's refill of a stock of a
 * campaign no process runs (ADR 0113); `labloop resume` then continues with the stock refilled.
 */
export async function runRefillCommand(campaignId: string, raw: Record<string, unknown>): Promise<void> {
  const flags = raw as RefillFlags;
  if (!flags.stock) throw new UsageError('--stock NAME is required');
  if ((flags.volume === undefined) === (flags.full !== true)) throw new UsageError('give either --volume <µL> or --full');
  const volume = flags.volume === undefined ? undefined : Number(flags.volume);
  if (volume !== undefined && !(Number.isFinite(volume) && volume > 0)) throw new UsageError(`--volume must be a positive number of µL, not "${flags.volume}"`);
  const config = loadConfig(process.env, flags.db ? { pgliteDir: flags.db } : {});
  const logger = createLogger(config.logLevel);
  const [{ openStore }, { refillStoredCampaign, StockRefillError }] = await Promise.all([import('../store/open-store.ts'), import('../app/stock-refill.ts')]);
  const store = await openStore({ databaseUrl: config.databaseUrl, pgliteDir: flags.db ?? config.pgliteDir, pgliteTemplateCacheDir: config.pgliteCacheDir, logger });
  try {
    const amount = volume !== undefined ? { volume_uL: volume } : ({ toListed: true } as const);
    const r = await refillStoredCampaign({ store, campaignId, stock: flags.stock, amount, actor: 'cli', reason: flags.reason, logger });
    process.stdout.write(`labloop refill: ${campaignId} stock:${flags.stock} +${r.added_uL.toFixed(1)} µL → ${r.volume_uL.toFixed(1)} µL; continue with \`labloop resume ${campaignId}\`\n`);
  } catch (e) {
    if (e instanceof StockRefillError) throw new UsageError(e.message);
    throw e;
  } finally {
    await store.close();
  }
}
