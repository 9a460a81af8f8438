import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceJournal } from '../../../simulators/device-journal.ts';
import { auditCampaign } from '../../../src/app/campaign-audit.ts';
import { parseDocument, type LabDocument } from '../../../src/protocol/index.ts';
import type { Store } from '../../../src/store/store.ts';
import { openTempStore } from '../../helpers/db.ts';
import { defaultSpec, goodRecipe } from '../../helpers/default-spec.ts';

/** `labloop audit`: a healthy campaign passes; each invariant, broken on purpose, is reported and fails the audit. */

let store: Store;
const dirs: string[] = [];
beforeAll(async () => {
  store = await openTempStore();
});
afterAll(async () => {
  await store.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 0, 1);

function doc(campaignId: string, seq: number, type: LabDocument['type'], payload: unknown): LabDocument {
  return parseDocument({ v: 1, campaignId, seq, time: new Date(T0 + seq * 1000).toISOString(), type, payload });
}

interface Fixture {
  id: string;
  journal: string;
  docs: LabDocument[];
}

/** A one-trial campaign that completed cleanly: its documents, its measurement, its devices' logs. */
function healthy(id: string): Fixture {
  const journal = mkdtempSync(path.join(tmpdir(), 'labloop-audit-'));
  dirs.push(journal);
  const spec = defaultSpec({ id });
  const trial = { trialId: 't1', index: 0, recipe: goodRecipe, proposer: 'rules', station: 'pair1', attempt: 0 };
  const docs = [
    doc(id, 1, 'campaignStart', { spec, seed: 1, resumed: false, run: { runId: 'r1', kind: 'dry-run', clock: 'instant', lab: { kind: 'simulated', transport: 'sim', faultRate: 0, journal }, virtualStart_s: 0 } }),
    doc(id, 2, 'trialState', { ...trial, from: null, to: 'proposed' }),
    doc(id, 3, 'trialState', { ...trial, from: 'proposed', to: 'approved' }),
    doc(id, 4, 'trialState', { ...trial, from: 'approved', to: 'queued' }),
    doc(id, 5, 'trialState', { ...trial, from: 'queued', to: 'running' }),
    doc(id, 6, 'event', { runId: 'run1', trialId: 't1', stream: 'LSV', measurementId: `${id}-m1`, features: { eta10: 0.3 } }),
    doc(id, 7, 'trialState', { ...trial, from: 'running', to: 'completed', objectives: { eta10: 0.3 } }),
    doc(id, 8, 'campaignState', { state: 'completed' }),
  ];
  const lh = new DeviceJournal(journal, 'lh-pair1');
  lh.accepted('t1.a0.s0.r0', '{}');
  lh.done('t1.a0.s0.r0', { status: 'succeeded' });
  const ps = new DeviceJournal(journal, 'ps-pair1');
  ps.accepted('t1.a0.s1.r0', '{}');
  ps.done('t1.a0.s1.r0', { status: 'succeeded' });
  return { id, journal, docs };
}

async function store_(f: Fixture, opts: { measurement?: boolean; state?: 'completed' | 'paused' } = {}): Promise<void> {
  await store.campaigns.upsert({ spec: defaultSpec({ id: f.id }), seed: 1, state: opts.state ?? 'completed' });
  await store.documents.append(f.docs);
  if (opts.measurement !== false)
    await store.measurements.insert([{ id: `${f.id}-m1`, campaignId: f.id, trialId: 't1', runId: 'run1', technique: 'LSV', arrays: { E_V: [0, 1], I_A: [0, 1] }, features: { eta10: 0.3 } }]);
}

function broken(report: Awaited<ReturnType<typeof auditCampaign>>): string[] {
  return (report?.checks ?? []).filter((c) => !c.ok).map((c) => c.name);
}

describe('campaign audit', () => {
  it('passes a campaign whose every invariant holds', async () => {
    const f = healthy('audit-ok');
    await store_(f);
    const report = await auditCampaign(store, f.id);
    expect(report?.ok).toBe(true);
    expect(report?.checks.map((c) => c.name)).toEqual(['commands-at-most-once', 'measurements-stored', 'sequence-gapless', 'trials-terminal-or-resumable']);
    expect(report?.checks[0]?.detail).toBe('2 commandIds, 2 executions in 1 device-log folder(s)');
  });

  it('fails when a device executed a commandId twice (its own run log counts)', async () => {
    const f = healthy('audit-dup');
    await store_(f);
    new DeviceJournal(f.journal, 'ps-pair1').accepted('t1.a0.s1.r0', '{}');
    const report = await auditCampaign(store, f.id);
    expect(broken(report)).toEqual(['commands-at-most-once']);
    expect(report?.checks[0]?.violations[0]).toBe('t1.a0.s1.r0 executed 2× (ps-pair1, ps-pair1)');
  });

  it('fails when an event names a measurement that is not stored, and a completed trial has none', async () => {
    const f = healthy('audit-lost');
    await store_(f, { measurement: false });
    const report = await auditCampaign(store, f.id);
    expect(broken(report)).toEqual(['measurements-stored']);
    expect(report?.checks[1]?.violations).toEqual(['measurement audit-lost-m1 of trial t1 (document 6) is not stored', 'completed trial #0 (t1) has no stored measurement']);
  });

  it('fails when the document sequence has a gap', async () => {
    const f = healthy('audit-gap');
    f.docs = f.docs.filter((d) => d.seq !== 4);
    await store_(f);
    const report = await auditCampaign(store, f.id);
    expect(broken(report)).toEqual(['sequence-gapless']);
    expect(report?.checks[2]?.violations[0]).toBe('document 4 expected, found 5');
  });

  it('fails when an ended campaign leaves a trial running; a paused one may (it is resumable)', async () => {
    const f = healthy('audit-stuck');
    f.docs = f.docs.filter((d) => d.seq < 6);
    await store_(f, { measurement: false });
    const report = await auditCampaign(store, f.id);
    expect(broken(report)).toEqual(['trials-terminal-or-resumable']);
    expect(report?.checks[3]?.violations[0]).toBe('trial #0 (t1) is running but the campaign has ended (completed)');
    await store.campaigns.setState(f.id, 'paused');
    expect((await auditCampaign(store, f.id))?.ok).toBe(true);
  });

  it('answers undefined for a campaign that is not stored', async () => {
    expect(await auditCampaign(store, 'nope')).toBeUndefined();
  });
});
