import { and, asc, eq, gt, inArray, isNotNull, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { campaignSpecSchema, type CampaignSpec } from '../../domain/index.ts';
import type { Db } from '../db.ts';
import { campaignsTable } from '../schema.ts';

/** A process's claim on a campaign until `expiresAt` (database clock); renewed by heartbeats. */
export interface Lease {
  campaignId: string;
  owner: string;
  expiresAt: Date;
}

/** Trials awaiting an operator in the lease holder's process (trial ids). */
export interface PendingDecisionIds {
  approvals: string[];
  recoveries: string[];
}

const trialIds = z.array(z.string().min(1).max(200)).max(10_000);
export const pendingDecisionIdsSchema = z.object({ approvals: trialIds, recoveries: trialIds });

/** A campaign to create (when missing) and lease in one statement. */
export interface CampaignClaim {
  /** Row id (the campaign id documents carry; may differ from `spec.id`). */
  campaignId: string;
  spec: CampaignSpec;
  seed: number;
}

/**
 * Campaign leases. One process runs a campaign; it renews its lease by heartbeat; when the owner dies the lease expires
 * and another process takes the campaign over. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so concurrent
 * claimers never wait on each other and never both win. All times come from the database clock.
 */
export interface LeaseRepository {
  /** Takes the lease when it is free, expired or already ours; undefined when another owner holds a live lease. */
  acquireLease(campaignId: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Takes any running or paused campaign whose lease is free or expired (oldest update first); never one we hold. */
  acquireNextLease(owner: string, ttlMs: number, states?: readonly ('running' | 'paused')[]): Promise<Lease | undefined>;
  /** Extends our lease (heartbeat); undefined when we no longer own it. */
  renewLease(campaignId: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Gives the lease up (and clears the pending decisions it published); false when we did not own it. */
  releaseLease(campaignId: string, owner: string): Promise<boolean>;
  /**
   * Creates the campaign row when it does not exist yet and takes its lease, in one statement (so a process takes the
   * lease before it writes anything); an existing row keeps its spec and state and is leased like `acquireLease`.
   * Undefined when another owner holds a live lease.
   */
  claimCampaign(claim: CampaignClaim, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /**
   * Creates the campaign row with our lease, only when no campaign with that id exists (one statement, so two
   * processes starting the same new campaign never both win). Undefined when the id is taken.
   */
  createCampaign(claim: CampaignClaim & { createdAt?: Date | undefined }, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** The campaign's lease when it is live (database clock); undefined when free, expired or the campaign is unknown. */
  liveLease(campaignId: string): Promise<Lease | undefined>;
  /** Every live lease (database clock). */
  liveLeases(): Promise<Lease[]>;
  /** Publishes the decisions awaiting an operator in the owner's process; false when `owner` does not hold the lease. */
  setPendingDecisions(campaignId: string, owner: string, pending: PendingDecisionIds): Promise<boolean>;
  /** Decisions the live lease holder published; undefined without a live lease or when none were published. */
  pendingDecisions(campaignId: string): Promise<PendingDecisionIds | undefined>;
}

const TAKEOVER_STATES = ['running', 'paused'];

export function leaseRepository(db: Db): LeaseRepository {
  const expiresIn = (ttlMs: number): SQL => {
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) throw new RangeError(`lease ttl must be a positive number of ms, got ${ttlMs}`);
    return sql`now() + make_interval(secs => ${ttlMs / 1000}::double precision)`;
  };
  /** Free or expired; with `owner`, also a lease that owner already holds. */
  const claimable = (owner?: string): SQL | undefined =>
    or(
      isNull(campaignsTable.owner),
      owner === undefined ? undefined : eq(campaignsTable.owner, owner),
      isNull(campaignsTable.leaseExpiresAt),
      lte(campaignsTable.leaseExpiresAt, sql`now()`),
    );

  const claim = async (where: SQL | undefined, owner: string, ttlMs: number, includeOwn: boolean): Promise<Lease | undefined> => {
    const candidate = db
      .select({ id: campaignsTable.id })
      .from(campaignsTable)
      .where(and(where, claimable(includeOwn ? owner : undefined)))
      .orderBy(asc(campaignsTable.updatedAt), asc(campaignsTable.id))
      .limit(1)
      .for('update', { skipLocked: true });
    const [row] = await db
      .update(campaignsTable)
      .set({ owner, leaseExpiresAt: expiresIn(ttlMs), heartbeatAt: sql`now()` })
      .where(inArray(campaignsTable.id, candidate))
      .returning({ campaignId: campaignsTable.id, expiresAt: campaignsTable.leaseExpiresAt });
    return row?.expiresAt ? { campaignId: row.campaignId, owner, expiresAt: row.expiresAt } : undefined;
  };

  return {
    acquireLease: (campaignId, owner, ttlMs) => claim(eq(campaignsTable.id, campaignId), owner, ttlMs, true),

    acquireNextLease: (owner, ttlMs, states = TAKEOVER_STATES as ('running' | 'paused')[]) => claim(inArray(campaignsTable.state, [...states]), owner, ttlMs, false),

    async renewLease(campaignId, owner, ttlMs) {
      const [row] = await db
        .update(campaignsTable)
        .set({ leaseExpiresAt: expiresIn(ttlMs), heartbeatAt: sql`now()` })
        .where(and(eq(campaignsTable.id, campaignId), eq(campaignsTable.owner, owner)))
        .returning({ expiresAt: campaignsTable.leaseExpiresAt });
      return row?.expiresAt ? { campaignId, owner, expiresAt: row.expiresAt } : undefined;
    },

    async releaseLease(campaignId, owner) {
      const rows = await db
        .update(campaignsTable)
        .set({ owner: null, leaseExpiresAt: null, pendingDecisions: null })
        .where(and(eq(campaignsTable.id, campaignId), eq(campaignsTable.owner, owner)))
        .returning({ id: campaignsTable.id });
      return rows.length > 0;
    },

    async claimCampaign({ campaignId, spec, seed }, owner, ttlMs) {
      const parsed = campaignSpecSchema.parse(spec);
      const [row] = await db
        .insert(campaignsTable)
        .values({ id: campaignId, title: parsed.title, spec: parsed, seed, state: 'running', owner, leaseExpiresAt: expiresIn(ttlMs), heartbeatAt: sql`now()` })
        .onConflictDoUpdate({
          target: campaignsTable.id,
          set: { owner, leaseExpiresAt: expiresIn(ttlMs), heartbeatAt: sql`now()` },
          setWhere: claimable(owner),
        })
        .returning({ expiresAt: campaignsTable.leaseExpiresAt });
      return row?.expiresAt ? { campaignId, owner, expiresAt: row.expiresAt } : undefined;
    },

    async createCampaign({ campaignId, spec, seed, createdAt }, owner, ttlMs) {
      const parsed = campaignSpecSchema.parse(spec);
      const [row] = await db
        .insert(campaignsTable)
        .values({
          id: campaignId,
          title: parsed.title,
          spec: parsed,
          seed,
          state: 'running',
          owner,
          leaseExpiresAt: expiresIn(ttlMs),
          heartbeatAt: sql`now()`,
          ...(createdAt ? { createdAt, updatedAt: createdAt } : {}),
        })
        .onConflictDoNothing({ target: campaignsTable.id })
        .returning({ expiresAt: campaignsTable.leaseExpiresAt });
      return row?.expiresAt ? { campaignId, owner, expiresAt: row.expiresAt } : undefined;
    },

    async liveLease(campaignId) {
      const [lease] = await liveLeaseQuery(eq(campaignsTable.id, campaignId));
      return lease;
    },

    liveLeases: () => liveLeaseQuery(undefined),

    async setPendingDecisions(campaignId, owner, pending) {
      const rows = await db
        .update(campaignsTable)
        .set({ pendingDecisions: pendingDecisionIdsSchema.parse(pending) })
        .where(and(eq(campaignsTable.id, campaignId), eq(campaignsTable.owner, owner)))
        .returning({ id: campaignsTable.id });
      return rows.length > 0;
    },

    async pendingDecisions(campaignId) {
      const [row] = await db
        .select({ pending: campaignsTable.pendingDecisions })
        .from(campaignsTable)
        .where(and(eq(campaignsTable.id, campaignId), live()));
      if (row?.pending === undefined || row.pending === null) return undefined;
      const parsed = pendingDecisionIdsSchema.safeParse(row.pending);
      // A malformed value (another version's writer, a manual edit) reads as "nothing published" rather than failing.
      return parsed.success ? parsed.data : undefined;
    },
  };

  function live(): SQL | undefined {
    return and(isNotNull(campaignsTable.owner), gt(campaignsTable.leaseExpiresAt, sql`now()`));
  }

  async function liveLeaseQuery(where: SQL | undefined): Promise<Lease[]> {
    const rows = await db
      .select({ campaignId: campaignsTable.id, owner: campaignsTable.owner, expiresAt: campaignsTable.leaseExpiresAt })
      .from(campaignsTable)
      .where(and(where, live()))
      .orderBy(asc(campaignsTable.id));
    return rows.flatMap((r) => (r.owner && r.expiresAt ? [{ campaignId: r.campaignId, owner: r.owner, expiresAt: r.expiresAt }] : []));
  }
}
