import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import { rowsOf, type Db } from '../db.ts';
import { campaignsTable, CONSOLE_COMMAND_STATES, consoleCommandsTable } from '../schema.ts';

export const consoleCommandStateSchema = z.enum(CONSOLE_COMMAND_STATES);
export type ConsoleCommandState = z.infer<typeof consoleCommandStateSchema>;

/** One queued console command (ADR 0032). `command` is unparsed JSON: the reader validates it with the console's schema. */
export interface QueuedCommand {
  id: string;
  campaignId: string;
  command: unknown;
  actor: string;
  /** Set when the row records an attempt the console refused itself: publish it, never execute it. */
  refusal: string | undefined;
  state: ConsoleCommandState;
  reason: string | undefined;
  detail: string | undefined;
  claimedBy: string | undefined;
  createdAt: Date;
  expiresAt: Date;
  claimedAt: Date | undefined;
  handledAt: Date | undefined;
}

export interface CommandEnqueue {
  id: string;
  campaignId: string;
  command: unknown;
  actor: string;
  refusal?: string | undefined;
  /** Nobody may claim the command after this many ms (database clock). */
  ttlMs: number;
}

export type CommandCompletion = { accepted: true; detail?: string | undefined } | { accepted: false; reason: string };

/**
 * The queue of console commands for campaigns run by another process. Every transition is one conditional UPDATE
 * (`WHERE state = …`), so a command is claimed by at most one process, and claimed and expired exclude each other.
 */
export interface ConsoleCommandRepository {
  /**
   * Queues a command for the process holding the campaign's live lease. Undefined (nothing written) when no process
   * holds one. The campaign row is read `FOR SHARE`, so the insert and a concurrent lease release are serialised: a
   * release either sees the new row (and refuses it) or makes the insert find no live lease.
   */
  enqueue(input: CommandEnqueue): Promise<QueuedCommand | undefined>;
  get(id: string): Promise<QueuedCommand | undefined>;
  /** Commands of a campaign, oldest first (for inspection and tests). */
  list(campaignId: string): Promise<QueuedCommand[]>;
  /**
   * pending → claimed for up to `limit` unexpired commands of `campaignIds` whose live lease `owner` holds, oldest
   * first. Rows another claimer has locked are skipped (`FOR UPDATE SKIP LOCKED`), never waited for.
   */
  claim(owner: string, campaignIds: readonly string[], limit: number): Promise<QueuedCommand[]>;
  /** claimed → accepted | refused, by the process that claimed it; false otherwise. */
  complete(id: string, owner: string, outcome: CommandCompletion): Promise<boolean>;
  /** pending → expired (nobody answered in time); false when the command is no longer pending. */
  expire(id: string, reason: string): Promise<boolean>;
  /** pending → expired for every command of `campaignIds` past its deadline; returns how many. */
  expireOverdue(campaignIds: readonly string[]): Promise<number>;
  /** pending → refused for every pending command of the campaign (its runner is ending); returns how many. */
  refusePending(campaignId: string, reason: string): Promise<number>;
}

type Row = typeof consoleCommandsTable.$inferSelect;

// Only what the column types do not already guarantee can fail here, and nothing that a claimer should trip on:
// `claim` has already committed `claimed` when it parses, so content checks (command, actor) belong to the claimer.
const rowSchema = z.object({
  id: z.string(),
  campaignId: z.string(),
  command: z.unknown(),
  actor: z.string(),
  refusal: z.string().nullable(),
  state: consoleCommandStateSchema,
  reason: z.string().nullable(),
  detail: z.string().nullable(),
  claimedBy: z.string().nullable(),
  createdAt: z.date(),
  expiresAt: z.date(),
  claimedAt: z.date().nullable(),
  handledAt: z.date().nullable(),
});

function toQueuedCommand(row: Row): QueuedCommand {
  const r = rowSchema.parse(row);
  return {
    ...r,
    refusal: r.refusal ?? undefined,
    reason: r.reason ?? undefined,
    detail: r.detail ?? undefined,
    claimedBy: r.claimedBy ?? undefined,
    claimedAt: r.claimedAt ?? undefined,
    handledAt: r.handledAt ?? undefined,
  };
}

const byAge = (a: QueuedCommand, b: QueuedCommand): number => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function consoleCommandRepository(db: Db): ConsoleCommandRepository {
  const t = consoleCommandsTable;
  const get = async (id: string): Promise<QueuedCommand | undefined> => {
    const [row] = await db.select().from(t).where(eq(t.id, id));
    return row === undefined ? undefined : toQueuedCommand(row);
  };

  return {
    async enqueue({ id, campaignId, command, actor, refusal, ttlMs }) {
      if (!(Number.isFinite(ttlMs) && ttlMs > 0)) throw new RangeError(`command ttl must be a positive number of ms, got ${ttlMs}`);
      const inserted = rowsOf<{ id: unknown }>(
        await db.execute(sql`
          insert into ${t} (id, campaign_id, command, actor, refusal, state, expires_at)
          select ${id}, c.id, ${JSON.stringify(command)}::jsonb, ${actor}, ${refusal ?? null}, 'pending',
                 now() + make_interval(secs => ${ttlMs / 1000}::double precision)
          from ${campaignsTable} c
          where c.id = ${campaignId} and c.owner is not null and c.lease_expires_at > now()
          for share of c
          returning id`),
      );
      if (inserted.length === 0) return undefined;
      return get(id);
    },

    get,

    async list(campaignId) {
      const rows = await db.select().from(t).where(eq(t.campaignId, campaignId)).orderBy(asc(t.createdAt), asc(t.id));
      return rows.map(toQueuedCommand);
    },

    async claim(owner, campaignIds, limit) {
      if (campaignIds.length === 0 || limit <= 0) return [];
      const leased = db
        .select({ id: campaignsTable.id })
        .from(campaignsTable)
        .where(and(inArray(campaignsTable.id, [...campaignIds]), eq(campaignsTable.owner, owner), gt(campaignsTable.leaseExpiresAt, sql`now()`)));
      const candidates = db
        .select({ id: t.id })
        .from(t)
        .where(and(eq(t.state, 'pending'), inArray(t.campaignId, leased), gt(t.expiresAt, sql`now()`)))
        .orderBy(asc(t.createdAt), asc(t.id))
        .limit(limit)
        .for('update', { skipLocked: true });
      const rows = await db
        .update(t)
        .set({ state: 'claimed', claimedBy: owner, claimedAt: sql`now()` })
        .where(and(inArray(t.id, candidates), eq(t.state, 'pending')))
        .returning();
      return rows.map(toQueuedCommand).sort(byAge);
    },

    async complete(id, owner, outcome) {
      const rows = await db
        .update(t)
        .set(
          outcome.accepted
            ? { state: 'accepted', detail: outcome.detail ?? null, handledAt: sql`now()` }
            : { state: 'refused', reason: outcome.reason, handledAt: sql`now()` },
        )
        .where(and(eq(t.id, id), eq(t.state, 'claimed'), eq(t.claimedBy, owner)))
        .returning({ id: t.id });
      return rows.length > 0;
    },

    async expire(id, reason) {
      const rows = await db
        .update(t)
        .set({ state: 'expired', reason, handledAt: sql`now()` })
        .where(and(eq(t.id, id), eq(t.state, 'pending')))
        .returning({ id: t.id });
      return rows.length > 0;
    },

    async expireOverdue(campaignIds) {
      if (campaignIds.length === 0) return 0;
      const rows = await db
        .update(t)
        .set({ state: 'expired', reason: 'nobody claimed the command before its deadline', handledAt: sql`now()` })
        .where(and(eq(t.state, 'pending'), inArray(t.campaignId, [...campaignIds]), lte(t.expiresAt, sql`now()`)))
        .returning({ id: t.id });
      return rows.length;
    },

    async refusePending(campaignId, reason) {
      const rows = await db
        .update(t)
        .set({ state: 'refused', reason, handledAt: sql`now()` })
        .where(and(eq(t.state, 'pending'), eq(t.campaignId, campaignId)))
        .returning({ id: t.id });
      return rows.length;
    },
  };
}
