import { sql } from 'drizzle-orm';
import type { LabDocument } from '../protocol/index.ts';
import { rowsOf, type Db } from './db.ts';
import { FAILURE_KEEPING_STATUSES, type TrialChange } from './projection-plan.ts';

/**
 * Bulk writes for the hot tables (documents, trials). A batch travels as ONE jsonb parameter expanded by
 * `jsonb_to_recordset`, instead of one bind parameter per value: on PGlite this is ≈ 5× faster for 10k documents
 * (0.3 s vs 1.6 s measured), drizzle's per-value query building alone costing ≈ 0.8 s, and there is no 65 535
 * parameter limit. JSON null and absent keys become SQL NULL.
 */

export const docKey = (campaignId: string, seq: number): string => `${campaignId}\u0000${seq}`;

/** Inserts documents, skipping (campaign_id, seq) pairs already stored; returns the keys (docKey) it stored. */
export async function insertDocuments(db: Db, docs: readonly LabDocument[]): Promise<Set<string>> {
  if (docs.length === 0) return new Set();
  const json = JSON.stringify(docs.map((d) => ({ c: d.campaignId, s: d.seq, v: d.v, t: d.type, at: d.time, p: d.payload })));
  const result = await db.execute(sql`
    insert into "documents" ("campaign_id", "seq", "v", "type", "time", "payload")
    select x.c, x.s, x.v, x.t, x.at, x.p
    from jsonb_to_recordset(${json}::jsonb) as x(c text, s integer, v smallint, t text, at timestamptz, p jsonb)
    on conflict do nothing
    returning "campaign_id", "seq"`);
  return new Set(rowsOf<{ campaign_id: string; seq: number }>(result).map((r) => docKey(r.campaign_id, Number(r.seq))));
}

const keeping = sql.raw(FAILURE_KEEPING_STATUSES.map((s) => `'${s}'`).join(', '));

/**
 * Upserts folded trial changes. The stored station is kept when a change does not name one; the stored failure is
 * kept while the status is one of FAILURE_KEEPING_STATUSES and cleared otherwise; objectives and suggestion id are
 * only ever filled in (the suggestion id from a suggestion row stored earlier when the batch carries none).
 */
export async function upsertTrials(db: Db, trials: readonly TrialChange[]): Promise<void> {
  if (trials.length === 0) return;
  const json = JSON.stringify(
    trials.map((t) => ({
      id: t.id,
      campaign_id: t.campaignId,
      index: t.index,
      status: t.status,
      recipe: t.recipe,
      proposer: t.proposer,
      suggestion_id: t.suggestionId,
      station: t.station,
      attempts: t.attempts,
      failure: t.failure,
      objectives: t.objectives,
      created_at: t.createdAt.toISOString(),
      updated_at: t.updatedAt.toISOString(),
    })),
  );
  await db.execute(sql`
    insert into "trials" ("id", "campaign_id", "index", "status", "recipe", "proposer", "suggestion_id", "station", "attempts", "failure", "objectives", "created_at", "updated_at")
    select x."id", x."campaign_id", x."index", x."status", x."recipe", x."proposer",
      coalesce(x."suggestion_id", (select s."id" from "suggestions" s where s."trial_id" = x."id" limit 1)),
      x."station", x."attempts", x."failure", x."objectives", x."created_at", x."updated_at"
    from jsonb_to_recordset(${json}::jsonb) as x("id" text, "campaign_id" text, "index" integer, "status" text, "recipe" jsonb, "proposer" text,
      "suggestion_id" text, "station" text, "attempts" integer, "failure" jsonb, "objectives" jsonb, "created_at" timestamptz, "updated_at" timestamptz)
    on conflict ("id") do update set
      "index" = excluded."index",
      "status" = excluded."status",
      "recipe" = excluded."recipe",
      "proposer" = excluded."proposer",
      "station" = coalesce(excluded."station", "trials"."station"),
      "attempts" = excluded."attempts",
      "failure" = case when excluded."failure" is not null then excluded."failure"
                       when excluded."status" in (${keeping}) then "trials"."failure" else null end,
      "objectives" = coalesce(excluded."objectives", "trials"."objectives"),
      "suggestion_id" = coalesce("trials"."suggestion_id", excluded."suggestion_id"),
      "updated_at" = excluded."updated_at"`);
}
