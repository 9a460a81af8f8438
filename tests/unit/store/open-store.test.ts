import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../../src/domain/index.ts';
import { openStore } from '../../../src/store/index.ts';
import { openPglite, PGLITE_SHARED_BUFFERS } from '../../../src/store/open-pglite.ts';
import { DEFAULT_MIGRATIONS_FOLDER } from '../../../src/store/migrations.ts';
import { removePgliteDir, TEST_PGLITE_CACHE, tempPgliteDir } from '../../helpers/db.ts';
import { testSpec } from '../../helpers/db-fixtures.ts';

function recordingLogger(lines: Record<string, unknown>[]): Logger {
  const log = (obj: unknown) => void (typeof obj === 'object' && obj !== null && lines.push(obj as Record<string, unknown>));
  const logger: Logger = { ...silentLogger, debug: log, info: log, child: () => logger };
  return logger;
}

describe('openStore', () => {
  const dir = tempPgliteDir();
  afterAll(() => removePgliteDir(dir));

  it('creates a PGlite folder from the cached template, refuses a second opener, and re-opens it after close', async () => {
    const lines: Record<string, unknown>[] = [];
    const store = await openStore({ pgliteDir: dir, pgliteTemplateCacheDir: TEST_PGLITE_CACHE, logger: recordingLogger(lines) });
    try {
      expect(lines.find((l) => 'source' in l)?.['source']).toMatch(/^(template|initdb)$/);
      await store.campaigns.upsert({ spec: testSpec('kept'), seed: 9 });
      await expect(openStore({ pgliteDir: dir })).rejects.toThrow(/in use by process/);
    } finally {
      await store.close();
    }
    writeFileSync(join(dir, 'labloop.lock'), '2147483646'); // a lock left by a dead process is taken over
    const lines2: Record<string, unknown>[] = [];
    const again = await openStore({ pgliteDir: dir, logger: recordingLogger(lines2) });
    try {
      expect(lines2.find((l) => 'source' in l)?.['source']).toBe('folder');
      expect((await again.campaigns.get('kept'))?.seed).toBe(9);
    } finally {
      await again.close();
    }
  }, 120_000);

  it('runs PGlite with the small buffer pool, not the 128MB of the data folder', async () => {
    const lite = await openPglite({ dir: 'memory://', migrationsFolder: DEFAULT_MIGRATIONS_FOLDER, templateCacheDir: TEST_PGLITE_CACHE, timeoutMs: 120_000, logger: silentLogger });
    try {
      expect(PGLITE_SHARED_BUFFERS).toBe('16MB');
      expect((await lite.client.query<{ shared_buffers: string }>('show shared_buffers')).rows[0]?.shared_buffers).toBe('16MB');
    } finally {
      await lite.close();
    }
  }, 120_000);

  it('refuses a URL that is not postgres:// and reports an unreachable server without its password', async () => {
    await expect(openStore({ databaseUrl: 'mysql://x@localhost/db' })).rejects.toThrow(/postgres:\/\//);
    const err = await openStore({ databaseUrl: 'postgres://someone:s3cret@127.0.0.1:1/nowhere', timeoutMs: 3000 }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/cannot open PostgreSQL at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nowhere/);
    expect((err as Error).message).not.toContain('s3cret');
  });
});
