import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { FAILURE_CODES, failureSchema, type FailureCode } from '../domain/index.ts';
import { upsertTrials } from './bulk-sql.ts';
import type { Db } from './db.ts';
import { runFlagsOf, type ProjectionPlan, type ProjectionState } from './projection-plan.ts';
import {
  campaignsTable,
  modelSnapshotsTable,
  observationsTable,
  operatorActionsTable,
  stationsTable,
  suggestionsTable,
  trialsTable,
} from './schema.ts';

const excluded = (column: string) => sql.raw(`excluded."${column}"`);

/** Writes a projection plan (inside the caller's transaction). Statement count is per table, not per document. */
export async function applyProjection(db: Db, plan: ProjectionPlan, state: ProjectionState): Promise<void> {
  for (const c of plan.campaigns) {
    if (c.start) {
      const st = c.state ?? { state: 'running' as const, reason: null };
      await db
        .insert(campaignsTable)
        .values({ id: c.id, title: c.start.spec.title, spec: c.start.spec, seed: c.start.seed, state: st.state, stateReason: st.reason, createdAt: c.time, updatedAt: c.time })
        .onConflictDoUpdate({
          target: campaignsTable.id,
          set: { title: c.start.spec.title, spec: c.start.spec, seed: c.start.seed, state: st.state, stateReason: st.reason, updatedAt: c.time },
        });
    } else if (c.state) {
      await db.update(campaignsTable).set({ state: c.state.state, stateReason: c.state.reason, updatedAt: c.time }).where(eq(campaignsTable.id, c.id));
    }
  }

  if (plan.suggestions.length > 0)
    await db
      .insert(suggestionsTable)
      .values(
        plan.suggestions.map(({ campaignId, trialId, suggestion: s, time }) => ({
          id: s.id,
          campaignId,
          trialId,
          proposer: s.proposer,
          recipe: s.recipe,
          rationale: s.rationale,
          acquisitionValue: s.acquisitionValue ?? null,
          modelSnapshotId: s.modelSnapshotId ?? null,
          predicted: s.predicted ?? null,
          createdAt: time,
        })),
      )
      .onConflictDoNothing();

  await upsertTrials(db, plan.trials);

  for (const p of plan.objectivePatches) await db.update(trialsTable).set({ objectives: p.objectives }).where(eq(trialsTable.id, p.trialId));

  // A suggestion stored after its trial's row (a later batch) links itself here; the other order is handled by
  // upsertTrials, which looks the suggestion up.
  const inBatch = new Set(plan.trials.map((t) => t.id));
  const late = [...new Set(plan.suggestions.map((s) => s.trialId).filter((id) => !inBatch.has(id)))];
  if (late.length > 0)
    await db
      .update(trialsTable)
      .set({ suggestionId: sql`(select ${suggestionsTable.id} from ${suggestionsTable} where ${suggestionsTable.trialId} = ${trialsTable.id} limit 1)` })
      .where(and(inArray(trialsTable.id, late), isNull(trialsTable.suggestionId)));

  if (plan.modelSnapshots.length > 0)
    await db
      .insert(modelSnapshotsTable)
      .values(
        plan.modelSnapshots.map(({ campaignId, seq, payload: p, time }) => ({
          id: p.snapshotId,
          campaignId,
          seq,
          agent: p.agent,
          n: p.n,
          hyperparameters: p.hyperparameters,
          looRmse: p.looRmse ?? null,
          parity: p.parity ?? null,
          createdAt: time,
        })),
      )
      .onConflictDoNothing();

  if (plan.stations.length > 0)
    await db
      .insert(stationsTable)
      .values(plan.stations)
      .onConflictDoUpdate({
        target: [stationsTable.campaignId, stationsTable.id],
        set: {
          state: sql`${excluded('state')}`,
          device: sql`${excluded('device')}`,
          devices: sql`${stationsTable.devices} || ${excluded('devices')}`,
          quarantined: sql`${excluded('quarantined')}`,
          consecutiveFaults: sql`${excluded('consecutive_faults')}`,
          activeRunId: sql`${excluded('active_run_id')}`,
          message: sql`${excluded('message')}`,
          lastHeartbeat: sql`${excluded('last_heartbeat')}`,
        },
      });

  if (plan.operatorActions.length > 0)
    await db
      .insert(operatorActionsTable)
      .values(
        plan.operatorActions.map(({ campaignId, seq, time, payload: p }) => ({
          campaignId,
          seq,
          time,
          actor: p.actor,
          action: p.action,
          target: p.target ?? null,
          accepted: p.accepted,
          reason: p.reason ?? null,
        })),
      )
      .onConflictDoNothing();

  await projectObservations(db, plan, state);
}

/**
 * An observation is what an agent learns from a finished trial: a completed trial with its objectives (feasible), or
 * a trial that failed for a chemistry reason (infeasible, with the code, so a feasibility model can learn where
 * recipes fail). Transport, safety and engine failures say nothing about the recipe and give no observation.
 */
async function projectObservations(db: Db, plan: ProjectionPlan, state: ProjectionState): Promise<void> {
  const ids = [...plan.observationCandidates.keys()];
  if (ids.length === 0) return;
  const rows = await db
    .select({ id: trialsTable.id, status: trialsTable.status, recipe: trialsTable.recipe, failure: trialsTable.failure, objectives: trialsTable.objectives })
    .from(trialsTable)
    .where(and(inArray(trialsTable.id, ids), inArray(trialsTable.status, ['completed', 'failed', 'abandoned'])));
  const values: (typeof observationsTable.$inferInsert)[] = [];
  for (const row of rows) {
    const touched = plan.observationCandidates.get(row.id);
    if (touched === undefined) continue;
    const qualityFlags = runFlagsOf(plan, state, row.id);
    const base = { trialId: row.id, campaignId: touched.campaignId, recipe: row.recipe, qualityFlags, seq: touched.seq };
    if (row.status === 'completed') {
      if (row.objectives === null) continue; // its runStop has not arrived yet
      values.push({ ...base, feasible: true, objectives: row.objectives, failureCode: null });
    } else {
      const failure = failureSchema.safeParse(row.failure);
      if (failure.success && FAILURE_CODES[failure.data.code as FailureCode].kind === 'chemistry')
        values.push({ ...base, feasible: false, objectives: {}, failureCode: failure.data.code });
    }
  }
  if (values.length === 0) return;
  await db
    .insert(observationsTable)
    .values(values)
    .onConflictDoUpdate({
      target: observationsTable.trialId,
      set: {
        recipe: sql`${excluded('recipe')}`,
        feasible: sql`${excluded('feasible')}`,
        objectives: sql`${excluded('objectives')}`,
        failureCode: sql`${excluded('failure_code')}`,
        qualityFlags: sql`${excluded('quality_flags')}`,
        seq: sql`${excluded('seq')}`,
      },
    });
}
