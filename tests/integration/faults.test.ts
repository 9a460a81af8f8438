import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDryRun } from '../../src/app/dry-run.ts';
import { createLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/index.ts';
import { FAILURE_CODES, Rng, silentLogger, type CampaignSpec, type FailureCode } from '../../src/domain/index.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import { FAULT_CATALOGUE, RuleFaultInjector, type FaultCode, type FaultRule } from '../../simulators/faults.ts';
import { trueOutcome } from '../../simulators/physics/oer-landscape.ts';
import { expectCampaignWentOn, ofType, codesOnTrials, quarantined, RecordingInjector, resultRows, safeSpec as safeRegion, useDryRunWorkspace, type ResultRow } from '../helpers/fault-campaign.ts';

/**
 * One small dry run per fault code (2 station pairs, 4 trials, in-process devices, one shared in-memory store):
 * the campaign goes on, the trial carries the code, retryable faults are retried with a new commandId, and a pair
 * whose device keeps failing is quarantined while the other keeps working. Transport faults over the MQTT twin are
 * in faults-mqtt.test.ts, the potentiostat's silent cell faults in faults-cell.test.ts.
 */

/** The fault suite's campaign: SAFE_PARAMETERS, one retry, quarantine after 3 consecutive faults. */
const safeSpec = (trials = 4): CampaignSpec => safeRegion(trials, { maxRetries: 1, quarantineAfter: 3 });

interface Outcome {
  state: string;
  rows: ResultRow[];
  docs: LabDocument[];
  injector: RecordingInjector;
}

const workspace = useDryRunWorkspace('labloop-faults-');
const config = loadConfig({}, { pgliteDir: 'memory://' });

async function dryRun(spec: CampaignSpec, rules: FaultRule[] = []): Promise<Outcome> {
  const injector = new RecordingInjector(new RuleFaultInjector(new Rng(11), rules));
  const outDir = workspace.nextOutDir();
  const summary = await runDryRun({ spec, config, logger: process.env['LABLOOP_TEST_LOG'] ? createLogger('debug') : silentLogger, seed: 5, outDir, clock: 'instant', transport: 'sim', faults: injector, store: workspace.store(), campaignId: `${spec.id}-${path.basename(outDir)}` });
  const docs = await workspace.store().documents.after(summary.campaignId, 0, 100_000);
  return { state: summary.result.state, rows: await resultRows(outDir), docs, injector };
}


const lhFails = FAULT_CATALOGUE.filter((f) => f.device === 'liquidHandler' && f.effect === 'fail');
const psFails = FAULT_CATALOGUE.filter((f) => f.device === 'potentiostat' && f.effect === 'fail');

describe('device faults through the whole loop: pair1 keeps failing, pair2 keeps working', () => {
  /*
   * Budgets and K are chosen so that a trial retried by the campaign loop never has to wait for a busy station: the
   * loop can miss the wake-up when a station frees while a retry waits for one (agents/campaign-loop.ts claimStation
   * waits on stationsChanged(), which the executor fires before the loop releases its reservation) and then hangs.
   * Retryable: 2 trials, K = 5 — trial 1 faults 4 times on pair1 (step, its retry, the cleanup wash and its retry),
   * is retried at once on pair1 (still free), and its 5th fault quarantines pair1. Otherwise: 3 trials, K = 3.
   */
  it.each(lhFails.map((f) => [f.code]))('%s on the liquid handler', async (code) => {
    const hints = FAILURE_CODES[code as FailureCode];
    const trials = hints.retryable ? 2 : 3;
    const spec = safeSpec(trials);
    spec.strategy.quarantineAfter = hints.retryable ? 5 : 3;
    const o = await dryRun(spec, [{ code: code as FaultCode, device: 'lh-pair1', probability: 1 }]);
    expectCampaignWentOn(o, trials);
    // The trial carries the code.
    expect(codesOnTrials(o.docs)).toContain(code);
    const failedRows = o.rows.filter((x) => x.status === 'failed');
    expect(failedRows.length).toBeGreaterThan(0);
    for (const r of failedRows) expect(r).toMatchObject({ failureCode: code, station: 'pair1', attempts: hints.retryable ? '1' : '0' });
    // Every fault was recorded against pair1's liquid handler.
    const faults = ofType(o.docs, 'fault');
    expect(faults.length).toBeGreaterThan(0);
    expect(faults.every((f) => f.payload.device === 'lh-pair1' && f.payload.failure.code === code)).toBe(true);
    // Retryable: the same step went out again under a new commandId; otherwise never twice in a row.
    const failing = o.injector.inner.injected.filter((f) => f.site.device === 'lh-pair1').map((f) => f.site.commandId);
    if (hints.retryable) {
      expect(faults.some((f) => f.payload.attempt === 1)).toBe(true);
      expect(new Set(failing.slice(0, 2)).size).toBe(2);
    } else expect(faults.every((f) => f.payload.attempt === 0)).toBe(true);
    // Quarantine: K = 3 consecutive faults (or one that needs an operator) take pair1 out; pair2 finishes the budget.
    expect(quarantined(o.docs)).toEqual(['pair1']);
    if (!hints.recoverable) expect(ofType(o.docs, 'stationState').find((d) => d.payload.quarantined)?.payload.consecutiveFaults).toBe(1);
    expect(o.rows.filter((r) => r.status === 'completed').every((r) => r.station === 'pair2')).toBe(true);
  });

  // 2 trials, so the campaign loop's retry of trial 1 finds pair1 free (see above). The liquid handler's successful
  // washes between the potentiostat's faults reset the pair's consecutive-fault count: only a fault that needs an
  // operator quarantines it here.
  it.each(psFails.map((f) => [f.code]))('%s on the potentiostat', async (code) => {
    const o = await dryRun(safeSpec(2), [{ code: code as FaultCode, device: 'ps-pair1', probability: 1 }]);
    expectCampaignWentOn(o, 2);
    const hints = FAILURE_CODES[code as FailureCode];
    expect(codesOnTrials(o.docs)).toContain(code);
    const failedRows = o.rows.filter((x) => x.status === 'failed');
    expect(failedRows).toHaveLength(1);
    for (const r of failedRows) expect(r).toMatchObject({ failureCode: code, station: 'pair1', attempts: hints.retryable ? '1' : '0' });
    const faults = ofType(o.docs, 'fault');
    expect(faults.every((f) => f.payload.device === 'ps-pair1' && f.payload.failure.code === code)).toBe(true);
    if (hints.retryable) expect(faults.some((f) => f.payload.attempt === 1)).toBe(true);
    else expect(faults.every((f) => f.payload.attempt === 0)).toBe(true);
    if (!hints.recoverable) expect(quarantined(o.docs)).toEqual(['pair1']);
    expect(quarantined(o.docs)).not.toContain('pair2');
    expect(o.rows.filter((r) => r.station === 'pair2').every((r) => r.status === 'completed')).toBe(true);
  });

  it('a fault that strikes once is retried with a new commandId and the trial completes', async () => {
    const o = await dryRun(safeSpec(), [{ code: 'CLOT', device: 'lh-pair1', operations: ['transfer'], nth: [1] }]);
    expectCampaignWentOn(o);
    expect(o.rows.every((r) => r.status === 'completed')).toBe(true);
    const fault = ofType(o.docs, 'fault')[0];
    expect(fault?.payload).toMatchObject({ device: 'lh-pair1', attempt: 0, failure: { code: 'CLOT' } });
    const failed = o.injector.inner.injected[0]?.site;
    const retry = o.injector.sites.find((s) => s.device === 'lh-pair1' && s.phase === 'step' && s.operation === 'transfer' && s.commandId !== failed?.commandId);
    expect(retry?.commandId).toBeDefined();
    expect(quarantined(o.docs)).toEqual([]);
  });
});

it('covers every catalogued fault (transport effects over the MQTT twin: faults-mqtt.test.ts; silent cell faults: faults-cell.test.ts)', () => {
  const here = [...lhFails, ...psFails].map((f) => `${f.device}:${f.code}`);
  const elsewhere = [
    'liquidHandler:SHORT_DISPENSE',
    'liquidHandler:CARRY_OVER',
    'liquidHandler:DUPLICATE_DELIVERY',
    'liquidHandler:DEVICE_LOST',
    'liquidHandler:LOST_REPLY',
    'potentiostat:IR_COMPENSATION_ERROR',
    'potentiostat:BUBBLE_COVERAGE',
    'potentiostat:ELECTROLYTE_CONTAMINATION',
  ];
  expect(FAULT_CATALOGUE.map((f) => `${f.device}:${f.code}`).sort()).toEqual([...here, ...elsewhere].sort());
});

describe('silent liquid-handler faults: nothing is reported, the chemistry changes', () => {
  it.each([['SHORT_DISPENSE'], ['CARRY_OVER']])('%s', async (code) => {
    // The third delivery of every sample (the first metal) goes wrong.
    const o = await dryRun(safeSpec(), [{ code: code as FaultCode, device: 'lh-pair1', nth: [3, 8, 13, 18], magnitude: code === 'SHORT_DISPENSE' ? 0.6 : 0.05 }]);
    expectCampaignWentOn(o);
    expect(o.injector.inner.count(code as FaultCode)).toBeGreaterThan(0);
    expect(ofType(o.docs, 'fault')).toHaveLength(0);
    expect(o.rows.every((r) => r.status === 'completed')).toBe(true);
  });
});

/** Chemistry failures come from the sample: the trial fails with the code, is never retried, and no station is blamed. */
describe('chemistry failures from the landscape', () => {
  const base = safeSpec();
  const cont = (name: string, low: number, high: number, unit = 'mM') => ({ type: 'continuous' as const, name, low, high, unit, log: false });
  const boxes: [FailureCode, CampaignSpec['parameters'], CampaignSpec['constraints']][] = [
    ['NO_FILM', [base.parameters[0]!, cont('totalMetal', 10, 12), cont('complexant', 40, 50), cont('depositionCharge_mC_cm2', 20, 60, 'mC/cm2'), cont('annealTemperature', 100, 200, 'degC')], []],
    [
      'PRECIPITATION',
      [{ type: 'simplex', name: 'metals', components: ['Fe', 'Ce'], minFraction: 0.05, totalConcentration: 'totalMetal' }, cont('totalMetal', 80, 100), cont('complexant', 0, 5), cont('depositionCharge_mC_cm2', 20, 60, 'mC/cm2'), cont('annealTemperature', 100, 200, 'degC')],
      [],
    ],
    [
      'INSULATING_FILM',
      [{ type: 'simplex', name: 'metals', components: ['Ni', 'Ce'], minFraction: 0.05, totalConcentration: 'totalMetal' }, cont('totalMetal', 20, 40), cont('complexant', 2, 10), cont('depositionCharge_mC_cm2', 20, 60, 'mC/cm2'), cont('annealTemperature', 100, 200, 'degC')],
      [{ coefficients: { Ni: 1 }, rhs: 0.1 }],
    ],
    ['DELAMINATION', [...base.parameters.slice(0, 3), cont('depositionCharge_mC_cm2', 140, 150, 'mC/cm2'), cont('annealTemperature', 450, 500, 'degC')], []],
    // Near the Ce-rich optimum, thick: very active films trap oxygen.
    ['BUBBLE_BLOCKING', [cont('Ni', 14, 16), cont('Fe', 3, 4), cont('Co', 9.5, 10.5), cont('Ce', 20.5, 22.5), cont('complexant', 22, 26), cont('depositionCharge_mC_cm2', 115, 125, 'mC/cm2'), cont('annealTemperature', 200, 215, 'degC')], []],
  ];

  it.each(boxes)('%s', async (code, parameters, constraints) => {
    // The boxes replace the parameters, so the example's derived ratio (complexant per metal) may name absent ones.
    const o = await dryRun({ ...base, parameters, constraints, derivedFeatures: [] });
    expectCampaignWentOn(o);
    for (const r of o.rows) expect(r).toMatchObject({ status: 'failed', failureCode: code, attempts: '0' });
    expect(ofType(o.docs, 'fault')).toHaveLength(0);
    expect(quarantined(o.docs)).toEqual([]);
    expect(new Set(o.rows.map((r) => r.station))).toEqual(new Set(['pair1', 'pair2']));
  });

  it('the boxes lie where the hidden landscape says', () => {
    expect(trueOutcome({ Ni: 0.3, Fe: 0.07, Co: 0.2, Ce: 0.43, Mn: 0, totalMetal: 48, complexant: 24, depositionCharge_mC_cm2: 120, annealTemperature: 207 }).failure?.code).toBe('BUBBLE_BLOCKING');
    expect(trueOutcome({ Ni: 0, Fe: 0.5, Co: 0, Ce: 0.5, Mn: 0, totalMetal: 90, complexant: 2, depositionCharge_mC_cm2: 40, annealTemperature: 150 }).failure?.code).toBe('PRECIPITATION');
  });
});
