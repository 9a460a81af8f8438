import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDryRun } from '../../src/app/dry-run.ts';
import { loadConfig } from '../../src/config/index.ts';
import { Rng, silentLogger, type CampaignSpec } from '../../src/domain/index.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import type { Store } from '../../src/store/store.ts';
import { RuleFaultInjector, type FaultRule } from '../../simulators/faults.ts';
import { trueEta10 } from '../../simulators/physics/oer-landscape.ts';
import { openTempStore } from '../helpers/db.ts';
import { codesOnTrials, expectCampaignWentOn, ofType, quarantined, RecordingInjector, resultRows, safeSpec, type ResultRow } from '../helpers/fault-campaign.ts';

/**
 * The potentiostat's silent cell faults through the whole loop (ADR 0050): the station reports success, our analysis
 * of the curves flags what the data show, an unusable LSV fails the trial with the cell code (retried like any
 * retryable fault), a usable one is kept with its flags, and a contaminated electrolyte batch biases every trial of
 * its station without a code.
 */

let store: Store;
let dir: string;
let runs = 0;
const config = loadConfig({}, { pgliteDir: 'memory://' });

beforeAll(async () => {
  store = await openTempStore();
  dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-faults-cell-'));
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Outcome {
  state: string;
  rows: ResultRow[];
  docs: LabDocument[];
  injector: RecordingInjector;
}

const spec = (trials: number): CampaignSpec => safeSpec(trials, { maxRetries: 1, quarantineAfter: 3 });

async function dryRun(s: CampaignSpec, injector: RecordingInjector): Promise<Outcome> {
  const outDir = path.join(dir, `run-${++runs}`);
  const summary = await runDryRun({ spec: s, config, logger: silentLogger, seed: 5, outDir, clock: 'instant', transport: 'sim', faults: injector, store });
  return { state: summary.result.state, rows: await resultRows(outDir), docs: await store.documents.after(summary.campaignId, 0, 100_000), injector };
}
const forced = (rules: FaultRule[]) => new RecordingInjector(new RuleFaultInjector(new Rng(11), rules));

/** Flags on the LSV event of each run of a trial, in order. */
const lsvFlags = (o: Outcome, trialId: string): string[][] =>
  ofType(o.docs, 'event')
    .filter((d) => d.payload.trialId === trialId && d.payload.stream === 'LSV')
    .map((d) => d.payload.flags);

/** The trials whose failure carried this code on the way, with their final row. */
function trialsThatFailedWith(o: Outcome, code: string): ResultRow[] {
  const ids = new Set(ofType(o.docs, 'trialState').filter((d) => d.payload.failure?.code === code).map((d) => d.payload.trialId));
  return o.rows.filter((r) => ids.has(r.id));
}

describe('silent cell faults through the whole loop', () => {
  it('IR_COMPENSATION_ERROR over 100 %: the LSV rings, the trial fails with the code, is retried and completes', async () => {
    const o = await dryRun(spec(2), forced([{ code: 'IR_COMPENSATION_ERROR', device: 'ps-pair1', nth: [1], magnitude: 1.3 }]));
    expectCampaignWentOn(o, 2);
    expect(codesOnTrials(o.docs)).toContain('IR_COMPENSATION_ERROR');
    const [trial] = trialsThatFailedWith(o, 'IR_COMPENSATION_ERROR');
    expect(trial).toMatchObject({ status: 'completed', attempts: '1' });
    const [first, retry] = lsvFlags(o, trial!.id);
    expect(first).toEqual(expect.arrayContaining(['oscillation', 'ir_comp_mismatch']));
    expect(retry).not.toContain('oscillation');
    // Silent at the device: no device fault was reported, no station quarantined.
    expect(ofType(o.docs, 'fault')).toHaveLength(0);
    expect(quarantined(o.docs)).toEqual([]);
  });

  it('IR_COMPENSATION_ERROR under 85 %: kept with the flag; η10 is corrected with the EIS Rs', async () => {
    const o = await dryRun(spec(2), forced([{ code: 'IR_COMPENSATION_ERROR', device: 'ps-pair1', nth: [1], magnitude: 0.62 }]));
    expectCampaignWentOn(o, 2);
    expect(o.rows.every((r) => r.status === 'completed' && r.attempts === '0')).toBe(true);
    const flagged = o.rows.filter((r) => lsvFlags(o, r.id).some((f) => f.includes('ir_comp_mismatch')));
    expect(flagged.map((r) => r.station)).toEqual(['pair1']);
    expect(codesOnTrials(o.docs)).toEqual([]);
  });

  it('BUBBLE_COVERAGE below the target: the trial fails with the code, is retried and completes', async () => {
    const o = await dryRun(spec(2), forced([{ code: 'BUBBLE_COVERAGE', device: 'ps-pair1', nth: [1], magnitude: 1 }]));
    expectCampaignWentOn(o, 2);
    const [trial] = trialsThatFailedWith(o, 'BUBBLE_COVERAGE');
    expect(trial).toMatchObject({ status: 'completed', attempts: '1' });
    expect(lsvFlags(o, trial!.id)[0]).toContain('bubbles');
    expect(ofType(o.docs, 'fault')).toHaveLength(0);
  });

  it('ELECTROLYTE_CONTAMINATION: every later trial of that station is biased, none carries a code', async () => {
    // A poison enters pair1's electrolyte at its first run and stays for the batch (24 runs).
    const o = await dryRun(spec(8), forced([{ code: 'ELECTROLYTE_CONTAMINATION', device: 'ps-pair1', nth: [1], magnitude: -1 }]));
    expectCampaignWentOn(o, 8);
    expect(o.rows.every((r) => r.status === 'completed')).toBe(true);
    expect(codesOnTrials(o.docs)).toEqual([]);
    const residual = (r: ResultRow) => Number((r as unknown as Record<string, string>)['eta10']) - trueEta10(r as unknown as Record<string, number>);
    const mean = (station: string) => {
      const rs = o.rows.filter((r) => r.station === station).map(residual);
      expect(rs.length).toBeGreaterThanOrEqual(2);
      return rs.reduce((a, b) => a + b, 0) / rs.length;
    };
    // 80 % of the sites blocked: η10 up by b·log10(5) ≈ 0.7·b on every pair1 trial.
    expect(mean('pair1') - mean('pair2')).toBeGreaterThan(0.02);
  });

  it('a fault rate turns the silent cell faults on with the others; the campaign goes on', async () => {
    const injector = new RecordingInjector(RuleFaultInjector.forRate(new Rng(4), 0.3));
    const o = await dryRun(spec(8), injector);
    expectCampaignWentOn(o, 8);
    const silent = injector.inner.injected.filter((f) => f.site.device.startsWith('ps') && f.effect).map((f) => f.code);
    expect(silent.length).toBeGreaterThan(0);
    for (const code of silent) expect(['IR_COMPENSATION_ERROR', 'BUBBLE_COVERAGE', 'ELECTROLYTE_CONTAMINATION']).toContain(code);
  });
});
