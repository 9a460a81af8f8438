import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDryRun } from '../../src/app/dry-run.ts';
import { loadConfig } from '../../src/config/index.ts';
import { Rng, silentLogger, type CampaignSpec } from '../../src/domain/index.ts';
import type { CampaignCommands } from '../../src/console/index.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import { RuleFaultInjector, type FaultRule } from '../../simulators/faults.ts';
import { trueEta10 } from '../../simulators/physics/oer-landscape.ts';
import { codesOnTrials, expectCampaignWentOn, ofType, quarantined, RecordingInjector, resultRows, safeSpec, useDryRunWorkspace, type ResultRow } from '../helpers/fault-campaign.ts';

/**
 * The potentiostat's silent cell faults through the whole loop (ADR 0050): the station reports success, our analysis
 * of the curves flags what the data show, an unusable LSV fails the trial with the cell code (retried like any
 * retryable fault), a usable one is kept with its flags, and a contaminated electrolyte batch biases every trial of
 * its station until the campaign's batch check (residuals against the BO agent's predictions) finds it, flags the
 * shifted trials with ELECTROLYTE_CONTAMINATION and quarantines the station until the electrolyte is replaced.
 */

const workspace = useDryRunWorkspace('labloop-faults-cell-');
const config = loadConfig({}, { pgliteDir: 'memory://' });

interface Outcome {
  state: string;
  rows: ResultRow[];
  docs: LabDocument[];
  injector: RecordingInjector;
}

const spec = (trials: number): CampaignSpec => safeSpec(trials, { maxRetries: 1, quarantineAfter: 3 });

type Operator = (q: { campaignId: string; station: string; message: string }, commands: CampaignCommands) => void;

/**
 * ADR 0050's sensitivity (h 4σ, k 0.75σ, no floor): these seeded campaigns exercise the mechanics — flag, quarantine,
 * release, re-qualification — on one poisoned 2-pair campaign; the defaults' rates are measured in docs/benchmarks.md.
 */
const ADR0050_SENSITIVITY = { allowance: 0.75, threshold: 4, minShift: 0 };

async function dryRun(s: CampaignSpec, injector: RecordingInjector, o: { seed?: number; operator?: Operator } = {}): Promise<Outcome> {
  const outDir = workspace.nextOutDir();
  const summary = await runDryRun({ spec: s, config, logger: silentLogger, seed: o.seed ?? 5, outDir, clock: 'instant', transport: 'sim', faults: injector, store: workspace.store(), campaignId: `${s.id}-${path.basename(outDir)}`, batchWatch: ADR0050_SENSITIVITY, ...(o.operator ? { onQuarantine: o.operator } : {}) });
  return { state: summary.result.state, rows: await resultRows(outDir), docs: await workspace.store().documents.after(summary.campaignId, 0, 100_000), injector };
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

  it('ELECTROLYTE_CONTAMINATION without predictions (random agent): every later trial of that station is biased, none carries a code', async () => {
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

/** Measured − true η10 of a result row (its recipe columns parsed as numbers), V. */
function eta10Error(r: ResultRow): number {
  const cols = r as unknown as Record<string, string>;
  const recipe = Object.fromEntries(['Ni', 'Fe', 'Co', 'totalMetal', 'complexant', 'depositionCharge_mC_cm2', 'annealTemperature'].map((k) => [k, Number(cols[k])]));
  return Number(cols['eta10']) - trueEta10(recipe);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Trials flagged with ELECTROLYTE_CONTAMINATION by the batch check (its `fault` documents). */
const contaminationFaults = (o: Outcome) => ofType(o.docs, 'fault').filter((d) => d.payload.failure.code === 'ELECTROLYTE_CONTAMINATION');
/** Index of the trial measured by station `station`'s nth run (1-based), from the runStart documents. */
function trialOfRun(o: Outcome, station: string, nth: number): number {
  const trialId = ofType(o.docs, 'runStart').filter((d) => d.payload.station === station)[nth - 1]?.payload.trialId;
  const row = o.rows.find((r) => r.id === trialId);
  if (!row) throw new Error(`no run ${nth} on ${station}`);
  return Number((row as unknown as Record<string, string>)['index']);
}
const indexOf = (r: ResultRow) => Number((r as unknown as Record<string, string>)['index']);

describe('campaign-side batch check: a contaminated electrolyte batch is found, flagged and its station quarantined (ADR 0050)', () => {
  // BO agent (predictions after 5 Sobol trials), 2 station pairs, 30 trials. A poison (80 % of the sites blocked,
  // η10 up by ≈ 0.7·b) enters pair1's electrolyte at its 8th run and would stay for the rest of the 24-run batch.
  // Seed 7 is one where the clean campaign raises no alarm (measured on 16 seeded campaigns: 2 false alarms, ADR 0050).
  const SEED = 7;
  const BAD_RUN = 8;
  const auto = safeSpec(30, { agent: 'bo', maxRetries: 1, quarantineAfter: 3 });
  // ADR 0050's path: the station waits for an operator (ADR 0061's automatic re-qualification is tested below).
  const spec: CampaignSpec = { ...auto, stations: { ...auto.stations, requalification: { mode: 'operator', tolerance: 0.03 } } };
  const poison = () => forced([{ code: 'ELECTROLYTE_CONTAMINATION', device: 'ps-pair1', nth: [BAD_RUN], magnitude: -1 }]);
  const release: Operator = (q, commands) => void commands.execute({ campaignId: q.campaignId, action: 'release', station: q.station }, 'test-operator');
  let contaminated: Outcome;
  let replaced: Outcome;
  let clean: Outcome;
  let requalified: Outcome;

  beforeAll(async () => {
    contaminated = await dryRun(spec, poison(), { seed: SEED });
    replaced = await dryRun(spec, poison(), { seed: SEED, operator: release });
    clean = await dryRun(spec, forced([]), { seed: SEED });
    requalified = await dryRun(auto, poison(), { seed: SEED });
  }, 300_000);

  it('finds the shift within 5 trials of the batch going bad and flags those trials, which stay completed and recorded', () => {
    const o = contaminated;
    expectCampaignWentOn(o, 30);
    const faults = contaminationFaults(o);
    expect(faults.length).toBeGreaterThan(0);
    expect(new Set(faults.map((f) => f.payload.station))).toEqual(new Set(['pair1']));
    expect(faults.every((f) => f.payload.failure.retryable === false && f.payload.failure.recoverable === false)).toBe(true);
    const flagged = o.rows.filter((r) => faults.some((f) => f.payload.trialId === r.id));
    expect(flagged).toHaveLength(faults.length);
    // A flag, not a failure: the trials stay completed with their measured η10.
    for (const r of flagged) {
      expect(r).toMatchObject({ status: 'completed', station: 'pair1', failureCode: '' });
      expect(Number((r as unknown as Record<string, string>)['eta10'])).toBeGreaterThan(0.1);
    }
    // Detection delay: pair1 trials from the first contaminated one up to the alarm (the last flagged trial).
    const firstBad = trialOfRun(o, 'pair1', BAD_RUN);
    const alarm = Math.max(...flagged.map(indexOf));
    const delay = o.rows.filter((r) => r.station === 'pair1' && indexOf(r) >= firstBad && indexOf(r) <= alarm).length;
    expect(delay).toBeGreaterThanOrEqual(1);
    expect(delay).toBeLessThanOrEqual(5);
    // The flagged trials were measured in the contaminated batch, biased by the poison: the CUSUM's estimate of where
    // the shift began may reach back one pair1 trial before it (the agent's proposals decide how far the readings of
    // the trial before the change sit above the model), never further.
    const pair1Before = o.rows.filter((r) => r.station === 'pair1' && indexOf(r) < firstBad).map(indexOf);
    const lastCleanPair1 = Math.max(...pair1Before);
    expect(flagged.filter((r) => indexOf(r) < firstBad).map(indexOf).every((i) => i === lastCleanPair1)).toBe(true);
    expect(mean(flagged.map(eta10Error))).toBeGreaterThan(0.02);
  });

  it('quarantines the contaminated station with the reason; the other station finishes the budget', () => {
    const o = contaminated;
    expect(o.state).toBe('completed');
    expect(quarantined(o.docs)).toEqual(['pair1']);
    const reason = ofType(o.docs, 'stationState').find((d) => d.payload.quarantined)?.payload.message ?? '';
    expect(reason).toMatch(/^ELECTROLYTE_CONTAMINATION: eta10 residuals of station pair1 shifted \+/);
    expect(reason).toContain('Replace the electrolyte batch, then release the station');
    const alarm = Math.max(...contaminationFaults(o).map((f) => indexOf(o.rows.find((r) => r.id === f.payload.trialId)!)));
    expect(o.rows.filter((r) => r.station === 'pair1' && indexOf(r) > alarm)).toEqual([]);
    expect(o.rows.filter((r) => r.station === 'pair2' && indexOf(r) > alarm).length).toBeGreaterThan(5);
    expect(o.rows.every((r) => r.status === 'completed')).toBe(true);
  });

  it("an operator's release replaces the electrolyte: the station measures clean again and raises no second alarm", () => {
    const o = replaced;
    expectCampaignWentOn(o, 30);
    expect(ofType(o.docs, 'operatorAction').map((d) => [d.payload.action, d.payload.target, d.payload.accepted])).toEqual([['release', 'pair1', true]]);
    const faults = contaminationFaults(o);
    expect(new Set(faults.map((f) => f.payload.station))).toEqual(new Set(['pair1']));
    const alarm = Math.max(...faults.map((f) => indexOf(o.rows.find((r) => r.id === f.payload.trialId)!)));
    const after = o.rows.filter((r) => r.station === 'pair1' && indexOf(r) > alarm);
    expect(after.length).toBeGreaterThan(3);
    // Still inside the 24-run batch the poison would have stayed in: the fresh electrolyte is clean.
    expect(Math.abs(mean(after.map(eta10Error)))).toBeLessThan(0.015);
    expect(mean(o.rows.filter((r) => faults.some((f) => f.payload.trialId === r.id)).map(eta10Error))).toBeGreaterThan(0.02);
    expect(ofType(o.docs, 'stationState').filter((d) => d.payload.quarantined && d.payload.message).length).toBe(1);
  });

  it('automatic re-qualification (ADR 0061, the default): the lab replaces the electrolyte, a reference measurement on pair1 passes and it takes trials again', () => {
    const o = requalified;
    expectCampaignWentOn(o, 30);
    const faults = contaminationFaults(o);
    expect(new Set(faults.map((f) => f.payload.station))).toEqual(new Set(['pair1']));
    const refs = ofType(o.docs, 'suggestion').filter((d) => d.payload.suggestion.proposer === 'reference');
    expect(refs).toHaveLength(1);
    const ref = o.rows.find((r) => r.id === refs[0]?.payload.trialId);
    expect(ref).toMatchObject({ station: 'pair1', status: 'completed', proposer: 'reference' });
    // pair1's fresh electrolyte reads the reference within the tolerance: it takes trials again.
    expect(o.rows.filter((r) => r.station === 'pair1' && indexOf(r) > indexOf(ref as ResultRow)).length).toBeGreaterThanOrEqual(2);
    // Quarantined once (the alarm), released by the campaign, never quarantined again.
    expect(ofType(o.docs, 'stationState').filter((d) => d.payload.quarantined && d.payload.message).length).toBe(1);
    expect(ofType(o.docs, 'stationState').at(-1)?.payload.quarantined).toBe(false);
  });

  it('the same campaign without the contamination raises no alarm', () => {
    const o = clean;
    expectCampaignWentOn(o, 30);
    expect(contaminationFaults(o)).toEqual([]);
    expect(quarantined(o.docs)).toEqual([]);
  });
});
