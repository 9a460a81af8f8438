import { hostname } from 'node:os';
import type { CampaignSpec, Logger } from '../domain/index.ts';
import type { Lease, PendingDecisionIds } from '../store/index.ts';
import type { Store } from '../store/store.ts';
import { withTimeout } from '../store/timeout.ts';
import { CampaignExistsError, CampaignNotResumableError } from './campaign-identity.ts';
import { createIdFactory } from './ids.ts';

/** Heartbeat period and lease length of a running campaign (ADR 0032). */
export const LEASE_HEARTBEAT_MS = 5_000;
export const LEASE_TTL_MS = 15_000;

/** Another process holds a live lease on the campaign: running it here too would run it twice. */
export class CampaignLeaseHeldError extends Error {
  constructor(
    readonly campaignId: string,
    readonly holder: Lease | undefined,
  ) {
    super(
      holder
        ? `campaign "${campaignId}" is already run by another process (${holder.owner}, lease live until ${holder.expiresAt.toISOString()}): ` +
            'refusing to run it twice; stop that process or wait until its lease expires'
        : `campaign "${campaignId}" is already run by another process: refusing to run it twice`,
    );
    this.name = 'CampaignLeaseHeldError';
  }
}

/** A unique lease-owner name for one runner: host, pid and a ULID (two runners in one process never share one). */
export function newLeaseOwner(role = 'runner'): string {
  return `${role}@${hostname()}:${process.pid}:${createIdFactory()()}`;
}

export interface CampaignLeaseOptions {
  store: Store;
  campaignId: string;
  spec: CampaignSpec;
  seed: number;
  logger: Logger;
  owner?: string | undefined;
  heartbeatMs?: number | undefined;
  ttlMs?: number | undefined;
  /** Timeout of each lease statement (default: the heartbeat period). */
  statementTimeoutMs?: number | undefined;
  /**
   * `create`: a new campaign (refused with CampaignExistsError when the id is stored); `resume`: an existing one
   * (CampaignNotResumableError when it is not stored); `claim` (default): either.
   */
  mode?: 'claim' | 'create' | 'resume' | undefined;
  /** Creation time of a new campaign row (a dry run's simulated clock); default the database's now(). */
  createdAt?: Date | undefined;
  /** Called once when another process took the lease (ours had expired): this process must stop running the campaign. */
  onLost?: ((holder: Lease | undefined) => void) | undefined;
}

/** The lease this process holds on the campaign it runs, renewed by a heartbeat until `release()`. */
export interface CampaignLease {
  readonly campaignId: string;
  readonly owner: string;
  /** False once the lease was lost to another process or released. */
  readonly held: boolean;
  /**
   * Publishes the decisions awaiting an operator here, so consoles in other processes can show them. Writes are
   * coalesced; a failed write is retried with the next heartbeat.
   */
  publishPending(pending: PendingDecisionIds): void;
  /** Stops the heartbeat and gives the lease up, refusing commands still queued for the campaign. Never throws. */
  release(): Promise<void>;
}

/**
 * Takes the campaign's lease before the campaign starts (creating its row when it does not exist yet) and renews it
 * every `heartbeatMs`. Throws CampaignLeaseHeldError when another process holds a live lease. When a renewal finds
 * the lease gone it tries to take it back (it is ours again if nobody else took it); when another process holds it,
 * `onLost` is called and the heartbeat stops. Database errors are logged and retried on the next beat; every
 * statement has a timeout.
 */
export async function takeCampaignLease(opts: CampaignLeaseOptions): Promise<CampaignLease> {
  const { store, campaignId } = opts;
  const heartbeatMs = opts.heartbeatMs ?? LEASE_HEARTBEAT_MS;
  const ttlMs = opts.ttlMs ?? LEASE_TTL_MS;
  if (!(ttlMs > heartbeatMs)) throw new RangeError(`lease ttl (${ttlMs} ms) must exceed the heartbeat period (${heartbeatMs} ms)`);
  const statementMs = opts.statementTimeoutMs ?? heartbeatMs;
  const owner = opts.owner ?? newLeaseOwner();
  const logger = opts.logger.child({ component: 'campaign-lease', campaignId, owner });
  const timed = <T>(p: Promise<T>, what: string): Promise<T> => withTimeout(p, statementMs, what);

  const mode = opts.mode ?? 'claim';
  const claim = { campaignId, spec: opts.spec, seed: opts.seed };
  let lease: Lease | undefined;
  if (mode === 'create') {
    lease = await timed(store.campaigns.createCampaign({ ...claim, createdAt: opts.createdAt }, owner, ttlMs), 'creating the campaign');
    if (!lease) {
      const existing = await store.campaigns.get(campaignId);
      if (existing) throw new CampaignExistsError(existing);
    }
  } else if (mode === 'resume') {
    if (!(await store.campaigns.get(campaignId))) throw new CampaignNotResumableError(campaignId, 'no such campaign in this database (see `labloop campaigns`)');
    lease = await timed(store.campaigns.acquireLease(campaignId, owner, ttlMs), 'taking the campaign lease');
  } else {
    lease = await timed(store.campaigns.claimCampaign(claim, owner, ttlMs), 'taking the campaign lease');
  }
  if (!lease) throw new CampaignLeaseHeldError(campaignId, await store.campaigns.liveLease(campaignId).catch(() => undefined));
  logger.info({ expiresAt: lease.expiresAt.toISOString(), ttlMs, heartbeatMs }, 'campaign lease taken');

  let held = true;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> | undefined;
  let pending: PendingDecisionIds | undefined;
  let pendingDirty = false;
  let writing: Promise<void> | undefined;

  const writePending = (): Promise<void> => {
    if (writing) return writing;
    writing = (async () => {
      while (pendingDirty && held && !stopped && pending) {
        pendingDirty = false;
        const value = pending;
        try {
          await timed(store.campaigns.setPendingDecisions(campaignId, owner, value), 'publishing pending decisions');
        } catch (e) {
          pendingDirty = true; // the next heartbeat retries
          logger.warn({ err: (e as Error).message }, 'publishing pending decisions failed; retrying with the next heartbeat');
          break;
        }
      }
    })().finally(() => {
      writing = undefined;
    });
    return writing;
  };

  const lost = (holder: Lease | undefined): void => {
    held = false;
    logger.error({ holder: holder?.owner }, 'campaign lease lost to another process: this process must stop running the campaign');
    opts.onLost?.(holder);
  };

  const beat = async (): Promise<void> => {
    try {
      const renewed = await timed(store.campaigns.renewLease(campaignId, owner, ttlMs), 'renewing the campaign lease');
      if (!renewed) {
        // Not ours any more (it expired and someone took it, or it was released): take it back if it is free.
        const again = await timed(store.campaigns.acquireLease(campaignId, owner, ttlMs), 'retaking the campaign lease');
        if (!again) return lost(await store.campaigns.liveLease(campaignId).catch(() => undefined));
        logger.warn('campaign lease had expired (heartbeats late); taken back');
      }
      if (pendingDirty) await writePending();
    } catch (e) {
      logger.warn({ err: (e as Error).message }, 'campaign lease heartbeat failed; retrying');
    }
  };

  const schedule = (): void => {
    if (stopped || !held) return;
    timer = setTimeout(() => {
      beating = beat().finally(() => {
        beating = undefined;
        schedule();
      });
    }, heartbeatMs);
    timer.unref?.();
  };
  schedule();

  let releasing: Promise<void> | undefined;
  return {
    campaignId,
    owner,
    get held() {
      return held && !stopped;
    },
    publishPending(value) {
      pending = { approvals: [...value.approvals], recoveries: [...value.recoveries] };
      pendingDirty = true;
      if (held && !stopped) void writePending();
    },
    release: () =>
      (releasing ??= (async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        await beating;
        await writing;
        if (!held) return;
        held = false;
        try {
          // One transaction: the release and the refusal of what is queued. Enqueuers read the campaign row FOR
          // SHARE, so a command queued concurrently is either refused here or finds no live lease.
          const refused = await timed(
            store.transaction(async (tx) => {
              const released = await tx.campaigns.releaseLease(campaignId, owner);
              const n = await tx.consoleCommands.refusePending(campaignId, 'the campaign ended before its runner handled the command');
              return released ? n : -1;
            }),
            'releasing the campaign lease',
          );
          if (refused < 0) logger.warn('campaign lease was not ours any more at release');
          else logger.info({ refusedCommands: refused }, 'campaign lease released');
        } catch (e) {
          logger.warn({ err: (e as Error).message }, `releasing the campaign lease failed; it expires within ${ttlMs} ms`);
        }
      })()),
  };
}
