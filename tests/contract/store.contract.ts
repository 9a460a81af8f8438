import { eq, sql } from 'drizzle-orm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentBus, type LabDocument } from '../../src/protocol/index.ts';
import {
  attachDocumentSink,
  createMeasurementSink,
  DuplicateDocumentError,
  exportCampaign,
  type Store,
} from '../../src/store/index.ts';
import { DEFAULT_MIGRATIONS_FOLDER } from '../../src/store/migrations.ts';
import { rowsOf } from '../../src/store/db.ts';
import { campaignsTable } from '../../src/store/schema.ts';
import { expectedTrials, publishScenario, recipeFor, testSpec, uniqueCampaignId } from '../helpers/db-fixtures.ts';

/**
 * The contract every Store implementation passes (PGlite and PostgreSQL). Tests share one database and isolate by
 * campaign id, so the suite opens as few databases as possible (PGlite start-up is the expensive part).
 */
export interface StoreHarness {
  /** Opens a store on a brand-new database on which migrations run for the first time. */
  openFresh(): Promise<Store>;
  /** Opens another store on the database of `store`. When `concurrent` is false, `store` must be closed first. */
  reopen(store: Store): Promise<Store>;
  /** Whether two stores may be open on one database at once (separate processes sharing PostgreSQL). */
  concurrent: boolean;
  dispose(): Promise<void>;
}

const TABLES = ['campaigns', 'trials', 'suggestions', 'documents', 'measurements', 'observations', 'model_snapshots', 'stations', 'operator_actions', 'console_commands'];
const HOOK_TIMEOUT = 120_000;

/** Prints a measured number next to the test output (the suite reports timings; it is not runtime logging). */
function report(what: string, value: string): void {
  process.stderr.write(`[store contract] ${what}: ${value}\n`);
}

export function storeContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;

    beforeAll(async () => {
      harness = await makeHarness();
      store = await harness.openFresh();
    }, HOOK_TIMEOUT);
    afterAll(async () => {
      await store?.close();
      await harness?.dispose();
    }, HOOK_TIMEOUT);

    const appliedMigrations = async (s: Store) =>
      rowsOf<{ hash: string }>(await s.db.execute(sql`select hash from drizzle.__drizzle_migrations order by created_at`)).length;

    it('applies every migration on a fresh database', async () => {
      const journal = JSON.parse(readFileSync(join(DEFAULT_MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
      expect(await appliedMigrations(store)).toBe(journal.entries.length);
      for (const table of TABLES) {
        const [row] = rowsOf<{ n: unknown }>(await store.db.execute(sql.raw(`select count(*) as n from ${table}`)));
        expect(Number(row?.n), table).toBe(0);
      }
    });

    it('re-opens idempotently and keeps the data', async () => {
      const id = uniqueCampaignId('reopen');
      await store.campaigns.upsert({ spec: testSpec(id), seed: 3 });
      const before = await appliedMigrations(store);
      if (!harness.concurrent) await store.close();
      const again = await harness.reopen(store);
      if (harness.concurrent) await store.close();
      store = again;
      expect(await appliedMigrations(store)).toBe(before);
      const c = await store.campaigns.get(id);
      expect(c?.seed).toBe(3);
      expect(c?.spec.id).toBe(id);
      expect(c?.state).toBe('running');
    }, HOOK_TIMEOUT);

    it('appends documents and replays them after a sequence number, in order', async () => {
      const bus = new DocumentBus();
      const a = uniqueCampaignId('docs-a');
      const b = uniqueCampaignId('docs-b');
      const docs: LabDocument[] = [];
      for (let i = 0; i < 25; i++) {
        docs.push(bus.publish(a, 'operatorAction', { actor: 'ada', action: `step-${i}`, accepted: i % 2 === 0, ...(i % 3 === 0 ? { reason: 'why, "quoted"' } : {}) }));
        if (i % 2 === 0) docs.push(bus.publish(b, 'campaignState', { state: 'running' }));
      }
      await store.documents.append(docs.slice(0, 20));
      await store.documents.append(docs.slice(20));
      const onlyA = docs.filter((d) => d.campaignId === a);
      expect(await store.documents.after(a, 0)).toEqual(onlyA);
      expect((await store.documents.after(a, 10, 5)).map((d) => d.seq)).toEqual([11, 12, 13, 14, 15]);
      expect(await store.documents.after(a, 25)).toEqual([]);
      expect(await store.documents.lastSeq(a)).toBe(25);
      expect(await store.documents.lastSeq(b)).toBe(13);
      expect(await store.documents.lastSeq(uniqueCampaignId('none'))).toBe(0);
      expect(await store.documents.checkSequence(a)).toEqual({ count: 25, lastSeq: 25, gapless: true });
    });

    it('refuses a duplicate (campaign, seq) and stores nothing of that batch', async () => {
      const bus = new DocumentBus();
      const id = uniqueCampaignId('dup');
      const docs = [1, 2, 3].map((i) => bus.publish(id, 'campaignState', { state: 'running', reason: `r${i}` }));
      await store.documents.append(docs);
      const next = bus.publish(id, 'campaignState', { state: 'paused' });
      const clash = { ...docs[1]!, payload: { state: 'aborted' } } as LabDocument;
      await expect(store.documents.append([next, clash])).rejects.toBeInstanceOf(DuplicateDocumentError);
      expect(await store.documents.count(id)).toBe(3);
      expect((await store.documents.after(id, 1, 1))[0]?.payload).toEqual({ state: 'running', reason: 'r2' });
      // Append-only: rows cannot be changed or removed.
      const refused = (e: unknown) => /append-only/.test(String((e as { cause?: Error }).cause?.message));
      await expect(store.db.execute(sql`update documents set type = 'x' where campaign_id = ${id} and seq = 1`)).rejects.toSatisfy(refused);
      await expect(store.db.execute(sql`delete from documents where campaign_id = ${id}`)).rejects.toSatisfy(refused);
      expect(await store.documents.count(id)).toBe(3);
    });

    it('projects documents: trials equal the trialState documents, plus suggestions, observations, stations, snapshots, actions', async () => {
      const bus = new DocumentBus();
      const sink = attachDocumentSink(bus, store, { batchSize: 7 });
      const id = uniqueCampaignId('proj');
      const docs = publishScenario(bus, id);
      await sink.flush();
      sink.detach();
      expect(sink.stats()).toMatchObject({ written: docs.length, dropped: 0, duplicates: 0, projectionErrors: 0 });
      expect(await store.documents.after(id, 0, 10_000)).toEqual(docs);

      const trials = await store.trials.list(id);
      const expected = expectedTrials(docs);
      expect(
        trials.map((t) => ({
          id: t.id,
          index: t.index,
          status: t.status,
          attempts: t.attempts,
          proposer: t.proposer,
          recipe: t.recipe,
          suggestionId: t.suggestionId,
          ...(t.station === undefined ? {} : { station: t.station }),
          ...(t.failure === undefined ? {} : { failureCode: t.failure.code }),
          ...(t.objectives === undefined ? {} : { objectives: t.objectives }),
        })),
      ).toEqual(expected);
      expect(await store.trials.get(`${id}-t3`)).toMatchObject({ status: 'completed', attempts: 1, station: 'pair-0', objectives: { eta10: 0.402, tafel: 60.5 } });
      expect((await store.trials.list(id, { status: ['failed', 'blocked'] })).map((t) => t.index)).toEqual([2, 4]);

      const campaign = await store.campaigns.get(id);
      expect(campaign).toMatchObject({ state: 'paused', stateReason: 'operator', seed: 7, title: `Store test ${id}` });

      const suggestions = await store.suggestions.list(id);
      expect(suggestions).toHaveLength(6);
      expect(suggestions[2]).toMatchObject({ id: `${id}-t2-s`, trialId: `${id}-t2`, proposer: 'bo', acquisitionValue: 0.2, recipe: recipeFor(2) });

      const observations = await store.observations.list(id);
      expect(observations.map((o) => [o.trialId, o.feasible, o.failureCode ?? null])).toEqual([
        [`${id}-t0`, true, null],
        [`${id}-t1`, true, null],
        [`${id}-t2`, false, 'PRECIPITATION'],
        [`${id}-t3`, true, null],
      ]);
      expect(observations[3]).toMatchObject({ objectives: { eta10: 0.402, tafel: 60.5 }, qualityFlags: ['ok'], recipe: recipeFor(3) });
      expect(observations[0]?.qualityFlags).toEqual(['noisy']);

      const stations = await store.stations.list(id);
      expect(stations.map((s) => s.id)).toEqual(['pair-1']);
      expect(stations[0]).toMatchObject({ state: 'busy', device: 'pair-1-lh', quarantined: true, activeRunId: 'x' });
      expect(Object.keys(stations[0]!.devices).sort()).toEqual(['pair-1-lh', 'pair-1-pstat']);

      expect(await store.modelSnapshots.latest(id)).toMatchObject({ id: `${id}-snap-1`, agent: 'sobol', hyperparameters: { lengthscale: [0.5, 0.2] } });
      // Summaries are the snapshots without their parity points, which the export does not read.
      const snapshots = await store.modelSnapshots.list(id);
      expect(snapshots[0]?.parity).toHaveLength(2);
      expect(await store.modelSnapshots.summaries(id)).toEqual(snapshots.map(({ parity: _parity, ...rest }) => rest));
      expect((await store.modelSnapshots.latestWithParity(id))?.id).toBe(`${id}-snap-1`);
      expect(await store.operatorActions.list(id)).toMatchObject([{ actor: 'ada', action: 'quarantine', target: 'pair-1', accepted: true }]);

      const summary = (await store.campaigns.list()).find((c) => c.id === id);
      expect(summary).toMatchObject({ trialTotal: 6, lastSeq: docs.length, trialCounts: { completed: 3, failed: 1, blocked: 1, running: 1 } });

      const exported = await exportCampaign(store, id);
      expect(exported.rows.map((r) => r['status'])).toEqual(trials.map((t) => t.status));
      expect(exported).toMatchObject({ documentCount: docs.length, gapless: true, observationCount: 4, best: { eta10: { value: 0.3125, index: 1 } } });
      expect(exported.modelSnapshots.map((m) => m.snapshotId)).toContain(`${id}-snap-1`);
      expect(exported.suggestions).toHaveLength(6);
      // Documents of one type, in sequence order (the export's best estimate is the latest bestEstimate).
      const states = await store.documents.ofType(id, 'trialState');
      expect(states.length).toBeGreaterThan(0);
      expect(states.every((d) => d.type === 'trialState')).toBe(true);
      expect(states.map((d) => d.seq)).toEqual([...states.map((d) => d.seq)].sort((a, b) => a - b));
      expect(await store.documents.ofType(id, 'bestEstimate')).toEqual([]);
    });

    it('round-trips measurement arrays exactly (float64, NaN, ±Infinity, -0, subnormals)', async () => {
      const id = uniqueCampaignId('meas');
      const bits = new DataView(new ArrayBuffer(8));
      let x = 0x9e3779b9;
      const randomFloat = () => {
        for (let i = 0; i < 8; i++) {
          x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
          bits.setUint8(i, x >>> 24);
        }
        return bits.getFloat64(0);
      };
      const special = [0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, 2.2250738585072014e-308, 0.1 + 0.2, 1 / 3];
      const lsv = { E_V_RHE: Array.from({ length: 2000 }, randomFloat), j_mA_cm2: Array.from({ length: 2000 }, (_, i) => Math.sin(i) * 1e-7), t_s: special, empty: [] };
      const sink = createMeasurementSink(store);
      await sink.write({ id: `${id}-m1`, campaignId: id, trialId: `${id}-t`, runId: 'r1', technique: 'LSV', arrays: lsv, features: { eta10_V: 0.33 }, flags: ['noisy'] });
      await sink.write({ id: `${id}-m2`, campaignId: id, trialId: `${id}-t`, runId: 'r1', technique: 'PEIS', stream: 'eis', arrays: { f_Hz: [1e5, 1, 0.1] }, conditions: { electrolyte: '1 M KOH', pH: 14, temperature: 25, area: 0.0707, referenceElectrode: 'Hg/HgO', referenceOffset_V_RHE: 0.926 } });
      await sink.write({ id: `${id}-m1`, campaignId: id, trialId: `${id}-t`, runId: 'r1', technique: 'LSV', arrays: { other: [1] } }); // same id: skipped
      await sink.flush();
      expect(sink.stats()).toMatchObject({ dropped: 0, invalid: 0 });
      const stored = await store.measurements.listByTrial(`${id}-t`);
      expect(stored.map((m) => m.id)).toEqual([`${id}-m1`, `${id}-m2`]);
      const m1 = stored[0]!;
      expect(Object.keys(m1.arrays)).toEqual(Object.keys(lsv));
      for (const [key, values] of Object.entries(lsv)) {
        const got = m1.arrays[key]!;
        expect(got.length, key).toBe(values.length);
        values.forEach((v, i) => {
          if (!Object.is(got[i], v)) expect.fail(`${key}[${i}]: stored ${got[i]} but wrote ${v}`);
        });
      }
      expect(m1).toMatchObject({ technique: 'LSV', stream: 'LSV', features: { eta10_V: 0.33 }, flags: ['noisy'] });
      expect(stored[1]).toMatchObject({ stream: 'eis', conditions: { referenceElectrode: 'Hg/HgO' }, arrays: { f_Hz: [1e5, 1, 0.1] } });
    });

    it('stores curves as float64 bytes and still reads rows written as float8[] text before migration 0003', async () => {
      const id = uniqueCampaignId('meas-bytes');
      const values = [1.5, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, 0.1 + 0.2];
      const sink = createMeasurementSink(store);
      await sink.write({ id: `${id}-new`, campaignId: id, trialId: `${id}-t`, runId: 'r1', technique: 'LSV', arrays: { a: values.slice(0, 3), b: values.slice(3) } });
      await sink.flush();
      const stored = rowsOf<{ bytes: number; values: unknown }>(
        await store.db.execute(sql`select octet_length(array_data) as bytes, array_values as values from measurements where id = ${`${id}-new`}`),
      );
      expect(stored.map((r) => ({ bytes: Number(r.bytes), values: r.values }))).toEqual([{ bytes: 8 * values.length, values: null }]);
      // A row in the layout of ADR 0005 (values as float8[] text, no bytes), as databases made before 0003 hold them.
      await store.db.execute(sql`insert into measurements (id, campaign_id, trial_id, run_id, technique, stream, array_keys, array_lengths, array_values, features, flags)
        values (${`${id}-old`}, ${id}, ${`${id}-t`}, 'r0', 'PEIS', 'eis', ${'{f_Hz,Zre_ohm}'}::text[], ${'{2,1}'}::integer[], ${'{100000,-0,NaN}'}::float8[], '{}'::jsonb, ${'{}'}::text[])`);
      const [oldRow, newRow] = await Promise.all([store.measurements.get(`${id}-old`), store.measurements.get(`${id}-new`)]);
      expect(oldRow?.arrays).toEqual({ f_Hz: [1e5, -0], Zre_ohm: [NaN] });
      expect(Object.is(oldRow?.arrays['f_Hz']?.[1], -0)).toBe(true);
      expect(newRow?.arrays).toEqual({ a: [1.5, -0, NaN], b: [Infinity, -Infinity, Number.MIN_VALUE, 0.1 + 0.2] });
      expect(Object.is(newRow?.arrays['a']?.[1], -0)).toBe(true);
      expect((await store.measurements.listByTrial(`${id}-t`)).map((m) => m.id).sort()).toEqual([`${id}-new`, `${id}-old`]);
    });

    it('leases: a second owner cannot take a live lease but takes an expired one', async () => {
      const other = harness.concurrent ? await harness.reopen(store) : store;
      try {
        const id = uniqueCampaignId('lease');
        await store.campaigns.upsert({ spec: testSpec(id), seed: 1 });
        const a = await store.campaigns.acquireLease(id, 'proc-a', 10_000);
        expect(a?.owner).toBe('proc-a');
        expect(await other.campaigns.acquireLease(id, 'proc-b', 10_000)).toBeUndefined();
        expect(await other.campaigns.renewLease(id, 'proc-b', 10_000)).toBeUndefined();
        expect(await other.campaigns.releaseLease(id, 'proc-b')).toBe(false);
        const renewed = await store.campaigns.renewLease(id, 'proc-a', 300);
        expect(renewed?.expiresAt.getTime()).toBeLessThan(a!.expiresAt.getTime());
        expect((await store.campaigns.get(id))?.owner).toBe('proc-a');
        await new Promise((r) => setTimeout(r, 450));
        const b = await other.campaigns.acquireLease(id, 'proc-b', 10_000);
        expect(b?.owner).toBe('proc-b');
        expect(await store.campaigns.renewLease(id, 'proc-a', 10_000)).toBeUndefined();
        expect(await other.campaigns.releaseLease(id, 'proc-b')).toBe(true);
        expect(await store.campaigns.acquireLease(id, 'proc-a', 10_000)).toBeDefined();

        // Racing claimers: exactly one wins each campaign.
        const ids = [1, 2, 3, 4].map(() => uniqueCampaignId('race'));
        for (const rid of ids) await store.campaigns.upsert({ spec: testSpec(rid), seed: 1 });
        const results = await Promise.all(ids.flatMap((rid) => [store.campaigns.acquireLease(rid, 'x', 10_000), other.campaigns.acquireLease(rid, 'y', 10_000)]));
        for (let i = 0; i < ids.length; i++) expect([results[2 * i], results[2 * i + 1]].filter(Boolean)).toHaveLength(1);

        // Take-over of any campaign whose owner died.
        const orphan = uniqueCampaignId('orphan');
        await store.campaigns.upsert({ spec: testSpec(orphan), seed: 1 });
        await store.campaigns.acquireLease(orphan, 'dead', 1);
        await new Promise((r) => setTimeout(r, 20));
        const taken: string[] = [];
        for (let i = 0; i < 1000; i++) {
          const lease = await other.campaigns.acquireNextLease('heir', 10_000);
          if (lease === undefined) break;
          taken.push(lease.campaignId);
        }
        expect(new Set(taken).size).toBe(taken.length);
        expect(taken).toContain(orphan);
        expect(taken).not.toContain(id);
        expect(await store.campaigns.setState(orphan, 'completed')).toBe(true);
        expect(await store.campaigns.setState(uniqueCampaignId('missing'), 'completed')).toBe(false);
      } finally {
        if (other !== store) await other.close();
      }
    });

    it('leases: claimCampaign creates and leases in one step, refuses a live holder, publishes pending decisions', async () => {
      const other = harness.concurrent ? await harness.reopen(store) : store;
      try {
        const id = uniqueCampaignId('claim');
        const spec = testSpec('claim-spec');
        const a = await store.campaigns.claimCampaign({ campaignId: id, spec, seed: 4 }, 'runner-a', 10_000);
        expect(a).toMatchObject({ campaignId: id, owner: 'runner-a' });
        const row = await store.campaigns.get(id);
        expect(row).toMatchObject({ id, seed: 4, state: 'running', owner: 'runner-a' });
        expect(row?.spec.id).toBe('claim-spec');
        // A second runner is refused while the lease is live; the holder may claim again (idempotent).
        expect(await other.campaigns.claimCampaign({ campaignId: id, spec, seed: 9 }, 'runner-b', 10_000)).toBeUndefined();
        expect(await store.campaigns.claimCampaign({ campaignId: id, spec, seed: 9 }, 'runner-a', 10_000)).toBeDefined();
        expect((await store.campaigns.get(id))?.seed).toBe(4);
        expect(await other.campaigns.liveLease(id)).toMatchObject({ owner: 'runner-a' });
        expect((await other.campaigns.liveLeases()).map((l) => l.campaignId)).toContain(id);

        // Pending decisions: only the holder writes them; readers see them while the lease is live.
        expect(await other.campaigns.pendingDecisions(id)).toBeUndefined();
        expect(await other.campaigns.setPendingDecisions(id, 'runner-b', { approvals: ['t9'], recoveries: [] })).toBe(false);
        expect(await store.campaigns.setPendingDecisions(id, 'runner-a', { approvals: ['t1', 't2'], recoveries: ['t0'] })).toBe(true);
        expect(await other.campaigns.pendingDecisions(id)).toEqual({ approvals: ['t1', 't2'], recoveries: ['t0'] });
        await store.db.update(campaignsTable).set({ pendingDecisions: { approvals: 'nope' } }).where(eq(campaignsTable.id, id));
        expect(await other.campaigns.pendingDecisions(id)).toBeUndefined();

        // Expired: no longer live, and another runner takes it over.
        expect(await store.campaigns.renewLease(id, 'runner-a', 200)).toBeDefined();
        await new Promise((r) => setTimeout(r, 350));
        expect(await other.campaigns.liveLease(id)).toBeUndefined();
        expect((await other.campaigns.liveLeases()).map((l) => l.campaignId)).not.toContain(id);
        expect(await other.campaigns.claimCampaign({ campaignId: id, spec, seed: 4 }, 'runner-b', 10_000)).toMatchObject({ owner: 'runner-b' });
        expect(await store.campaigns.renewLease(id, 'runner-a', 10_000)).toBeUndefined();
        expect(await other.campaigns.setPendingDecisions(id, 'runner-b', { approvals: ['t3'], recoveries: [] })).toBe(true);
        expect(await other.campaigns.releaseLease(id, 'runner-b')).toBe(true);
        expect(await store.campaigns.liveLease(id)).toBeUndefined();
        expect(await store.campaigns.pendingDecisions(id)).toBeUndefined();
        expect((await store.campaigns.get(id))?.owner).toBeUndefined();
      } finally {
        if (other !== store) await other.close();
      }
    });

    it('console commands: queued only under a live lease, claimed exactly once, claimed and expired exclude each other', async () => {
      const other = harness.concurrent ? await harness.reopen(store) : store;
      try {
        const id = uniqueCampaignId('cmdq');
        const cmd = (n: number) => ({ action: 'pause', campaignId: id, n });
        const enqueue = (s: Store, key: string, extra: { refusal?: string; ttlMs?: number } = {}) =>
          s.consoleCommands.enqueue({ id: `${id}-${key}`, campaignId: id, command: cmd(Number(key.replace(/\D/g, '') || 0)), actor: 'ada', ttlMs: 10_000, ...extra });

        // No campaign, then no lease: nothing is queued.
        expect(await enqueue(other, 'c0')).toBeUndefined();
        await store.campaigns.upsert({ spec: testSpec(id), seed: 1 });
        expect(await enqueue(other, 'c0')).toBeUndefined();
        expect(await store.consoleCommands.list(id)).toEqual([]);

        expect(await store.campaigns.acquireLease(id, 'runner', 10_000)).toBeDefined();
        const c1 = await enqueue(other, 'c1');
        expect(c1).toMatchObject({ id: `${id}-c1`, campaignId: id, command: cmd(1), actor: 'ada', state: 'pending', refusal: undefined });
        expect(c1!.expiresAt.getTime()).toBeGreaterThan(c1!.createdAt.getTime());
        await enqueue(other, 'c2', { refusal: 'forbidden: viewer' });

        // Only the lease holder claims, oldest first, each row once.
        expect(await other.consoleCommands.claim('intruder', [id], 10)).toEqual([]);
        const claimed = await store.consoleCommands.claim('runner', [id], 10);
        expect(claimed.map((c) => [c.id, c.state, c.claimedBy, c.refusal])).toEqual([
          [`${id}-c1`, 'claimed', 'runner', undefined],
          [`${id}-c2`, 'claimed', 'runner', 'forbidden: viewer'],
        ]);
        expect(await store.consoleCommands.claim('runner', [id], 10)).toEqual([]);
        expect(await other.consoleCommands.expire(`${id}-c1`, 'too late')).toBe(false);
        expect(await other.consoleCommands.complete(`${id}-c1`, 'intruder', { accepted: true })).toBe(false);
        expect(await store.consoleCommands.complete(`${id}-c1`, 'runner', { accepted: true, detail: 'ok' })).toBe(true);
        expect(await store.consoleCommands.complete(`${id}-c1`, 'runner', { accepted: false, reason: 'again' })).toBe(false);
        expect(await store.consoleCommands.complete(`${id}-c2`, 'runner', { accepted: false, reason: 'forbidden: viewer' })).toBe(true);
        expect(await other.consoleCommands.get(`${id}-c1`)).toMatchObject({ state: 'accepted', detail: 'ok' });
        expect(await other.consoleCommands.get(`${id}-c2`)).toMatchObject({ state: 'refused', reason: 'forbidden: viewer' });
        expect((await other.consoleCommands.get(`${id}-c1`))?.handledAt).toBeInstanceOf(Date);

        // Expired by its waiter: never claimed afterwards. Past its deadline: never claimed, swept by expireOverdue.
        await enqueue(other, 'c3');
        expect(await other.consoleCommands.expire(`${id}-c3`, 'no process answered')).toBe(true);
        expect(await other.consoleCommands.expire(`${id}-c3`, 'again')).toBe(false);
        await enqueue(other, 'c4', { ttlMs: 1 });
        await new Promise((r) => setTimeout(r, 20));
        expect(await store.consoleCommands.claim('runner', [id], 10)).toEqual([]);
        expect(await store.consoleCommands.expireOverdue([id])).toBe(1);
        expect(await other.consoleCommands.get(`${id}-c3`)).toMatchObject({ state: 'expired', reason: 'no process answered' });
        expect((await other.consoleCommands.get(`${id}-c4`))?.state).toBe('expired');

        // Racing claimers (two connections, or two calls on one): every command is claimed exactly once.
        const keys = Array.from({ length: 20 }, (_, i) => `r${i + 10}`);
        for (const k of keys) await enqueue(other, k);
        const rounds = await Promise.all([0, 1, 2, 3].map((i) => (i % 2 === 0 ? store : other).consoleCommands.claim('runner', [id], 7)));
        const again = await store.consoleCommands.claim('runner', [id], 100);
        const all = [...rounds.flat(), ...again].map((c) => c.id);
        expect(all.sort()).toEqual(keys.map((k) => `${id}-${k}`).sort());

        // A lease lost (expired) stops claiming; the runner's release refuses what is left.
        await enqueue(other, 'c5');
        expect(await store.campaigns.renewLease(id, 'runner', 1)).toBeDefined();
        await new Promise((r) => setTimeout(r, 20));
        expect(await store.consoleCommands.claim('runner', [id], 10)).toEqual([]);
        expect(await enqueue(other, 'c6')).toBeUndefined();
        expect(await store.consoleCommands.refusePending(id, 'the campaign ended')).toBe(1);
        expect(await other.consoleCommands.get(`${id}-c5`)).toMatchObject({ state: 'refused', reason: 'the campaign ended' });
        await expect(store.consoleCommands.enqueue({ id: `${id}-bad`, campaignId: id, command: {}, actor: 'ada', ttlMs: 0 })).rejects.toThrow(/ttl/);
      } finally {
        if (other !== store) await other.close();
      }
    });

    it('writes 10k documents in batches in a few seconds', async () => {
      const id = uniqueCampaignId('bulk');
      const bus = new DocumentBus();
      const sink = attachDocumentSink(bus, store);
      const docs: LabDocument[] = [];
      const started = performance.now();
      docs.push(bus.publish(id, 'campaignStart', { spec: testSpec(id), seed: 1, resumed: false }));
      for (let t = 0; docs.length < 10_000; t++) {
        const trialId = `${id}-t${t}`;
        const base = { trialId, index: t, recipe: recipeFor(t), proposer: 'bo', attempt: 0 };
        docs.push(bus.publish(id, 'trialState', { ...base, from: null, to: 'proposed' }));
        docs.push(bus.publish(id, 'trialState', { ...base, from: 'proposed', to: 'approved' }));
        docs.push(bus.publish(id, 'trialState', { ...base, from: 'approved', to: 'queued', station: 'pair-0' }));
        docs.push(bus.publish(id, 'trialState', { ...base, from: 'queued', to: 'running', station: 'pair-0' }));
        for (let e = 0; e < 4; e++)
          docs.push(bus.publish(id, 'event', { runId: `${trialId}-r`, trialId, stream: 'LSV', measurementId: `${trialId}-m${e}`, features: { eta10_V: 0.3 + e / 100 }, flags: [] }));
        docs.push(bus.publish(id, 'runStop', { runId: `${trialId}-r`, trialId, status: 'completed', objectives: { eta10: 0.3 + t / 1e4 }, duration_s: 60 }));
        docs.push(bus.publish(id, 'trialState', { ...base, from: 'running', to: 'completed', station: 'pair-0' }));
      }
      const published = performance.now();
      await sink.flush();
      const sinkMs = performance.now() - started;
      expect(sink.stats()).toMatchObject({ written: docs.length, dropped: 0 });
      expect(await store.documents.checkSequence(id)).toEqual({ count: docs.length, lastSeq: docs.length, gapless: true });
      expect((await store.trials.list(id, { status: 'completed' })).length).toBe(1000);

      const raw = uniqueCampaignId('bulk-raw');
      const rawDocs = docs.map((d) => ({ ...d, campaignId: raw }));
      const t0 = performance.now();
      for (let i = 0; i < rawDocs.length; i += 1000) await store.documents.append(rawDocs.slice(i, i + 1000));
      const appendMs = performance.now() - t0;
      const t1 = performance.now();
      let replayed = 0;
      for (let seq = 0; ; ) {
        const page = await store.documents.after(raw, seq, 2000);
        if (page.length === 0) break;
        replayed += page.length;
        seq = page[page.length - 1]!.seq;
      }
      const replayMs = performance.now() - t1;
      expect(replayed).toBe(docs.length);
      report(`${name}: 10k documents through the sink (with projections)`, `${Math.round(sinkMs)} ms (publishing ${Math.round(published - started)} ms)`);
      report(`${name}: 10k documents appended in batches of 1000`, `${Math.round(appendMs)} ms`);
      report(`${name}: 10k documents replayed in pages of 2000`, `${Math.round(replayMs)} ms`);
      expect(sinkMs).toBeLessThan(30_000);
    }, 60_000);
  });
}
