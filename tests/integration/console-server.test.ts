import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollingFeed, type ConsoleServer } from '../../src/console/index.ts';
import { silentLogger, type Logger } from '../../src/domain/index.ts';
import { DocumentBus } from '../../src/protocol/index.ts';
import { ScriptedCampaign } from '../unit/console/console-fixtures.ts';
import { harnessMode, MemoryReader, RecordingCommands, TestClient, TOKENS, range, startTestServer, waitFor } from '../unit/console/server-harness.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function track<T extends ConsoleServer | TestClient>(x: T): T {
  cleanups.push(() => (x instanceof TestClient ? x.close() : x.close()));
  return x;
}

/** A bus, a lagging in-memory documents table, a scripted campaign and a server on a free port. */
async function setup(opts: { lagMs?: number; commands?: boolean; insecureLocal?: boolean; staticDir?: string; logger?: Logger; hubWindow?: number } = {}) {
  const bus = new DocumentBus();
  const reader = new MemoryReader(bus, opts.lagMs ?? 0);
  const campaign = new ScriptedCampaign(bus, 'camp-1');
  const commands = opts.commands ? new RecordingCommands('camp-1') : undefined;
  const server = track(await startTestServer({ reader, bus, commands, insecureLocal: opts.insecureLocal, staticDir: opts.staticDir, logger: opts.logger, hubWindow: opts.hubWindow }));
  campaign.start();
  campaign.station('pair1');
  await bus.flush();
  await reader.settled();
  return { bus, reader, campaign, commands, server };
}

const lastSeqOf = (reader: MemoryReader, bus: DocumentBus) => bus.flush().then(() => reader.settled()).then(() => reader.lastSeq('camp-1'));

// The same behaviour whether the console shares the campaign's thread or runs in its own worker thread.
describe.each([
  { mode: 'on the calling thread', inWorker: false },
  { mode: 'in a worker thread', inWorker: true },
])('console $mode', ({ inWorker }) => {
  beforeAll(() => {
    harnessMode.inWorker = inWorker;
    return () => {
      harnessMode.inWorker = false;
    };
  });

  describe('console server: replay then live', () => {
    it('a late joiner gets everything after its seq from the database, then live: no gap, no duplicate, in order', async () => {
      const { bus, reader, campaign, server } = await setup({ lagMs: 2 });
      for (let i = 0; i < 5; i++) campaign.trial();
      const client = track(new TestClient(server.url, TOKENS.viewer));
      await client.connected();
      // Publish while the client subscribes: part of the stream comes from the table, part from the hub, part live.
      const publishing = (async () => {
        for (let i = 0; i < 20; i++) {
          campaign.trial();
          await new Promise((r) => setTimeout(r, 3));
        }
      })();
      const reply = await client.subscribe('camp-1', 0);
      expect(reply.ok).toBe(true);
      await publishing;
      const last = await lastSeqOf(reader, bus);
      await waitFor(() => client.seqs('camp-1').length >= last, 10_000, 'all documents');
      expect(client.seqs('camp-1')).toEqual(range(1, last));
      expect(client.messages.some((m) => m.replay)).toBe(true);
      expect(client.messages.some((m) => !m.replay)).toBe(true);
    });

    it('when the memory window no longer holds what a client needs and the table lags, the replay waits for the table', async () => {
      const { bus, reader, campaign, server } = await setup({ lagMs: 4, hubWindow: 3 });
      const client = track(new TestClient(server.url, TOKENS.viewer));
      await client.connected();
      for (let i = 0; i < 6; i++) campaign.trial();
      // The table is ~60 documents × 4 ms behind the bus: the first subscribe must stitch table, wait, and window.
      expect(await client.subscribe('camp-1', 0)).toMatchObject({ ok: true });
      campaign.trial();
      const last = await lastSeqOf(reader, bus);
      await waitFor(() => client.seqs('camp-1').length >= last);
      expect(client.seqs('camp-1')).toEqual(range(1, last));
    });

    it('a client reconnecting with its last seq receives exactly what it missed', async () => {
      const { bus, reader, campaign, server } = await setup({ lagMs: 1 });
      campaign.trial();
      const first = track(new TestClient(server.url, TOKENS.viewer));
      await first.connected();
      await first.subscribe('camp-1', 0);
      const seen = await lastSeqOf(reader, bus);
      await waitFor(() => first.seqs('camp-1').length === seen);
      first.close();
      for (let i = 0; i < 4; i++) campaign.trial();
      const again = track(new TestClient(server.url, TOKENS.viewer));
      await again.connected();
      await again.subscribe('camp-1', seen);
      campaign.trial({ fail: true });
      const last = await lastSeqOf(reader, bus);
      await waitFor(() => again.seqs('camp-1').length >= last - seen);
      expect(again.seqs('camp-1')).toEqual(range(seen + 1, last));
    });

    it('twenty clients joining at random moments of a burst each get the exact sequence', async () => {
      const { bus, reader, campaign, server } = await setup({ lagMs: 1 });
      const clients: TestClient[] = [];
      const burst = (async () => {
        for (let i = 0; i < 30; i++) {
          campaign.trial();
          if (i % 3 === 0) campaign.fault('pair1');
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      for (let k = 0; k < 20; k++) {
        const c = track(new TestClient(server.url, TOKENS.viewer));
        clients.push(c);
        await c.connected();
        const after = k % 4 === 0 ? 0 : Math.max(0, (await reader.lastSeq('camp-1')) - 7);
        const r = await c.subscribe('camp-1', after);
        expect(r.ok).toBe(true);
        (c as TestClient & { after: number }).after = after;
        await new Promise((r2) => setTimeout(r2, 4));
      }
      await burst;
      const last = await lastSeqOf(reader, bus);
      for (const c of clients) {
        const after = (c as TestClient & { after: number }).after;
        await waitFor(() => c.seqs('camp-1').length >= last - after, 10_000, `client after ${after}`);
        expect(c.seqs('camp-1')).toEqual(range(after + 1, last));
      }
    });

    it('serve mode: a polling feed over the table delivers new documents live, in order', async () => {
      const bus = new DocumentBus();
      const reader = new MemoryReader(bus);
      const campaign = new ScriptedCampaign(bus, 'camp-1');
      campaign.start();
      campaign.trial();
      await bus.flush();
      await reader.settled();
      const server = track(await startTestServer({ reader, feed: pollingFeed({ reader, logger: silentLogger, intervalMs: 20 }) }));
      const client = track(new TestClient(server.url, TOKENS.viewer));
      await client.connected();
      await client.subscribe('camp-1', 3);
      for (let i = 0; i < 5; i++) campaign.trial();
      const last = await lastSeqOf(reader, bus);
      await waitFor(() => client.seqs('camp-1').length >= last - 3);
      expect(client.seqs('camp-1')).toEqual(range(4, last));
      expect(client.messages.some((m) => !m.replay)).toBe(true);
    });
  });

  describe('console server: validation and auth', () => {
    it('refuses malformed and unknown socket events with a reply naming the problem, and keeps serving', async () => {
      const { server, commands } = await setup({ commands: true });
      const c = track(new TestClient(server.url, TOKENS.operator));
      await c.connected();
      expect(await c.request('subscribe', { campaignId: 'camp-1', afterSeq: -4 })).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/afterSeq/) });
      expect(await c.request('subscribe', 'camp-1')).toMatchObject({ ok: false, code: 'invalid' });
      expect(await c.request('subscribe', { campaignId: 'no-such-campaign' })).toMatchObject({ ok: false, code: 'not-found' });
      expect(await c.request('command', { action: 'pause' })).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/campaignId/) });
      expect(await c.request('command', { action: 'launch', campaignId: 'camp-1' })).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/action/) });
      expect(await c.request('command', { action: 'recover', campaignId: 'camp-1', trialId: 'T1', decision: 'later' })).toMatchObject({ ok: false, error: expect.stringMatching(/decision/) });
      expect(await c.request('rm -rf', {})).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/unknown event/) });
      // Without an acknowledgement callback the reply comes as a `problem` event.
      c.socket.emit('command', { action: 42 });
      await waitFor(() => c.problems.length > 0);
      expect(c.problems[0]).toMatchObject({ ok: false, code: 'invalid', event: 'command' });
      expect(commands?.executed).toEqual([]);
      // Still serving, on the same socket.
      expect(await c.subscribe('camp-1', 0)).toMatchObject({ ok: true, controllable: true });
      expect(await c.request('command', { action: 'pause', campaignId: 'camp-1' })).toEqual({ ok: true });
      expect(commands?.executed).toEqual([{ cmd: { action: 'pause', campaignId: 'camp-1' }, actor: 'ada' }]);
    });

    it('refuses sockets without a valid token at the handshake, and cross-origin browser sockets', async () => {
      const { server } = await setup();
      const none = track(new TestClient(server.url, undefined));
      await expect(none.connected()).rejects.toThrow(/token is required/);
      const wrong = track(new TestClient(server.url, 'not-a-real-token-at-all'));
      await expect(wrong.connected()).rejects.toThrow(/unknown token/);
      const foreign = track(new TestClient(server.url, TOKENS.viewer, { headers: { origin: 'http://evil.example' } }));
      await expect(foreign.connected()).rejects.toThrow();
      const ok = track(new TestClient(server.url, TOKENS.viewer));
      await ok.connected();
      expect(await ok.subscribe('camp-1')).toMatchObject({ ok: true });
    });

    it('a viewer cannot act: refused, recorded as a refused attempt with the actor, nothing executed', async () => {
      const { server, commands } = await setup({ commands: true });
      const v = track(new TestClient(server.url, TOKENS.viewer));
      await v.connected();
      const r = await v.request('command', { action: 'pause', campaignId: 'camp-1' });
      expect(r).toMatchObject({ ok: false, code: 'forbidden', error: expect.stringMatching(/viewer.*may watch but not pause/) });
      expect(commands?.executed).toEqual([]);
      expect(commands?.refused).toEqual([{ cmd: { action: 'pause', campaignId: 'camp-1' }, actor: 'vic', reason: r.ok ? '' : r.error }]);
      const o = track(new TestClient(server.url, TOKENS.operator));
      await o.connected();
      if (commands) commands.refuseWith = 'campaign is paused, not running: nothing to pause';
      expect(await o.request('command', { action: 'pause', campaignId: 'camp-1' })).toMatchObject({ ok: false, code: 'refused', error: /nothing to pause/ });
      expect(await o.request('command', { action: 'pause', campaignId: 'other' })).toMatchObject({ ok: false, code: 'read-only' });
    });

    it('insecure-local admits tokenless clients as an admin and refuses to listen off loopback; it logs that loudly', async () => {
      const warnings: string[] = [];
      const logger: Logger = { ...silentLogger, warn: (a: unknown, b?: unknown) => void warnings.push(typeof a === 'string' ? a : String(b)), child: () => logger };
      const { server } = await setup({ insecureLocal: true, logger });
      expect(warnings.some((w) => /INSECURE/.test(w))).toBe(true);
      const c = track(new TestClient(server.url, undefined));
      await c.connected();
      expect(await c.subscribe('camp-1')).toMatchObject({ ok: true });
      const me = await fetch(`${server.url}/api/me`).then((r) => r.json());
      expect(me).toMatchObject({ ok: true, role: 'admin', insecure: true });
      const { startConsoleServer, busFeed } = await import('../../src/console/index.ts');
      await expect(startConsoleServer({ reader: new MemoryReader(), feed: busFeed(new DocumentBus()), tokens: [], insecureLocal: true, logger: silentLogger, host: '0.0.0.0', port: 0 })).rejects.toThrow(/loopback/);
    });

    it('never writes a token to the logs', async () => {
      const lines: string[] = [];
      const capture = (a: unknown, b?: unknown) => void lines.push(JSON.stringify(a) + String(b ?? ''));
      const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture, child: () => logger };
      const { server } = await setup({ commands: true, logger });
      const v = track(new TestClient(server.url, TOKENS.viewer));
      await v.connected();
      await v.request('command', { action: 'pause', campaignId: 'camp-1' });
      const bad = track(new TestClient(server.url, 'leaky-token-that-must-not-be-logged'));
      await bad.connected().catch(() => undefined);
      await fetch(`${server.url}/api/me`, { headers: { authorization: 'Bearer another-leaky-token-0123' } });
      expect(lines.length).toBeGreaterThan(2);
      const all = lines.join('\n');
      for (const t of [TOKENS.viewer, 'leaky-token-that-must-not-be-logged', 'another-leaky-token-0123']) expect(all).not.toContain(t);
    });
  });
});

describe('console server: REST and static files', () => {
  it('needs a token for the API, lists campaigns and documents, exports, and takes commands as JSON', async () => {
    const { server, commands } = await setup({ commands: true });
    const get = (p: string, token?: string) => fetch(`${server.url}${p}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await get('/api/health')).status).toBe(200);
    expect((await get('/api/campaigns')).status).toBe(401);
    expect(await (await get('/api/me', TOKENS.viewer)).json()).toEqual({ ok: true, actor: 'vic', role: 'viewer', insecure: false });
    const list = (await (await get('/api/campaigns', TOKENS.viewer)).json()) as { campaigns: { id: string; controllable: boolean }[] };
    expect(list.campaigns).toEqual([expect.objectContaining({ id: 'camp-1', controllable: true })]);
    const docs = (await (await get('/api/campaigns/camp-1/documents?after=1&limit=1', TOKENS.viewer)).json()) as { documents: { seq: number }[] };
    expect(docs.documents.map((d) => d.seq)).toEqual([2]);
    expect((await get('/api/campaigns/camp-1/documents?after=-1', TOKENS.viewer)).status).toBe(400);
    expect((await get('/api/campaigns/nope', TOKENS.viewer)).status).toBe(404);
    expect((await get('/api/campaigns/bad%20id', TOKENS.viewer)).status).toBe(400);
    const csv = await get('/api/campaigns/camp-1/export.csv', TOKENS.viewer);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const post = (body: string, token: string) => fetch(`${server.url}/api/commands`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const bad = await post('{"action":"pause"}', TOKENS.operator);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: expect.stringMatching(/campaignId/) });
    expect((await post('{not json', TOKENS.operator)).status).toBe(400);
    expect((await post('{"action":"pause","campaignId":"camp-1"}', TOKENS.viewer)).status).toBe(403);
    expect((await post('{"action":"pause","campaignId":"camp-1"}', TOKENS.operator)).status).toBe(200);
    expect(commands?.executed).toHaveLength(1);
  });

  it('input size limits: a REST body over 16 KiB gets 413 and executes nothing; a socket message over 64 KiB closes only that socket', async () => {
    const { server, commands } = await setup({ commands: true });
    const post = (body: string) => fetch(`${server.url}/api/commands`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' }, body });
    const big = await post(JSON.stringify({ action: 'pause', campaignId: 'camp-1', reason: 'x'.repeat(20_000) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ ok: false, code: 'invalid', error: expect.stringMatching(/over 16384 bytes/) });
    expect(commands?.executed).toHaveLength(0);
    // A socket.io message above the server's buffer limit: the server drops that connection, answers nothing and
    // executes nothing; another client and the API go on working.
    const noisy = new TestClient(server.url, TOKENS.operator);
    const calm = new TestClient(server.url, TOKENS.operator);
    await Promise.all([noisy.connected(), calm.connected()]);
    const closed = new Promise<string>((resolve) => noisy.socket.once('disconnect', (reason) => resolve(reason)));
    noisy.socket.emit('command', { action: 'pause', campaignId: 'camp-1', reason: 'y'.repeat(100_000) });
    expect(await closed).toMatch(/transport (close|error)/);
    noisy.close();
    expect(commands?.executed).toHaveLength(0);
    expect(await calm.request('command', { action: 'pause', campaignId: 'camp-1' })).toMatchObject({ ok: true });
    calm.close();
    expect(commands?.executed).toHaveLength(1);
  });

  it('serves the built front end with security headers, falls back to index.html, and refuses traversal', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'console-static-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(path.join(dir, 'assets', 'app-1.js'), 'export {}');
    const { server } = await setup({ staticDir: dir });
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect((await fetch(`${server.url}/campaign/whatever`)).status).toBe(200);
    const js = await fetch(`${server.url}/assets/app-1.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/..%5c..%5cetc%5cpasswd`)).status).toBe(400);
  });
});
