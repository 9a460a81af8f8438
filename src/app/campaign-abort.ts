import { makeFailure, type Logger, type TrialStatus } from '../domain/index.ts';
import { DocumentBus } from '../protocol/index.ts';
import { attachDocumentSink } from '../store/document-sink.ts';
import type { Store } from '../store/store.ts';
import { loadStoredCampaign } from './campaign-restore.ts';
import { releaseDeadLocalLease } from './campaign-resume.ts';
import { takeCampaignLease } from './command-queue-lease.ts';

/** Trial states an abort ends (`failed` and the terminal ones stay as they are). */
const OPEN: readonly TrialStatus[] = ['proposed', 'approved', 'queued', 'running', 'awaitingRecovery'];

export interface AbortStoredOptions {
  store: Store;
  campaignId: string;
  /** Who aborts (the console's actor, or `cli`). */
  actor: string;
  reason?: string | undefined;
  logger: Logger;
}

/**
 * Aborts a campaign no process runs (interrupted, paused, awaiting recovery): under the campaign's lease (so a
 * runner that appears meanwhile is fenced out, and a live runner refuses this), it records the operator's action,
 * abandons every open trial (no device step of theirs is sent again) and marks the campaign `aborted`. Throws
 * CampaignNotResumableError for an unknown or ended campaign and CampaignLeaseHeldError when a process runs it.
 * Returns the trials abandoned.
 */
export async function abortStoredCampaign(opts: AbortStoredOptions): Promise<string[]> {
  const { store, campaignId, logger } = opts;
  await releaseDeadLocalLease(store, campaignId, logger);
  const stored = await loadStoredCampaign(store, campaignId);
  const lease = await takeCampaignLease({ store, campaignId, spec: stored.spec, seed: stored.seed, logger, mode: 'resume' });
  const bus = new DocumentBus(() => new Date(Math.max(Date.now(), stored.lastTimeMs)));
  bus.resumeSequence(campaignId, stored.lastSeq);
  let fenced: string | undefined;
  const sink = attachDocumentSink(bus, store, { logger, fence: { campaignId, owner: lease.owner, onFenced: (holder) => (fenced = holder ?? 'nobody') } });
  const abandoned: string[] = [];
  try {
    const why = `aborted by ${opts.actor}${opts.reason ? `: ${opts.reason}` : ''}`;
    bus.publish(campaignId, 'operatorAction', { actor: opts.actor, action: 'abort', accepted: true, ...(opts.reason ? { reason: opts.reason } : {}) });
    for (const t of stored.loop.trials) {
      if (!OPEN.includes(t.status)) continue;
      bus.publish(campaignId, 'trialState', {
        trialId: t.id,
        index: t.index,
        from: t.status,
        to: 'abandoned',
        recipe: t.recipe,
        proposer: t.suggestion.proposer,
        station: t.station,
        failure: makeFailure('ABORTED', why),
        attempt: t.attempt,
      });
      abandoned.push(t.id);
    }
    bus.publish(campaignId, 'campaignState', { state: 'aborted', reason: why });
    await bus.flush();
    await sink.flush();
    if (fenced !== undefined) throw new Error(`campaign "${campaignId}" was taken by ${fenced} while it was being aborted: nothing more was written`);
    logger.info({ campaignId, actor: opts.actor, abandoned: abandoned.length }, 'stored campaign aborted');
    return abandoned;
  } finally {
    sink.detach();
    await lease.release();
  }
}
