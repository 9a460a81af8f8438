import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultJournalDir } from '../../../src/app/campaign-run.ts';
import { loadConfig } from '../../../src/config/index.ts';

describe("where a dry run's simulated instruments keep their run logs", () => {
  it('beside a PGlite folder, under .labloop/lab on PostgreSQL, and in the temporary folder for an in-memory database', () => {
    expect(defaultJournalDir(loadConfig({}, { pgliteDir: '/data/db' }), undefined, 'c1')).toBe(path.join('/data', 'db.lab', 'c1'));
    expect(defaultJournalDir(loadConfig({ DATABASE_URL: 'postgres://127.0.0.1/test' }), undefined, 'c1')).toBe(path.resolve('.labloop', 'lab', 'c1'));
    const memory = defaultJournalDir(loadConfig({}, { pgliteDir: 'memory://' }), undefined, 'c1');
    expect(memory.startsWith(os.tmpdir())).toBe(true);
    expect(memory).not.toContain('memory:');
  });
});
