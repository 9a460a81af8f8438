import { afterAll, describe, expect, it } from 'vitest';
import { AdviceGraph } from '../../../../agents/planner/advice-graph.ts';
import { DocumentCheckpointSaver, type CheckpointRecord } from '../../../../agents/planner/document-checkpoint-saver.ts';
import { RulePlanner } from '../../../../agents/planner/rule-planner.ts';
import { DocumentBus } from '../../../../src/protocol/index.ts';
import { SafetyGate } from '../../../../src/safety/safety-gate.ts';
import { attachDocumentSink, openStore, type Store } from '../../../../src/store/index.ts';
import { CASES } from '../../../contract/planner.contract.ts';
import { createTempDatabase, openTempStore, probePostgres, type TempDatabase } from '../../../helpers/db.ts';

const req = { summary: CASES.adviceWarm.summary, k: 2, reason: 'stall' as const };

function countingPlanner(): { planner: RulePlanner; calls: () => number } {
  const planner = new RulePlanner({ gateFor: (s) => new SafetyGate(s) });
  return { planner, calls: () => planner.stats().jobs.advise };
}

describe('AdviceGraph (LangGraph) with checkpoints in the campaign documents', () => {
  it('approves automatically without a human, asking the planner once', async () => {
    const { planner, calls } = countingPlanner();
    const graph = new AdviceGraph({ spec: CASES.adviceWarm.spec, planner, checkpointer: new DocumentCheckpointSaver(() => {}) });
    const r = await graph.run('c:advice:1', req);
    expect(r).toMatchObject({ state: 'done', approved: true, source: 'rules', advice: { strategy: 'diversify' } });
    // Running an answered round again returns its answer without asking.
    expect((await graph.run('c:advice:1', req)).state).toBe('done');
    expect(calls()).toBe(1);
  });

  it('interrupts for a human; a graph restored from the stored checkpoints resumes without asking the planner again', async () => {
    const records: CheckpointRecord[] = [];
    const first = countingPlanner();
    const graph = new AdviceGraph({ spec: CASES.adviceWarm.spec, planner: first.planner, checkpointer: new DocumentCheckpointSaver((r) => records.push(r)), humanApproval: true });
    const paused = await graph.run('c:advice:2', req);
    expect(paused.state).toBe('awaitingApproval');
    expect(first.calls()).toBe(1);
    // A new process: a new planner, the checkpointer rebuilt from the stored operations (JSON, as documents hold them).
    const stored = JSON.parse(JSON.stringify(records)) as CheckpointRecord[];
    const second = countingPlanner();
    const restored = new AdviceGraph({ spec: CASES.adviceWarm.spec, planner: second.planner, checkpointer: await DocumentCheckpointSaver.restore(stored, () => {}), humanApproval: true });
    const done = await restored.run('c:advice:2', undefined, { approved: true });
    expect(done).toMatchObject({ state: 'done', approved: true });
    expect(done.advice).toEqual(paused.advice);
    expect(second.calls()).toBe(0);
  });

  const roundTrip = async (store: Store): Promise<void> => {
    const bus = new DocumentBus();
    const sink = attachDocumentSink(bus, store);
    const campaignId = `graph-${Math.random().toString(36).slice(2, 8)}`;
    const { planner } = countingPlanner();
    const graph = new AdviceGraph({ spec: CASES.adviceWarm.spec, planner, checkpointer: new DocumentCheckpointSaver((r) => bus.publish(campaignId, 'plannerCheckpoint', r)), humanApproval: true });
    expect((await graph.run('r', req)).state).toBe('awaitingApproval');
    await sink.flush();
    sink.detach();
    const docs = await store.documents.after(campaignId, 0, 10_000);
    const records = docs.flatMap((d) => (d.type === 'plannerCheckpoint' ? [d.payload as CheckpointRecord] : []));
    expect(records.length).toBeGreaterThan(2);
    const again = countingPlanner();
    const restored = new AdviceGraph({ spec: CASES.adviceWarm.spec, planner: again.planner, checkpointer: await DocumentCheckpointSaver.restore(records, () => {}), humanApproval: true });
    expect(await restored.run('r', undefined, { approved: false })).toMatchObject({ state: 'done', approved: false });
    expect(again.calls()).toBe(0);
  };

  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup) await c();
  });

  it('stores the checkpoints in PGlite and resumes from them', async () => {
    const store = await openTempStore();
    cleanup.push(() => store.close());
    await roundTrip(store);
  }, 120_000);

  it('stores the checkpoints in PostgreSQL and resumes from them', async () => {
    const probe = await probePostgres();
    if (!probe.available) throw new Error(`PostgreSQL is required for this test: ${probe.reason}`);
    const db: TempDatabase = await createTempDatabase();
    const store = await openStore({ databaseUrl: db.url });
    cleanup.push(async () => (await store.close(), await db.drop()));
    await roundTrip(store);
  }, 120_000);
});
