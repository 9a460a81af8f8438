import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { campaignSpecSchema, trialStatusSchema, type CampaignSpec, type TrialStatus } from '../../domain/index.ts';
import { campaignStateSchema, type CampaignState } from '../../protocol/index.ts';
import { rowsOf, type Db } from '../db.ts';
import { campaignsTable, documentsTable, trialsTable } from '../schema.ts';
import { leaseRepository, type LeaseRepository } from './leases.ts';

export interface CampaignRecord {
  id: string;
  title: string;
  spec: CampaignSpec;
  seed: number;
  state: CampaignState;
  stateReason: string | undefined;
  /** Process holding the lease (undefined when free). */
  owner: string | undefined;
  leaseExpiresAt: Date | undefined;
  heartbeatAt: Date | undefined;
  createdAt: Date;
  updatedAt: Date;
}

export interface CampaignSummary extends CampaignRecord {
  /** Number of trials per status (statuses with no trial are absent). */
  trialCounts: Partial<Record<TrialStatus, number>>;
  trialTotal: number;
  /** Highest stored document sequence number (0 when none). */
  lastSeq: number;
}

export interface CampaignUpsert {
  spec: CampaignSpec;
  seed: number;
  state?: CampaignState;
}

export interface CampaignRepository extends LeaseRepository {
  /** Creates the campaign, or replaces its spec, seed and title (state only when given). */
  upsert(input: CampaignUpsert): Promise<CampaignRecord>;
  get(id: string): Promise<CampaignRecord | undefined>;
  /** Every campaign, oldest first, with trial counts and the last document sequence number. */
  list(): Promise<CampaignSummary[]>;
  /** Returns false when the campaign does not exist. */
  setState(id: string, state: CampaignState, reason?: string): Promise<boolean>;
}

type CampaignRow = typeof campaignsTable.$inferSelect;

export function toCampaignRecord(row: CampaignRow): CampaignRecord {
  return {
    id: row.id,
    title: row.title,
    spec: campaignSpecSchema.parse(row.spec),
    seed: row.seed,
    state: campaignStateSchema.parse(row.state),
    stateReason: row.stateReason ?? undefined,
    owner: row.owner ?? undefined,
    leaseExpiresAt: row.leaseExpiresAt ?? undefined,
    heartbeatAt: row.heartbeatAt ?? undefined,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const countRowSchema = z.object({ campaign_id: z.string(), status: trialStatusSchema, n: z.coerce.number().int() });

export function campaignRepository(db: Db): CampaignRepository {
  return {
    ...leaseRepository(db),

    async upsert({ spec, seed, state }) {
      const spec1 = campaignSpecSchema.parse(spec);
      const [row] = await db
        .insert(campaignsTable)
        .values({ id: spec1.id, title: spec1.title, spec: spec1, seed, state: state ?? 'running' })
        .onConflictDoUpdate({
          target: campaignsTable.id,
          set: {
            title: spec1.title,
            spec: spec1,
            seed,
            ...(state === undefined ? {} : { state, stateReason: null }),
            updatedAt: sql`now()`,
          },
        })
        .returning();
      if (!row) throw new Error(`upsert of campaign ${spec1.id} returned no row`);
      return toCampaignRecord(row);
    },

    async get(id) {
      const [row] = await db.select().from(campaignsTable).where(eq(campaignsTable.id, id));
      return row === undefined ? undefined : toCampaignRecord(row);
    },

    async list() {
      const rows = await db
        .select({
          campaign: campaignsTable,
          lastSeq: sql<number>`coalesce((select max(${documentsTable.seq}) from ${documentsTable} where ${documentsTable.campaignId} = ${campaignsTable.id}), 0)`.mapWith(Number),
        })
        .from(campaignsTable)
        .orderBy(asc(campaignsTable.createdAt), asc(campaignsTable.id));
      const counts = rowsOf<unknown>(
        await db.execute(
          sql`select ${trialsTable.campaignId} as campaign_id, ${trialsTable.status} as status, count(*) as n from ${trialsTable} group by 1, 2`,
        ),
      ).map((r) => countRowSchema.parse(r));
      return rows.map(({ campaign, lastSeq }) => {
        const trialCounts: Partial<Record<TrialStatus, number>> = {};
        let trialTotal = 0;
        for (const c of counts) {
          if (c.campaign_id !== campaign.id) continue;
          trialCounts[c.status] = c.n;
          trialTotal += c.n;
        }
        return { ...toCampaignRecord(campaign), trialCounts, trialTotal, lastSeq };
      });
    },

    async setState(id, state, reason) {
      const rows = await db
        .update(campaignsTable)
        .set({ state: campaignStateSchema.parse(state), stateReason: reason ?? null, updatedAt: sql`now()` })
        .where(eq(campaignsTable.id, id))
        .returning({ id: campaignsTable.id });
      return rows.length > 0;
    },
  };
}
