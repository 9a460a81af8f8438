import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDryRun, type DryRunSummary } from '../../src/app/dry-run.ts';
import { loadConfig } from '../../src/config/index.ts';
import { campaignSpecSchema, silentLogger } from '../../src/domain/index.ts';
import { defaultSpec } from '../helpers/default-spec.ts';
import { parseResultsCsv } from '../helpers/results-csv.ts';

describe('dry run with confirmation replicates: best-confirmed beside best-observed in every output (ADR 0060)', () => {
  let dir: string;
  let summary: DryRunSummary;
  const spec = campaignSpecSchema.parse({ ...defaultSpec(), budget: { trials: 14, confirmation: { replicates: 2, candidates: 2 } }, stations: { pairs: 2 } });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-dry-run-confirm-'));
    const config = loadConfig({}, { pgliteDir: path.join(dir, 'db') });
    summary = await runDryRun({ spec, config, logger: silentLogger, seed: 5, outDir: path.join(dir, 'out'), clock: 'instant', transport: 'sim' });
  }, 300_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('spends the last 4 trials re-measuring the 2 leading recipes and reports the best by the model, with its readings', async () => {
    expect(summary.result.state).toBe('completed');
    const rows = parseResultsCsv(await readFile(path.join(dir, 'out', 'results.csv'), 'utf8'));
    const confirmations = rows.filter((r) => r.proposer === 'confirmation');
    expect(confirmations).toHaveLength(4);
    expect(Math.min(...confirmations.map((r) => Number(r.index)))).toBeGreaterThanOrEqual(10);
    const e = summary.bestEstimate;
    expect(e?.stage).toBe('final');
    expect(e?.basis).toBe('model');
    expect(e?.confirmation).toEqual({ replicates: 2, candidates: 2, trials: 4 });
    // The best-confirmed recipe was one of the two candidates: its first reading plus two replicates (unless a run failed).
    expect(e?.best?.n).toBeGreaterThanOrEqual(2);
    expect(e?.best?.ci95).toHaveLength(2);
    expect(e?.best?.model?.sd).toBeGreaterThan(0);
    // results.csv marks the confirmed readings and the best single reading.
    const confirmedRows = rows.filter((r) => (r.best ?? '').includes('confirmed'));
    expect(confirmedRows.map((r) => r.id).sort()).toEqual([...(e?.best?.trialIds ?? [])].sort());
    expect(rows.filter((r) => (r.best ?? '').includes('observed'))).toHaveLength(1);
    const mean = confirmedRows.reduce((s, r) => s + Number(r.eta10), 0) / confirmedRows.length;
    expect(e?.best?.mean).toBeCloseTo(mean, 9);
  });

  it('writes best-confirmed and the model snapshots per suggestion into campaign.json, and the band into the plot', async () => {
    const json = JSON.parse(await readFile(path.join(dir, 'out', 'campaign.json'), 'utf8')) as {
      bestConfirmed?: { stage: string; best?: { n: number } };
      best: Record<string, { value: number }>;
      suggestions: { proposer: string; modelSnapshotId: string | null }[];
      modelSnapshots: { snapshotId: string; hyperparameters: Record<string, { noise?: number; lengthscales?: Record<string, number> }> }[];
    };
    expect(json.bestConfirmed?.stage).toBe('final');
    expect(json.best['eta10']?.value).toBe(summary.best?.value);
    const ids = new Set(json.modelSnapshots.map((m) => m.snapshotId));
    const bo = json.suggestions.filter((s) => s.proposer === 'bo' || s.proposer === 'confirmation');
    expect(bo.length).toBeGreaterThan(0);
    for (const s of bo) expect(ids.has(s.modelSnapshotId ?? '')).toBe(true);
    expect(json.modelSnapshots.at(-1)?.hyperparameters['eta10']?.noise).toBeGreaterThan(0);
    expect(Object.keys(json.modelSnapshots.at(-1)?.hyperparameters['eta10']?.lengthscales ?? {})).toContain('Ni');
    const svg = await readFile(path.join(dir, 'out', 'best-so-far.svg'), 'utf8');
    expect(svg).toMatch(/best confirmed [\d.]+ ± [\d.]+ \(n = \d+\)/);
    expect(svg).toContain('model estimate');
  });
});
