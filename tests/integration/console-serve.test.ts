import { afterAll, describe, expect, it } from 'vitest';
import { startServeConsole } from '../../src/app/console-serve.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/domain/index.ts';
import { DocumentBus } from '../../src/protocol/index.ts';
import { attachDocumentSink, openStore } from '../../src/store/index.ts';
import { createTempDatabase, IN_CI, probePostgres, removePgliteDir, TEST_PGLITE_CACHE, tempPgliteDir, type TempDatabase } from '../helpers/db.ts';
import { ScriptedCampaign } from '../unit/console/console-fixtures.ts';
import { range, TestClient, TOKEN_ENTRIES, TOKENS, waitFor } from '../unit/console/server-harness.ts';

/**
 * `labloop serve`: the console over a database, following new documents by polling the documents table (on PGlite
 * only campaigns no process runs can be resumed or aborted; control through the database on PostgreSQL is in
 * console-serve-control.test.ts, resume from the browser in tests/e2e/console-resume.test.ts).
 */
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function writeCampaign(store: Awaited<ReturnType<typeof openStore>>, trials: number) {
  const bus = new DocumentBus();
  const sink = attachDocumentSink(bus, store);
  const campaign = new ScriptedCampaign(bus, 'serve-camp');
  campaign.start();
  campaign.station('pair1');
  for (let i = 0; i < trials; i++) campaign.trial({ fail: i === 1 });
  await bus.flush();
  await sink.flush();
  return { bus, sink, campaign };
}

describe('labloop serve', () => {
  it('serves a PGlite folder: campaign list, replay from the table, CSV export; an interrupted campaign offers only resume and abort', async () => {
    const dir = tempPgliteDir();
    cleanups.push(() => removePgliteDir(dir));
    const writer = await openStore({ pgliteDir: dir, pgliteTemplateCacheDir: TEST_PGLITE_CACHE });
    await writeCampaign(writer, 3);
    const stored = await writer.documents.lastSeq('serve-camp');
    await writer.close();

    const config = loadConfig({}, { pgliteDir: dir, pgliteCacheDir: TEST_PGLITE_CACHE, logLevel: 'silent', console: { tokens: TOKEN_ENTRIES } });
    const served = await startServeConsole({ config, logger: silentLogger, host: '127.0.0.1', port: 0, insecureLocal: false, pollMs: 50 });
    cleanups.push(() => served.close());
    expect(served.controlsCampaigns).toBe(false);
    const get = (p: string) => fetch(`${served.url}${p}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
    const { campaigns } = (await (await get('/api/campaigns')).json()) as { campaigns: { id: string; trialTotal: number; trialCounts: Record<string, number>; controllable: boolean }[] };
    expect(campaigns).toEqual([expect.objectContaining({ id: 'serve-camp', trialTotal: 3, trialCounts: { completed: 2, failed: 1 }, controllable: true, dormant: 'interrupted' })]);
    const csv = await (await get('/api/campaigns/serve-camp/export.csv')).text();
    expect(csv.trim().split('\r\n')).toHaveLength(4);
    const { trials } = (await (await get('/api/campaigns/serve-camp/trials')).json()) as { trials: { status: string }[] };
    expect(trials.map((t) => t.status)).toEqual(['completed', 'failed', 'completed']);

    const client = new TestClient(served.url, TOKENS.operator);
    cleanups.push(() => client.close());
    await client.connected();
    expect(await client.subscribe('serve-camp', 0)).toMatchObject({ ok: true, controllable: true, dormant: 'interrupted' });
    await waitFor(() => client.seqs('serve-camp').length === stored);
    expect(client.seqs('serve-camp')).toEqual(range(1, stored));
    // Left `running` by a process that is gone: nobody runs it, so only resume and abort apply (ADR 0091).
    expect(await client.request('command', { action: 'pause', campaignId: 'serve-camp' })).toMatchObject({ ok: false, code: 'refused', error: expect.stringContaining('resume or abort it first') });
    expect(await client.request('command', { action: 'pause', campaignId: 'no-such-camp' })).toMatchObject({ ok: false, code: 'read-only' });
  });

  it('follows documents another writer adds to the same PostgreSQL, live and in order', async (ctx) => {
    const probe = await probePostgres();
    if (!probe.available) {
      if (IN_CI) throw new Error(`PostgreSQL is required in CI: ${probe.reason}`);
      ctx.skip();
      return;
    }
    const db: TempDatabase = await createTempDatabase();
    cleanups.push(() => db.drop());
    const writer = await openStore({ databaseUrl: db.url });
    cleanups.push(() => writer.close());
    const { bus, sink, campaign } = await writeCampaign(writer, 1);

    const config = loadConfig({}, { databaseUrl: db.url, logLevel: 'silent', console: { tokens: TOKEN_ENTRIES } });
    const served = await startServeConsole({ config, logger: silentLogger, host: '127.0.0.1', port: 0, insecureLocal: false, pollMs: 30 });
    cleanups.push(() => served.close());
    const client = new TestClient(served.url, TOKENS.viewer);
    cleanups.push(() => client.close());
    await client.connected();
    await client.subscribe('serve-camp', 0);
    for (let i = 0; i < 4; i++) {
      campaign.trial();
      await bus.flush();
      await sink.flush();
    }
    const last = await writer.documents.lastSeq('serve-camp');
    await waitFor(() => client.seqs('serve-camp').length >= last, 15_000, 'the polled documents');
    expect(client.seqs('serve-camp')).toEqual(range(1, last));
    expect(client.messages.some((m) => !m.replay)).toBe(true);
  });
});
