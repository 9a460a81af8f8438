import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDryRun, type DryRunSummary } from '../../src/app/dry-run.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/domain/index.ts';
import { openStore } from '../../src/store/open-store.ts';
import { defaultSpec } from '../helpers/default-spec.ts';
import { parseResultsCsv } from '../helpers/results-csv.ts';

describe('dry run: 24 trials on 2 station pairs over MQTT and OPC UA', () => {
  let dir: string;
  const runs: DryRunSummary[] = [];
  const spec = defaultSpec({ budget: { trials: 24 }, stations: { pairs: 2 } });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-dry-run-'));
    // Two runs with the same seed and options, each in a database of its own (a campaign id is stored once).
    for (const name of ['a', 'b']) {
      const config = loadConfig({}, { pgliteDir: path.join(dir, `db-${name}`) });
      runs.push(await runDryRun({ spec, config, logger: silentLogger, seed: 42, outDir: path.join(dir, name), clock: 'instant', transport: 'twin' }));
    }
  }, 300_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ends every trial completed, or failed with a coded reason', async () => {
    const rows = parseResultsCsv(await readFile(path.join(dir, 'a', 'results.csv'), 'utf8'));
    const ran = rows.filter((r) => r.status === 'completed' || r.status === 'failed');
    expect(ran).toHaveLength(24);
    for (const r of rows) {
      expect(['completed', 'failed', 'blocked']).toContain(r.status);
      if (r.status === 'completed') expect(Number(r.eta10)).toBeGreaterThan(0.1);
      else expect(r.failureCode, JSON.stringify(r)).toMatch(/^[A-Z_]+$/);
    }
    expect(runs[0]?.result.state).toBe('completed');
  });

  it('stores a gapless document sequence and trial rows that match results.csv', async () => {
    const store = await openStore({ pgliteDir: path.join(dir, 'db-a') });
    try {
      const campaignId = runs[0]!.campaignId;
      const docs = await store.documents.after(campaignId, 0, 100_000);
      expect(docs.map((d) => d.seq)).toEqual(docs.map((_, i) => i + 1));
      const trials = await store.trials.list(campaignId);
      const rows = parseResultsCsv(await readFile(path.join(dir, 'a', 'results.csv'), 'utf8'));
      expect(trials).toHaveLength(rows.length);
      for (const t of trials) {
        const row = rows.find((r) => r.id === t.id);
        expect(row?.status).toBe(t.status);
        if (t.objectives?.eta10 !== undefined) expect(Number(row?.eta10)).toBeCloseTo(t.objectives.eta10, 8);
      }
    } finally {
      await store.close();
    }
  });

  it('gives byte-identical results.csv and campaign.json for the same seed: ids and times derive from the seed and the simulated clock', async () => {
    expect(runs[0]?.campaignId).toBe('oer-screen-seed42');
    for (const file of ['results.csv', 'campaign.json', 'best-so-far.svg']) {
      const a = await readFile(path.join(dir, 'a', file), 'utf8');
      const b = await readFile(path.join(dir, 'b', file), 'utf8');
      expect(b, file).toBe(a);
    }
    const rows = parseResultsCsv(await readFile(path.join(dir, 'a', 'results.csv'), 'utf8'));
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const r of rows) expect(r.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const json = JSON.parse(await readFile(path.join(dir, 'a', 'campaign.json'), 'utf8')) as { campaign: Record<string, unknown>; exportedAt: string };
    expect(json.campaign.createdAt).toBe('2026-01-01T00:00:00.000Z');
    expect(json.campaign).not.toHaveProperty('owner');
    expect(Date.parse(json.exportedAt)).toBeGreaterThan(Date.parse('2026-01-01T00:00:00.000Z'));
  });

  it('refuses to start a campaign id that is already stored, with a hint to resume or export it', async () => {
    const config = loadConfig({}, { pgliteDir: path.join(dir, 'db-a') });
    const again = runDryRun({ spec, config, logger: silentLogger, seed: 42, outDir: path.join(dir, 'again'), clock: 'instant', transport: 'twin' });
    await expect(again).rejects.toMatchObject({ name: 'CampaignExistsError', message: expect.stringMatching(/campaign "oer-screen-seed42" already exists and has ended \(completed\): export its results with `labloop export oer-screen-seed42`/) });
  });
});
