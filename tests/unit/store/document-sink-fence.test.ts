import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentBus } from '../../../src/protocol/index.ts';
import { attachDocumentSink } from '../../../src/store/document-sink.ts';
import { openStore } from '../../../src/store/open-store.ts';
import type { Store } from '../../../src/store/store.ts';
import { createTempDatabase, openTempStore, TEST_PGLITE_CACHE, type TempDatabase } from '../../helpers/db.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';

/**
 * Fencing (issue 14): a process that lost its campaign's lease — paused, then woken after another process took the
 * campaign over — never writes a document again; it is told, so it stops its run.
 */

const databases: TempDatabase[] = [];
afterAll(async () => {
  for (const db of databases) await db.drop();
});

async function stores(): Promise<[string, Store][]> {
  const db = await createTempDatabase();
  databases.push(db);
  return [
    ['PGlite', await openTempStore()],
    ['PostgreSQL', await openStore({ databaseUrl: db.url, pgliteDir: '', pgliteTemplateCacheDir: TEST_PGLITE_CACHE })],
  ];
}

describe('document sink fencing', () => {
  it('writes while the lease is ours and refuses every batch once another owner holds it', { timeout: 120_000 }, async () => {
    for (const [kind, store] of await stores()) {
      try {
        const spec = defaultSpec({ id: 'fenced' });
        expect(await store.campaigns.createCampaign({ campaignId: 'fenced', spec, seed: 1 }, 'runner-a', 15_000), kind).toBeDefined();
        const bus = new DocumentBus();
        const fencedBy: (string | undefined)[] = [];
        const sink = attachDocumentSink(bus, store, { attempts: 1, retryDelayMs: 1, fence: { campaignId: 'fenced', owner: 'runner-a', onFenced: (h) => fencedBy.push(h) } });
        bus.publish('fenced', 'campaignState', { state: 'running' });
        await sink.flush();
        expect(await store.documents.count('fenced'), kind).toBe(1);
        // runner-a stalled past its lease; runner-b took the campaign over.
        await store.db.execute(sql`update campaigns set owner = 'runner-b', lease_expires_at = now() + interval '15 seconds' where id = 'fenced'`);
        bus.publish('fenced', 'campaignState', { state: 'paused', reason: 'written by a process that lost its lease' });
        bus.publish('fenced', 'campaignState', { state: 'running' });
        await sink.flush();
        expect(await store.documents.count('fenced'), kind).toBe(1);
        expect(fencedBy, kind).toEqual(['runner-b']);
        expect(sink.stats().lost.map((l) => l.seq), kind).toEqual([2, 3]);
        expect(sink.stats().lost[0]?.error, kind).toMatch(/held by runner-b now; this process may not write/);
        sink.detach();
      } finally {
        await store.close();
      }
    }
  });
});
