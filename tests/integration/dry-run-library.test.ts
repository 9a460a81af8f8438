import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumeCampaign } from '../../src/app/campaign-resume.ts';
import { runDryRun, type DryRunSummary } from '../../src/app/dry-run.ts';
import { loadConfig } from '../../src/config/index.ts';
import { campaignSpecSchema, silentLogger, type Recipe } from '../../src/domain/index.ts';
import { defaultSpec } from '../helpers/default-spec.ts';
import { parseResultsCsv } from '../helpers/results-csv.ts';

const KEYS = ['Ni', 'Fe', 'Co', 'Ce', 'Mn', 'totalMetal', 'complexant', 'depositionCharge_mC_cm2', 'annealTemperature'] as const;

/** A plate of 21 Ni–Fe–Co(–Ce) inks on a 10 % grid at two process conditions: 42 rows. */
function plate(): Recipe[] {
  const rows: Recipe[] = [];
  for (const [charge, anneal] of [[30, 150], [60, 300]] as const)
    for (let ni = 1; ni <= 7; ni++)
      for (let fe = 1; ni + fe <= 8 && fe <= 3; fe++) rows.push({ Ni: ni / 10, Fe: fe / 10, Co: (10 - ni - fe) / 20, Ce: (10 - ni - fe) / 20, Mn: 0, totalMetal: 50, complexant: 10, depositionCharge_mC_cm2: charge, annealTemperature: anneal });
  return rows;
}

describe('a dry run that may only run the recipes of its library (ADR 0122)', () => {
  let dir: string;
  let summary: DryRunSummary;
  const library = plate();
  const spec = campaignSpecSchema.parse({ ...defaultSpec(), library, budget: { trials: 16 }, stations: { pairs: 2 }, strategy: { ...defaultSpec().strategy, initialTrials: 4 } });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-dry-run-library-'));
    const config = loadConfig({}, { pgliteDir: path.join(dir, 'db') });
    summary = await runDryRun({ spec, config, logger: silentLogger, seed: 3, outDir: path.join(dir, 'out'), clock: 'instant', transport: 'sim' });
  }, 300_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the budget on distinct library rows only, and stores the library with the campaign', async () => {
    expect(summary.result.state).toBe('completed');
    const rows = parseResultsCsv(await readFile(path.join(dir, 'out', 'results.csv'), 'utf8'));
    expect(rows).toHaveLength(16);
    const rowOf = (r: Record<string, string>): number => library.findIndex((l) => KEYS.every((k) => Math.abs(Number(r[k]) - (l[k] as number)) < 1e-9));
    const used = rows.map(rowOf);
    expect(used.every((i) => i >= 0)).toBe(true);
    expect(new Set(used).size).toBe(rows.length);
    const json = JSON.parse(await readFile(path.join(dir, 'out', 'campaign.json'), 'utf8')) as { campaign: { spec: { library?: unknown[] } } };
    expect(json.campaign.spec.library).toHaveLength(library.length);
  });

  it('keeps to the library and runs no row twice across a pause and a resume', async () => {
    const config = loadConfig({}, { pgliteDir: path.join(dir, 'db-resume') });
    const pause = new AbortController();
    const first = await runDryRun({ spec, config, logger: silentLogger, seed: 4, outDir: path.join(dir, 'out-1'), clock: 'instant', transport: 'sim', campaignId: 'library-resume', pause: pause.signal, onProgress: (p) => void (p.completed >= 6 && pause.abort()) });
    expect(first.result.state).toBe('paused');
    const resumed = await resumeCampaign({ campaignId: 'library-resume', config, logger: silentLogger, outDir: path.join(dir, 'out-2') });
    expect(resumed.result.state).toBe('completed');
    const rows = parseResultsCsv(await readFile(path.join(dir, 'out-2', 'results.csv'), 'utf8'));
    expect(rows).toHaveLength(16);
    const used = rows.map((r) => library.findIndex((l) => KEYS.every((k) => Math.abs(Number(r[k]) - (l[k] as number)) < 1e-9)));
    expect(used.every((i) => i >= 0)).toBe(true);
    expect(new Set(used).size).toBe(16);
  }, 300_000);
});
