import { and, asc, eq, inArray, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db.ts';
import { campaignsTable } from '../schema.ts';

/** A process's claim on a campaign until `expiresAt` (database clock); renewed by heartbeats. */
export interface Lease {
  campaignId: string;
  owner: string;
  expiresAt: Date;
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
  acquireNextLease(owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extends our lease (heartbeat); undefined when we no longer own it. */
  renewLease(campaignId: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Gives the lease up; false when we did not own it. */
  releaseLease(campaignId: string, owner: string): Promise<boolean>;
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

    acquireNextLease: (owner, ttlMs) => claim(inArray(campaignsTable.state, TAKEOVER_STATES), owner, ttlMs, false),

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
        .set({ owner: null, leaseExpiresAt: null })
        .where(and(eq(campaignsTable.id, campaignId), eq(campaignsTable.owner, owner)))
        .returning({ id: campaignsTable.id });
      return rows.length > 0;
    },
  };
}
