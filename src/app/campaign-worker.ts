import path from 'node:path';
import type { Config } from '../config/index.ts';
import type { Logger } from '../domain/index.ts';
import { openStore } from '../store/open-store.ts';
import { resumeCampaign } from './campaign-resume.ts';
import type { CampaignRunSummary } from './campaign-run.ts';
import { LEASE_TTL_MS, newLeaseOwner } from './command-queue-lease.ts';

export interface WorkerOptions {
  config: Config;
  logger: Logger;
  /** Each campaign's outputs go to `<outDir>/<campaign id>`. */
  outDir: string;
  /** How often to look for a campaign whose runner died, ms (default 1000: take-over within TTL + 1 s). */
  pollMs?: number | undefined;
  /** Stop after the first campaign taken over. */
  once?: boolean | undefined;
  /** Stop looking (and pause the campaign being run) when this fires. */
  pause?: AbortSignal | undefined;
  onTakeOver?: ((campaignId: string) => void) | undefined;
  onDone?: ((summary: CampaignRunSummary) => void) | undefined;
}

/**
 * `labloop worker`: several processes on one PostgreSQL share the campaigns. A worker takes the lease of a `running`
 * campaign whose lease expired (its runner died or stalled) — `FOR UPDATE SKIP LOCKED`, so two workers never take the
 * same one — and resumes it under that lease (heartbeat, fencing), then looks for the next. A campaign's lease lives
 * 15 s and is renewed every 5 s, so a dead runner's campaign is taken over within TTL + one poll (< 2 × TTL).
 */
export async function runWorker(opts: WorkerOptions): Promise<number> {
  const { config, logger } = opts;
  if (!config.databaseUrl) throw new Error('labloop worker needs PostgreSQL (DATABASE_URL): a PGlite folder is opened by one process only');
  const store = await openStore({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, pgliteTemplateCacheDir: config.pgliteCacheDir, logger });
  const owner = newLeaseOwner('worker');
  const pollMs = opts.pollMs ?? 1000;
  let taken = 0;
  try {
    while (!opts.pause?.aborted) {
      const lease = await store.campaigns.acquireNextLease(owner, LEASE_TTL_MS, ['running']);
      if (!lease) {
        await sleep(pollMs, opts.pause);
        continue;
      }
      taken++;
      logger.info({ campaignId: lease.campaignId, owner }, 'took over a campaign whose lease had expired');
      opts.onTakeOver?.(lease.campaignId);
      try {
        const summary = await resumeCampaign({ campaignId: lease.campaignId, config, logger, outDir: path.join(opts.outDir, lease.campaignId), store, leaseOwner: owner, pause: opts.pause });
        opts.onDone?.(summary);
      } catch (e) {
        logger.error({ campaignId: lease.campaignId, err: (e as Error).message }, 'resuming the campaign failed');
        await store.campaigns.releaseLease(lease.campaignId, owner).catch(() => undefined);
      }
      if (opts.once) break;
    }
  } finally {
    await store.close();
  }
  return taken;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
