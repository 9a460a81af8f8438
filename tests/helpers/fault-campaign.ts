import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { CampaignSpec, FailureCode } from '../../src/domain/index.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import type { FaultInjector, FaultSite } from '../../simulators/fault-injector.ts';
import type { RuleFaultInjector } from '../../simulators/faults.ts';
import type { Store } from '../../src/store/store.ts';
import { openTempStore } from './db.ts';
import { defaultSpec } from './default-spec.ts';

/**
 * Shared fixture of the dry runs with injected faults (tests/integration/faults*.test.ts): a region of the default
 * scenario without chemistry failures, an injector that records every site, and readers of a run's outputs.
 */

/** Ni–Fe–Co films in a benign process window: no chemistry failure, so device faults are the only failures. */
export const SAFE_PARAMETERS: CampaignSpec['parameters'] = [
  { type: 'simplex', name: 'metals', components: ['Ni', 'Fe', 'Co'], minFraction: 0.05, totalConcentration: 'totalMetal' },
  { type: 'continuous', name: 'totalMetal', low: 30, high: 50, unit: 'mM', log: false },
  { type: 'continuous', name: 'complexant', low: 2, high: 10, unit: 'mM', log: false },
  { type: 'continuous', name: 'depositionCharge_mC_cm2', low: 20, high: 60, unit: 'mC/cm2', log: false },
  { type: 'continuous', name: 'annealTemperature', low: 100, high: 200, unit: 'degC', log: false },
];

/** The default campaign on 2 station pairs over SAFE_PARAMETERS with the random agent. */
export function safeSpec(trials = 4, strategy: Partial<CampaignSpec['strategy']> = {}): CampaignSpec {
  const spec = defaultSpec({ budget: { trials }, stations: { pairs: 2 } });
  return { ...spec, parameters: SAFE_PARAMETERS, strategy: { ...spec.strategy, agent: 'random', ...strategy } };
}

/** Records every site the devices ask about (to see commandIds), delegating to the rule injector. */
export class RecordingInjector implements FaultInjector {
  readonly sites: FaultSite[] = [];
  constructor(readonly inner: RuleFaultInjector) {}
  check(site: FaultSite) {
    this.sites.push(site);
    return this.inner.check(site);
  }
  effect(site: FaultSite) {
    this.sites.push(site);
    return this.inner.effect(site);
  }
}

export interface ResultRow {
  id: string;
  status: string;
  failureCode: string;
  station: string;
  attempts: string;
}

/** The rows of a dry run's results.csv, by column name. */
export async function resultRows(outDir: string): Promise<ResultRow[]> {
  const [header, ...lines] = (await readFile(path.join(outDir, 'results.csv'), 'utf8')).trim().split(/\r?\n/);
  const cols = (header ?? '').split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i] ?? `c${i}`, v])) as unknown as ResultRow);
}

export const ofType = <T extends LabDocument['type']>(docs: LabDocument[], type: T) => docs.filter((d): d is Extract<LabDocument, { type: T }> => d.type === type);
export const codesOnTrials = (docs: LabDocument[]): FailureCode[] => ofType(docs, 'trialState').flatMap((d) => (d.payload.failure ? [d.payload.failure.code] : []));
export const quarantined = (docs: LabDocument[]): string[] => [...new Set(ofType(docs, 'stationState').filter((d) => d.payload.quarantined).map((d) => d.payload.station))];

/** Every trial ended completed or failed with a code (never INTERNAL), and the campaign completed its budget. */
export function expectCampaignWentOn(o: { state: string; rows: ResultRow[] }, trials = 4): void {
  expect(o.state).toBe('completed');
  expect(o.rows).toHaveLength(trials);
  for (const r of o.rows) {
    expect(['completed', 'failed']).toContain(r.status);
    if (r.status === 'failed') expect(r.failureCode, JSON.stringify(r)).toMatch(/^[A-Z_]+$/);
    if (r.status === 'failed') expect(r.failureCode).not.toBe('INTERNAL');
  }
}

/** One in-memory store and a scratch folder shared by a test file's dry runs (opened before all, removed after all). */
export function useDryRunWorkspace(prefix: string): { store: () => Store; nextOutDir: () => string } {
  let store: Store | undefined;
  let dir = '';
  let runs = 0;
  beforeAll(async () => {
    store = await openTempStore();
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterAll(async () => {
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    store: () => {
      if (!store) throw new Error('the dry-run workspace is opened in beforeAll');
      return store;
    },
    nextOutDir: () => path.join(dir, `run-${++runs}`),
  };
}
