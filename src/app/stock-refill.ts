import type { Logger } from '../domain/index.ts';
import { DocumentBus, ledgerVolume } from '../protocol/index.ts';
import { attachDocumentSink } from '../store/document-sink.ts';
import type { Store } from '../store/store.ts';
import { loadStoredCampaign } from './campaign-restore.ts';
import { releaseDeadLocalLease } from './campaign-resume.ts';
import { takeCampaignLease } from './command-queue-lease.ts';
import type { RefillAmount } from './stock-keeper.ts';

export interface RefillStoredOptions {
  store: Store;
  campaignId: string;
  stock: string;
  amount: RefillAmount;
  /** Who refilled (the console's actor, or `cli`). */
  actor: string;
  reason?: string | undefined;
  logger: Logger;
}

/** Thrown when a refill names no stock of the campaign, or would add nothing. */
export class StockRefillError extends Error {
  override readonly name = 'StockRefillError';
}

/**
 * Records an operator's refill of a stock of a campaign no process runs (paused for a refill, interrupted): under the
 * campaign's lease (a live runner refuses this; its console's `refill-stock` is the way there), an operatorAction and a
 * `stock` `refill` document (ADR 0113). The volume added is what fits: the stock holds at most its listed volume, and
 * what it holds now is what the stored documents say (listed + refills − drawn). The resumed run adds it to the tracked
 * volume and pours it into a simulated lab's reservoir. Returns the volume added and the volume after, µL.
 */
export async function refillStoredCampaign(opts: RefillStoredOptions): Promise<{ added_uL: number; volume_uL: number }> {
  const { store, campaignId, logger } = opts;
  await releaseDeadLocalLease(store, campaignId, logger);
  const stored = await loadStoredCampaign(store, campaignId);
  const stock = stored.spec.stocks.find((s) => s.name === opts.stock);
  if (!stock) throw new StockRefillError(`campaign "${campaignId}" has no stock "${opts.stock}" (stocks: ${stored.spec.stocks.map((s) => s.name).join(', ')})`);
  const now = ledgerVolume(stored.stocks, stock);
  const room = Math.max(0, stock.volume - now);
  const added = 'toListed' in opts.amount ? room : Math.min(opts.amount.volume_uL, room);
  if (added <= 0) throw new StockRefillError(`stock:${stock.name} already holds its listed ${stock.volume} µL: nothing to refill`);
  const lease = await takeCampaignLease({ store, campaignId, spec: stored.spec, seed: stored.seed, logger, mode: 'resume' });
  // A dry run on the instant clock keeps virtual time: the refill is stamped at its last document, so the resumed run's
  // clock does not jump to the wall clock; any other run is stamped now.
  const virtual = stored.runs.at(-1)?.clock === 'instant';
  const bus = new DocumentBus(() => new Date(virtual ? stored.lastTimeMs : Math.max(Date.now(), stored.lastTimeMs)));
  bus.resumeSequence(campaignId, stored.lastSeq);
  let fenced: string | undefined;
  const sink = attachDocumentSink(bus, store, { logger, fence: { campaignId, owner: lease.owner, onFenced: (holder) => (fenced = holder ?? 'nobody') } });
  try {
    const target = `stock:${stock.name}`;
    bus.publish(campaignId, 'operatorAction', { actor: opts.actor, action: 'refill-stock', target, accepted: true, ...(opts.reason ? { reason: opts.reason } : {}) });
    bus.publish(campaignId, 'stock', { kind: 'refill', stock: stock.name, volume_uL: added, toListed: 'toListed' in opts.amount, actor: opts.actor, ...(opts.reason ? { reason: opts.reason } : {}) });
    await bus.flush();
    await sink.flush();
    if (fenced !== undefined) throw new Error(`campaign "${campaignId}" was taken by ${fenced} while the refill was recorded: nothing more was written`);
    logger.info({ campaignId, stock: stock.name, added_uL: added, actor: opts.actor }, 'stock refill recorded');
    return { added_uL: added, volume_uL: now + added };
  } finally {
    sink.detach();
    await lease.release();
  }
}
