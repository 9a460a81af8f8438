import { afterEach, describe, expect, it } from 'vitest';
import type { LabDocument } from '../../src/protocol/index.ts';
import { startConsoleDryRun, type ConsoleDryRun } from '../unit/console/dry-run-harness.ts';
import { TestClient, TOKENS, waitFor } from '../unit/console/server-harness.ts';

/**
 * The command API end to end without a browser: a dry run with its console, socket.io clients sending commands,
 * the database (read through the console's REST API) checked after each.
 */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const docsOf = (c: TestClient): LabDocument[] => c.messages.flatMap((m) => m.docs);
const ofType = <T extends LabDocument['type']>(docs: LabDocument[], type: T) => docs.filter((d): d is Extract<LabDocument, { type: T }> => d.type === type);

async function client(run: ConsoleDryRun, token: string): Promise<TestClient> {
  const c = new TestClient(run.url, token);
  cleanups.push(() => c.close());
  await c.connected();
  expect(await c.subscribe(run.campaignId)).toMatchObject({ ok: true, controllable: true });
  return c;
}

describe('console commands on a running dry run', () => {
  it('pause stops dispatching (checked in the database), resume continues; quarantine and release; viewers refused; every attempt recorded with its actor', async () => {
    const run = await startConsoleDryRun({ trials: 8, stations: 2, speed: 1500 });
    cleanups.push(() => run.release());
    const id = run.campaignId;
    const op = await client(run, TOKENS.operator);
    const viewer = await client(run, TOKENS.viewer);
    const cmd = (c: TestClient, body: Record<string, unknown>) => c.request('command', { campaignId: id, ...body });

    await waitFor(() => ofType(docsOf(op), 'runStart').length >= 2, 20_000, 'two runs');
    expect(await cmd(op, { action: 'pause' })).toEqual({ ok: true });
    await waitFor(() => ofType(docsOf(op), 'campaignState').some((d) => d.payload.state === 'paused'));
    const stateInDb = async () => (await run.api<{ campaign: { state: string } }>(`/api/campaigns/${encodeURIComponent(id)}`)).campaign.state;
    for (let i = 0; i < 100 && (await stateInDb()) !== 'paused'; i++) await sleep(20);
    expect(await stateInDb()).toBe('paused');
    await sleep(400);
    const runsAtPause = ofType(await run.documents(), 'runStart').length;
    await sleep(1500); // about one and a half trial durations at this speed
    expect(ofType(await run.documents(), 'runStart').length).toBe(runsAtPause);
    expect(await cmd(op, { action: 'pause' })).toMatchObject({ ok: false, code: 'refused', error: expect.stringMatching(/paused, not running/) });
    expect(await cmd(viewer, { action: 'resume' })).toMatchObject({ ok: false, code: 'forbidden' });

    expect(await cmd(op, { action: 'resume' })).toEqual({ ok: true });
    await waitFor(() => ofType(docsOf(op), 'runStart').length > runsAtPause, 20_000, 'a run after resume');

    expect(await cmd(op, { action: 'quarantine', station: 'pair2', message: 'leaking tubing' })).toEqual({ ok: true });
    await waitFor(() => ofType(docsOf(op), 'stationState').some((d) => d.payload.station === 'pair2' && d.payload.quarantined));
    expect(await cmd(op, { action: 'quarantine', station: 'pair2' })).toMatchObject({ ok: false, error: expect.stringMatching(/already quarantined/) });
    expect(await cmd(op, { action: 'quarantine', station: 'pair9' })).toMatchObject({ ok: false, error: expect.stringMatching(/no station/) });
    expect(await cmd(op, { action: 'release', station: 'pair2' })).toEqual({ ok: true });
    await waitFor(() => ofType(docsOf(op), 'stationState').some((d) => d.payload.station === 'pair2' && !d.payload.quarantined && /released/.test(d.payload.message ?? '')));
    expect(await cmd(op, { action: 'approve', trialId: 'X1' })).toMatchObject({ ok: false, error: expect.stringMatching(/automatic approval/) });

    await run.ended;
    const actions = (await run.api<{ actions: { actor: string; action: string; accepted: boolean; target?: string; reason?: string }[] }>(`/api/campaigns/${encodeURIComponent(id)}/actions`)).actions;
    expect(actions.map((a) => [a.actor, a.action, a.accepted, a.target ?? null])).toEqual([
      ['ada', 'pause', true, null],
      ['ada', 'pause', false, null],
      ['vic', 'resume', false, null],
      ['ada', 'resume', true, null],
      ['ada', 'quarantine', true, 'pair2'],
      ['ada', 'quarantine', false, 'pair2'],
      ['ada', 'quarantine', false, 'pair9'],
      ['ada', 'release', true, 'pair2'],
      ['ada', 'approve', false, 'X1'],
    ]);
    expect(actions[2]?.reason).toMatch(/viewer/);
    expect(JSON.stringify(await run.documents())).not.toContain(TOKENS.operator);
    const summary = await run.release();
    expect(summary.result.state).toBe('completed');
    expect(summary.result.progress.completed + summary.result.progress.failed).toBe(8);
  });

  it('human approval: a trial waits for an operator, runs once approved, is abandoned when rejected; abort ends the campaign', async () => {
    const run = await startConsoleDryRun({ trials: 4, stations: 1, speed: 1500, approval: 'human' });
    cleanups.push(() => run.release());
    const id = run.campaignId;
    const op = await client(run, TOKENS.operator);
    const viewer = await client(run, TOKENS.viewer);
    const cmd = (c: TestClient, body: Record<string, unknown>) => c.request('command', { campaignId: id, ...body });
    const proposed = () => ofType(docsOf(op), 'trialState').filter((d) => d.payload.to === 'proposed').map((d) => d.payload.trialId);

    await waitFor(() => proposed().length >= 1, 20_000, 'a proposal');
    const first = proposed()[0] as string;
    await sleep(300);
    expect(ofType(docsOf(op), 'runStart')).toEqual([]);
    expect(await cmd(op, { action: 'approve', trialId: 'NOT-A-TRIAL' })).toMatchObject({ ok: false, error: expect.stringMatching(/not awaiting approval/) });
    expect(await cmd(viewer, { action: 'approve', trialId: first })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await cmd(op, { action: 'approve', trialId: first })).toEqual({ ok: true });
    await waitFor(() => ofType(docsOf(op), 'runStart').some((d) => d.payload.trialId === first), 20_000, 'the approved trial to run');

    await waitFor(() => proposed().length >= 2, 20_000, 'a second proposal');
    const second = proposed()[1] as string;
    expect(await cmd(op, { action: 'reject', trialId: second, reason: 'too close to the last one' })).toEqual({ ok: true });
    await waitFor(() => ofType(docsOf(op), 'trialState').some((d) => d.payload.trialId === second && d.payload.to === 'abandoned'));
    const abandoned = ofType(docsOf(op), 'trialState').find((d) => d.payload.trialId === second && d.payload.to === 'abandoned');
    expect(abandoned?.payload.failure?.message).toMatch(/rejected by ada: too close/);
    expect(ofType(docsOf(op), 'runStart').some((d) => d.payload.trialId === second)).toBe(false);

    await waitFor(() => proposed().length >= 3, 20_000, 'a third proposal');
    expect(await cmd(op, { action: 'abort', reason: 'end of shift' })).toEqual({ ok: true });
    await run.ended;
    const summary = await run.release();
    expect(summary.result.state).toBe('aborted');
    const trials = ofType(docsOf(op), 'trialState');
    const third = proposed()[2] as string;
    expect(trials.filter((d) => d.payload.trialId === third).at(-1)?.payload.to).toBe('abandoned');
  });

  it('human approval: a trial whose device step failed waits for an operator to abandon, skip or retry it', async () => {
    // One station pair and a seeded fault injector: the sequence of faults is deterministic.
    const run = await startConsoleDryRun({ trials: 3, stations: 1, speed: 2000, approval: 'human', faultRate: 0.3, seed: 1 });
    cleanups.push(() => run.release());
    const id = run.campaignId;
    const op = await client(run, TOKENS.operator);
    const cmd = (body: Record<string, unknown>) => op.request('command', { campaignId: id, ...body });
    const states = () => ofType(docsOf(op), 'trialState');
    const approved = new Set<string>();
    const decided: { trialId: string; decision: string; attempt: number }[] = [];
    const plan = ['abandon', 'skip', 'retry'];
    const deadline = Date.now() + 40_000;
    while (decided.length < plan.length && Date.now() < deadline) {
      for (const d of states()) {
        if (d.payload.to === 'proposed' && !approved.has(d.payload.trialId)) {
          approved.add(d.payload.trialId);
          expect([d.payload.trialId, await cmd({ action: 'approve', trialId: d.payload.trialId })]).toEqual([d.payload.trialId, { ok: true }]);
        }
      }
      for (const w of states().filter((d) => d.payload.to === 'awaitingRecovery' && !decided.some((x) => x.trialId === d.payload.trialId && x.attempt === d.payload.attempt))) {
        const decision = plan[decided.length];
        if (!decision) break;
        expect(await cmd({ action: 'recover', trialId: w.payload.trialId, decision })).toEqual({ ok: true });
        decided.push({ trialId: w.payload.trialId, decision, attempt: w.payload.attempt });
      }
      await sleep(50);
    }
    expect(decided.map((d) => d.decision)).toEqual(plan);
    const outcome = (trialId: string) => states().find((d) => d.payload.trialId === trialId && d.payload.from === 'awaitingRecovery')?.payload.to;
    await waitFor(() => outcome(decided[0]!.trialId) !== undefined && outcome(decided[1]!.trialId) !== undefined);
    expect(outcome(decided[0]!.trialId)).toBe('abandoned');
    expect(outcome(decided[1]!.trialId)).toBe('failed');
    expect(await cmd({ action: 'recover', trialId: decided[1]!.trialId, decision: 'retry' })).toMatchObject({ ok: false, error: expect.stringMatching(/not awaiting recovery/) });
    // The retry is accepted and recorded; when it runs is the campaign loop's business (it waits for a free station).
    await Promise.race([run.ended, sleep(5000).then(() => cmd({ action: 'abort' }))]);
    await run.ended;
    const actions = (await run.api<{ actions: { actor: string; action: string; target?: string; accepted: boolean }[] }>(`/api/campaigns/${encodeURIComponent(id)}/actions`)).actions;
    expect(actions.filter((a) => ['retry', 'abandon', 'skip'].includes(a.action)).map((a) => [a.actor, a.action, a.target, a.accepted])).toEqual([
      ...decided.map((d) => ['ada', d.decision, d.trialId, true]),
      ['ada', 'retry', decided[1]!.trialId, false],
    ]);
  });
});
