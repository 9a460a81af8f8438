import { eq, sql } from 'drizzle-orm';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CampaignLeaseHeldError, takeCampaignLease } from '../../src/app/command-queue-lease.ts';
import { startCommandQueuePoller } from '../../src/app/command-queue-poller.ts';
import { startServeConsole, type ServedConsole } from '../../src/app/console-serve.ts';
import { runDryRun, type DryRunSummary } from '../../src/app/dry-run.ts';
import { RemoteCampaignCommands } from '../../src/app/remote-campaign-commands.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { silentLogger } from '../../src/domain/index.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { campaignsTable } from '../../src/store/schema.ts';
import { testSpec } from '../helpers/db-fixtures.ts';
import { createTempDatabase, IN_CI, probePostgres, type TempDatabase } from '../helpers/db.ts';
import { defaultSpec } from '../helpers/default-spec.ts';
import { RecordingCommands, TestClient, TOKEN_ENTRIES, TOKENS, waitFor } from '../unit/console/server-harness.ts';

/**
 * `labloop serve` controlling a campaign another runner runs, through the database (ADR 0032): a dry run on
 * PostgreSQL (its own Store) and a serve console (another Store) in this test process; operators act through serve's
 * socket.io and REST APIs and the effects are checked in the database.
 */
const probe = await probePostgres();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ofType = <T extends LabDocument['type']>(docs: LabDocument[], type: T) => docs.filter((d): d is Extract<LabDocument, { type: T }> => d.type === type);

describe.skipIf(!probe.available && !IN_CI)('labloop serve controls campaigns run by another process (PostgreSQL)', () => {
  let db: TempDatabase;
  let config: Config;
  let observer: Store;

  beforeAll(async () => {
    if (!probe.available) throw new Error(`PostgreSQL is required in CI: ${probe.reason}`);
    db = await createTempDatabase();
    config = loadConfig({}, { databaseUrl: db.url, logLevel: 'silent', console: { tokens: TOKEN_ENTRIES } });
    observer = await openStore({ databaseUrl: db.url, maxConnections: 3 });
    return async () => {
      await observer.close();
      await db.drop();
    };
  }, 60_000);

  async function serve(extra: Partial<Parameters<typeof startServeConsole>[0]> = {}): Promise<ServedConsole> {
    const served = await startServeConsole({ config, logger: silentLogger, host: '127.0.0.1', port: 0, insecureLocal: false, pollMs: 50, ...extra });
    cleanups.push(() => served.close());
    expect(served.controlsCampaigns).toBe(true);
    return served;
  }

  async function client(served: ServedConsole, token: string): Promise<TestClient> {
    const c = new TestClient(served.url, token);
    cleanups.push(() => c.close());
    await c.connected();
    return c;
  }

  let startedRuns = 0;
  /** Starts a dry run on the shared PostgreSQL; resolves once its lease is in the database. */
  async function startRun(trials: number, approval: 'auto' | 'human' = 'auto'): Promise<{ campaignId: string; owner: string; done: Promise<DryRunSummary> }> {
    const before = new Set((await observer.campaigns.list()).map((c) => c.id));
    const base = defaultSpec();
    const spec = { ...base, budget: { ...base.budget, trials }, stations: { pairs: 2 }, strategy: { ...base.strategy, agent: 'random' as const, approval } };
    const interrupt = new AbortController();
    const done = runDryRun({
      spec,
      config,
      logger: silentLogger,
      seed: 11,
      campaignId: `serve-control-${++startedRuns}-${Date.now().toString(36)}`,
      outDir: mkdtempSync(path.join(os.tmpdir(), 'labloop-serve-control-')),
      clock: '1500',
      transport: 'sim',
      signal: interrupt.signal,
      // Human approval needs the runner's own console (its OperatorDecisions); serve decides through the database.
      ...(approval === 'human' ? { console: { port: 0, tokens: TOKEN_ENTRIES } } : {}),
    });
    let finished = false;
    void done.finally(() => (finished = true)).catch(() => undefined);
    cleanups.push(async () => {
      if (!finished) interrupt.abort();
      await done.catch(() => undefined);
    });
    let lease: { campaignId: string; owner: string } | undefined;
    for (let i = 0; i < 600 && !lease && !finished; i++) {
      lease = (await observer.campaigns.liveLeases()).find((l) => !before.has(l.campaignId));
      if (!lease) await sleep(50);
    }
    if (!lease) throw new Error('the dry run never took a lease');
    return { ...lease, done };
  }

  const runStarts = async (id: string) => ofType(await observer.documents.after(id, 0, 100_000), 'runStart').length;

  it('an operator pauses and resumes through serve: the runner stops dispatching, the actions carry the actor; viewers are refused', async () => {
    const run = await startRun(8);
    const id = run.campaignId;
    expect(run.owner).toMatch(/^runner@/);
    const served = await serve();
    const op = await client(served, TOKENS.operator);
    const viewer = await client(served, TOKENS.viewer);
    expect(await op.subscribe(id)).toMatchObject({ ok: true, controllable: true, pending: { approvals: [], recoveries: [] } });
    const cmd = (c: TestClient, body: Record<string, unknown>) => c.request('command', { campaignId: id, ...body });

    for (let i = 0; i < 400 && (await runStarts(id)) < 2; i++) await sleep(50);
    expect(await runStarts(id)).toBeGreaterThanOrEqual(2);

    // Pause through the socket API; the runner applies it through its engine.
    expect(await cmd(op, { action: 'pause' })).toEqual({ ok: true });
    for (let i = 0; i < 100 && (await observer.campaigns.get(id))?.state !== 'paused'; i++) await sleep(20);
    expect((await observer.campaigns.get(id))?.state).toBe('paused');
    await sleep(400);
    const atPause = await runStarts(id);
    await sleep(1500); // one and a half trial durations at this speed: nothing new is dispatched
    expect(await runStarts(id)).toBe(atPause);

    expect(await cmd(op, { action: 'pause' })).toMatchObject({ ok: false, code: 'refused', error: expect.stringMatching(/paused, not running/) });
    expect(await cmd(viewer, { action: 'resume' })).toMatchObject({ ok: false, code: 'forbidden' });
    // serve records the refused attempt in the background; let it land before the next command so the order is fixed.
    for (let i = 0; i < 100 && (await observer.consoleCommands.list(id)).length < 3; i++) await sleep(20);

    // Resume through REST.
    const res = await fetch(`${served.url}/api/commands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'resume', campaignId: id }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    for (let i = 0; i < 400 && (await runStarts(id)) <= atPause; i++) await sleep(50);
    expect(await runStarts(id)).toBeGreaterThan(atPause);

    const summary = await run.done;
    expect(summary.result.state).toBe('completed');
    expect(summary.result.progress.completed + summary.result.progress.failed).toBe(8);

    // Every attempt is an operatorAction document with its actor, in order; the viewer's refusal names the role.
    const actions = await observer.operatorActions.list(id);
    expect(actions.map((a) => [a.actor, a.action, a.accepted])).toEqual([
      ['ada', 'pause', true],
      ['ada', 'pause', false],
      ['vic', 'resume', false],
      ['ada', 'resume', true],
    ]);
    expect(actions[2]?.reason).toMatch(/viewer/);
    const states = ofType(await observer.documents.after(id, 0, 100_000), 'campaignState').map((d) => [d.payload.state, d.payload.reason]);
    expect(states).toEqual(expect.arrayContaining([['paused', 'paused by ada'], ['running', 'resumed by ada']]));
    // The queue: each command handled once, with its outcome; the viewer's attempt is a refusal record.
    const queued = await observer.consoleCommands.list(id);
    expect(queued.map((q) => [q.actor, (q.command as { action: string }).action, q.state, q.refusal === undefined])).toEqual([
      ['ada', 'pause', 'accepted', true],
      ['ada', 'pause', 'refused', true],
      ['vic', 'resume', 'refused', false],
      ['ada', 'resume', 'accepted', true],
    ]);
    expect(queued.every((q) => q.claimedBy === run.owner && q.handledAt !== undefined)).toBe(true);

    // The run released its lease: serve stops offering control, and a command is refused with the reason.
    expect(await observer.campaigns.liveLease(id)).toBeUndefined();
    for (let i = 0; i < 100; i++) {
      const reply = await cmd(op, { action: 'pause' });
      if (reply.ok === false && reply.code === 'read-only') break;
      await sleep(50);
    }
    expect(await cmd(op, { action: 'pause' })).toMatchObject({ ok: false, code: 'read-only', error: expect.stringMatching(/not run by this process/) });
    // With a stale view of the leases, the database still refuses (the insert requires a live lease).
    const stale = new RemoteCampaignCommands({ store: observer, logger: silentLogger });
    expect(await stale.execute({ action: 'pause', campaignId: id }, 'ada')).toEqual({
      accepted: false,
      reason: expect.stringMatching(/has no running process \(no live lease\)/),
    });
    expect(await observer.consoleCommands.list(id)).toHaveLength(4);
  }, 120_000);

  it('human approval: serve shows the approvals the runner publishes, approves one, and aborts the campaign', async () => {
    const run = await startRun(4, 'human');
    const id = run.campaignId;
    const served = await serve();
    const op = await client(served, TOKENS.operator);
    const pendingNow = async () =>
      (await (await fetch(`${served.url}/api/campaigns/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })).json()) as {
        campaign: { controllable: boolean };
        pending: { approvals: string[]; recoveries: string[] };
      };
    let first: string | undefined;
    for (let i = 0; i < 400 && !first; i++) {
      first = (await pendingNow()).pending.approvals[0];
      if (!first) await sleep(50);
    }
    expect(first, 'a trial awaiting approval, published by the runner').toBeDefined();
    expect((await pendingNow()).campaign.controllable).toBe(true);
    expect(await op.request('command', { action: 'approve', campaignId: id, trialId: first })).toEqual({ ok: true });
    expect(await op.request('command', { action: 'approve', campaignId: id, trialId: first })).toMatchObject({ ok: false, error: expect.stringMatching(/not awaiting approval/) });
    for (let i = 0; i < 400; i++) {
      const t = (await observer.trials.list(id)).find((x) => x.id === first);
      if (t && t.status !== 'proposed' && t.status !== 'approved' && t.status !== 'queued') break;
      await sleep(50);
    }
    expect((await observer.trials.list(id)).find((x) => x.id === first)?.status).toMatch(/running|completed|failed/);
    expect(await op.request('command', { action: 'abort', campaignId: id, reason: 'enough' })).toEqual({ ok: true });
    const summary = await run.done;
    expect(summary.result.state).toBe('aborted');
    const actions = await observer.operatorActions.list(id);
    expect(actions.filter((a) => a.actor === 'ada').map((a) => [a.action, a.accepted, a.target ?? null])).toEqual([
      ['approve', true, first],
      ['approve', false, first],
      ['abort', true, null],
    ]);
    expect(await observer.campaigns.pendingDecisions(id)).toBeUndefined();
  }, 120_000);

  it('a runner whose lease another process took over aborts its run', async () => {
    const run = await startRun(40);
    const id = run.campaignId;
    for (let i = 0; i < 400 && (await runStarts(id)) < 1; i++) await sleep(50);
    await observer.db
      .update(campaignsTable)
      .set({ owner: 'heir', leaseExpiresAt: sql`now() + interval '60 seconds'` })
      .where(eq(campaignsTable.id, id));
    const summary = await run.done; // the next heartbeat (≤ 5 s) finds the lease taken
    expect(summary.result.state).toBe('aborted');
    expect(summary.result.progress.dispatched).toBeLessThan(40);
    expect((await observer.campaigns.liveLease(id))?.owner).toBe('heir'); // its release left the heir's lease alone
    expect(await observer.campaigns.releaseLease(id, 'heir')).toBe(true);
  }, 60_000);

  it('a command nobody answers expires and a late runner never executes it', async () => {
    const id = `ghost-${Date.now().toString(36)}`;
    // A lease whose holder never polls (a runner that hangs).
    expect(await observer.campaigns.claimCampaign({ campaignId: id, spec: testSpec(id), seed: 1 }, 'hung-runner', 60_000)).toBeDefined();
    const served = await serve({ commands: { answerTimeoutMs: 1_000 } });
    const op = await client(served, TOKENS.operator);
    for (let i = 0; i < 100 && (await op.subscribe(id)).controllable !== true; i++) await sleep(50);
    const started = Date.now();
    expect(await op.request('command', { action: 'pause', campaignId: id })).toMatchObject({
      ok: false,
      code: 'refused',
      error: expect.stringMatching(/no process answered within 1 s: the campaign's runner may be gone/),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    const [row] = await observer.consoleCommands.list(id);
    expect(row).toMatchObject({ state: 'expired', actor: 'ada', reason: expect.stringMatching(/no process answered/) });

    // The runner wakes up: it claims nothing, executes nothing.
    const commands = new RecordingCommands(id);
    const poller = startCommandQueuePoller({ store: observer, owner: 'hung-runner', campaignId: id, commands, logger: silentLogger, intervalMs: 20 });
    await sleep(300);
    await poller.stop();
    expect(commands.executed).toEqual([]);
    expect(poller.handled).toBe(0);
    expect(await observer.campaigns.releaseLease(id, 'hung-runner')).toBe(true);
  }, 60_000);

  it('the runner poller: executes through the command API once, publishes refusals, refuses malformed rows', async () => {
    const id = `poll-${Date.now().toString(36)}`;
    const lease = await takeCampaignLease({ store: observer, campaignId: id, spec: testSpec(id), seed: 1, logger: silentLogger });
    cleanups.push(() => lease.release());
    const commands = new RecordingCommands(id);
    const poller = startCommandQueuePoller({ store: observer, owner: lease.owner, campaignId: id, commands, logger: silentLogger, intervalMs: 20 });
    cleanups.push(() => poller.stop());
    const remote = new RemoteCampaignCommands({ store: observer, logger: silentLogger, leasePollMs: 20, answerTimeoutMs: 3_000 });
    await remote.start();
    cleanups.push(() => remote.close());
    expect(remote.controls(id)).toBe(true);

    expect(await remote.execute({ action: 'quarantine', campaignId: id, station: 'pair1', message: 'leak' }, 'ada')).toEqual({ accepted: true });
    commands.refuseWith = 'station pair1 is already quarantined';
    expect(await remote.execute({ action: 'quarantine', campaignId: id, station: 'pair1' }, 'ada')).toEqual({ accepted: false, reason: 'station pair1 is already quarantined' });
    remote.refuse({ action: 'abort', campaignId: id }, 'vic', 'forbidden: role "viewer" may watch but not abort (needs operator)');
    // refuse() queues in the background; wait for its row so the rows below are listed after it.
    for (let i = 0; i < 100 && (await observer.consoleCommands.list(id)).length < 3; i++) await sleep(20);
    // A row written by something else (another version, a manual insert): refused, never executed.
    await observer.consoleCommands.enqueue({ id: `${id}-bad`, campaignId: id, command: { action: 'explode', campaignId: id }, actor: 'mallory', ttlMs: 5_000 });
    await observer.consoleCommands.enqueue({ id: `${id}-other`, campaignId: id, command: { action: 'pause', campaignId: 'elsewhere' }, actor: 'mallory', ttlMs: 5_000 });
    await observer.consoleCommands.enqueue({ id: `${id}-anon`, campaignId: id, command: { action: 'pause', campaignId: id }, actor: '', ttlMs: 5_000 });
    await waitFor(() => commands.refused.length === 1, 5_000, 'the refusal to be published');
    for (let i = 0; i < 100 && (await observer.consoleCommands.list(id)).some((q) => q.state === 'pending' || q.state === 'claimed'); i++) await sleep(20);

    expect(commands.executed.map((e) => [e.actor, e.cmd.action])).toEqual([
      ['ada', 'quarantine'],
      ['ada', 'quarantine'],
    ]);
    expect(commands.refused).toEqual([{ cmd: { action: 'abort', campaignId: id }, actor: 'vic', reason: expect.stringMatching(/viewer/) }]);
    const rows = await observer.consoleCommands.list(id);
    expect(rows.map((r) => [r.actor, r.state])).toEqual([
      ['ada', 'accepted'],
      ['ada', 'refused'],
      ['vic', 'refused'],
      ['mallory', 'refused'],
      ['mallory', 'refused'],
      ['', 'refused'],
    ]);
    expect(rows[3]?.reason).toMatch(/^malformed command: action/);
    expect(rows[4]?.reason).toMatch(/names campaign "elsewhere"/);
    expect(rows[5]?.reason).toMatch(/^malformed command: actor/);
    expect(poller.handled).toBe(6);

    // Pending decisions the runner publishes are what serve's `pending` returns.
    lease.publishPending({ approvals: ['T1'], recoveries: [] });
    for (let i = 0; i < 100 && (await remote.pending(id)).approvals.length === 0; i++) await sleep(20);
    expect(await remote.pending(id)).toEqual({ approvals: ['T1'], recoveries: [] });

    // Release refuses what is still queued and ends control.
    await poller.stop();
    const late = remote.execute({ action: 'pause', campaignId: id }, 'ada');
    for (let i = 0; i < 100 && !(await observer.consoleCommands.list(id)).some((q) => q.state === 'pending'); i++) await sleep(20);
    await lease.release();
    expect(await late).toEqual({ accepted: false, reason: 'the campaign ended before its runner handled the command' });
    expect(commands.executed).toHaveLength(2);
    expect(await remote.pending(id)).toEqual({ approvals: [], recoveries: [] });
    await waitFor(() => !remote.controls(id), 2_000, 'serve to see the lease released');
  }, 60_000);

  it('the lease: taken at start, renewed by heartbeat, a second runner refused, lost to a take-over after expiry', async () => {
    const id = `lease-${Date.now().toString(36)}`;
    const spec = testSpec(id);
    const lost: string[] = [];
    const a = await takeCampaignLease({ store: observer, campaignId: id, spec, seed: 1, logger: silentLogger, heartbeatMs: 200, ttlMs: 1_000, statementTimeoutMs: 5_000, onLost: (h) => lost.push(h?.owner ?? '?') });
    cleanups.push(() => a.release());
    const first = await observer.campaigns.liveLease(id);
    expect(first?.owner).toBe(a.owner);
    // (statements get 5 s, not the heartbeat period: a loaded CI machine can take longer than 200 ms per statement)
    await sleep(2_100); // > 2 lease lengths: only the heartbeat keeps it alive
    const renewed = await observer.campaigns.liveLease(id);
    expect(renewed?.owner).toBe(a.owner);
    expect(renewed!.expiresAt.getTime()).toBeGreaterThan(first!.expiresAt.getTime());

    const err = await takeCampaignLease({ store: observer, campaignId: id, spec, seed: 1, logger: silentLogger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CampaignLeaseHeldError);
    expect((err as Error).message).toMatch(new RegExp(`campaign "${id}" is already run by another process \\(${a.owner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, lease live until .*refusing to run it twice`));

    // The holder stalls past its expiry and another runner takes the campaign over (written directly: the holder's
    // live heartbeat would otherwise renew in between; take-over of an expired lease is in the store contract).
    await observer.db
      .update(campaignsTable)
      .set({ owner: 'heir', leaseExpiresAt: sql`now() + interval '60 seconds'` })
      .where(eq(campaignsTable.id, id));
    await waitFor(() => lost.length > 0, 2_000, 'the old holder to notice');
    expect(lost).toEqual(['heir']);
    expect(a.held).toBe(false);
    await a.release(); // not ours: leaves the heir's lease alone
    expect((await observer.campaigns.liveLease(id))?.owner).toBe('heir');
    expect(await observer.campaigns.releaseLease(id, 'heir')).toBe(true);

    // Free again: a new runner takes it; after release nobody holds it.
    const c = await takeCampaignLease({ store: observer, campaignId: id, spec, seed: 1, logger: silentLogger });
    expect((await observer.campaigns.liveLease(id))?.owner).toBe(c.owner);
    await c.release();
    expect(await observer.campaigns.liveLease(id)).toBeUndefined();
  }, 30_000);
});
