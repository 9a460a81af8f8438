import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCampaigns } from '../../src/app/campaign-listing.ts';
import { resumeCampaign } from '../../src/app/campaign-resume.ts';
import { runDryRun } from '../../src/app/dry-run.ts';
import { SIMULATED_OPERATOR } from '../../src/app/stock-keeper.ts';
import { refillStoredCampaign } from '../../src/app/stock-refill.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger, type CampaignSpec } from '../../src/domain/index.ts';
import { ledgerVolume, stockLedger, type LabDocument } from '../../src/protocol/index.ts';
import type { Store } from '../../src/store/index.ts';
import { WorldStateFile } from '../../simulators/device-journal.ts';
import { openTempStore } from '../helpers/db.ts';
import { defaultSpec } from '../helpers/default-spec.ts';

/**
 * ADR 0113 through the real composition (campaign loop, engine, drivers' frontends, in-process simulated lab, PGlite):
 * a complexant stock listed at 1,500 µL (1,000 µL above its dead volume) runs out after a few samples of 2 mL
 * (0–500 µL of complexant each). Every random source is seeded (campaign seed, landscape, devices).
 */
const BUDGET = 8;
const spec: CampaignSpec = (() => {
  const base = defaultSpec();
  return {
    ...base,
    budget: { ...base.budget, trials: BUDGET },
    stations: { pairs: 2 },
    strategy: { ...base.strategy, agent: 'random' },
    stocks: base.stocks.map((s) => (s.name === 'complexant' ? { ...s, volume: 1500 } : s)),
  };
})();

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'labloop-stock-'));
  store = await openTempStore();
});
afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const config = () => loadConfig({}, { pgliteDir: path.join(dir, 'db') });
const dryRun = (id: string, autoRefill: boolean) =>
  runDryRun({ spec, config: config(), logger: silentLogger, seed: 7, outDir: path.join(dir, id), clock: 'instant', transport: 'sim', campaignId: id, store, journalDir: path.join(dir, 'lab', id), autoRefill });
const docsOf = async (id: string): Promise<LabDocument[]> => store.documents.after(id, 0, 1_000_000);
const complexant = spec.stocks.find((s) => s.name === 'complexant') as CampaignSpec['stocks'][number];
/** The simulated world's complexant (its reservoir), as the lab's state file left it. */
const worldComplexant = (id: string): number => (new WorldStateFile(path.join(dir, 'lab', id)).read() as { stocks: Record<string, number> }).stocks['complexant'] as number;

function expectNoPenalty(docs: LabDocument[]): void {
  // No station quarantined, no trial failed for the stock, nothing fed to the agent as infeasible for it.
  expect(docs.filter((d) => d.type === 'stationState' && d.payload.quarantined)).toEqual([]);
  const stockFailures = docs.filter((d) => d.type === 'trialState' && (d.payload.to === 'failed' || d.payload.to === 'abandoned') && ['STOCK_LOW', 'INSUFFICIENT_LIQUID'].includes(d.payload.failure?.code ?? ''));
  expect(stockFailures).toEqual([]);
}

describe('a stock that runs out pauses the campaign for a refill (ADR 0113)', () => {
  it('pauses with STOCK_LOW, no failure or quarantine; a recorded refill and a resume complete the budget', async () => {
    const id = 'stock-pause';
    const first = await dryRun(id, false);
    expect(first.result.state).toBe('paused');
    expect(first.result.reason).toMatch(/^STOCK_LOW: stock:complexant holds \d+(\.\d)? µL usable, \d+(\.\d)? µL needed; refill it and resume$/);
    expect(first.result.progress.completed + first.result.progress.failed).toBeLessThan(BUDGET);
    let docs = await docsOf(id);
    expectNoPenalty(docs);
    expect((await store.observations.list(id)).filter((o) => o.failureCode === 'STOCK_LOW' || o.failureCode === 'INSUFFICIENT_LIQUID')).toEqual([]);
    const held = (await store.trials.list(id)).filter((t) => t.status === 'awaitingRecovery');
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((t) => t.failure?.code === 'STOCK_LOW' || t.failure?.code === 'INSUFFICIENT_LIQUID')).toBe(true);
    // The early warning came before the pause.
    expect(docs.filter((d) => d.type === 'stock' && d.payload.kind === 'low' && d.payload.stock === 'complexant').length).toBe(1);
    const before = ledgerVolume(stockLedger(docs), complexant);
    expect(worldComplexant(id)).toBeCloseTo(before, 6);
    expect(first.stockVolumes['complexant']).toBeCloseTo(before, 6);

    // Listed as paused (waiting for a refill), not as awaiting an operator's recovery decision.
    expect((await listCampaigns(store)).find((c) => c.id === id)).toMatchObject({ status: 'paused', awaitingRecovery: 0 });
    const refill = await refillStoredCampaign({ store, campaignId: id, stock: 'complexant', amount: { toListed: true }, actor: 'cli', logger: silentLogger });
    expect(refill.added_uL).toBeCloseTo(complexant.volume - before, 6);
    await expect(refillStoredCampaign({ store, campaignId: id, stock: 'cobalt', amount: { volume_uL: 10 }, actor: 'cli', logger: silentLogger })).rejects.toThrow(/no stock "cobalt"/);

    let summary = await resumeCampaign({ campaignId: id, config: config(), logger: silentLogger, outDir: path.join(dir, id), store });
    docs = await docsOf(id);
    // The resumed run's tracker started at the volume before the pause plus the refill: it ends where the world is.
    expect(summary.stockVolumes['complexant']).toBeCloseTo(worldComplexant(id), 6);
    // Each further shortage pauses again; the operator refills and resumes until the budget is spent.
    let rounds = 0;
    while (summary.result.state === 'paused' && rounds++ < 5) {
      expect(summary.result.reason).toMatch(/^STOCK_LOW: stock:complexant/);
      await refillStoredCampaign({ store, campaignId: id, stock: 'complexant', amount: { toListed: true }, actor: 'cli', logger: silentLogger });
      summary = await resumeCampaign({ campaignId: id, config: config(), logger: silentLogger, outDir: path.join(dir, id), store });
      expect(summary.stockVolumes['complexant']).toBeCloseTo(worldComplexant(id), 6);
    }
    const result = summary.result;
    expect(result.state).toBe('completed');
    expect(result.progress.completed + result.progress.failed).toBe(BUDGET);
    docs = await docsOf(id);
    // A retry after a refill does not use up the trial's recovery retries: a retryable fault fails a trial only once
    // its retries other than those after a stock ran out reach maxRetries.
    const retries = stockLedger(docs).supplyRetries;
    for (const d of docs)
      if (d.type === 'trialState' && d.payload.to === 'failed' && d.payload.failure?.retryable)
        expect(d.payload.attempt - (retries[d.payload.trialId] ?? 0)).toBeGreaterThanOrEqual(spec.strategy.maxRetries);
    expectNoPenalty(docs);
    // The held trials ran once the stock was refilled.
    for (const t of held) expect(['completed', 'failed']).toContain((await store.trials.get(t.id))?.status);
    // The simulated reservoir really received the refills: it holds what the records say (listed + refills − drawn).
    const ledger = stockLedger(docs);
    expect(ledger.refills['complexant']).toBeGreaterThanOrEqual(1);
    expect(worldComplexant(id)).toBeCloseTo(ledgerVolume(ledger, complexant), 6);
    const json = JSON.parse(await readFile(path.join(dir, id, 'campaign.json'), 'utf8')) as { stocks: { stock: string; consumed_uL: number; refills: { count: number; uL: number } }[] };
    const report = json.stocks.find((s) => s.stock === 'complexant');
    expect(report?.refills.count).toBe(ledger.refills['complexant']);
    expect(report?.consumed_uL).toBeGreaterThan(1000);
  }, 120_000);

  it('with auto-refill a simulated operator refills the stock and the dry run completes, refills reported', async () => {
    const id = 'stock-auto';
    const run = await dryRun(id, true);
    expect(run.result.state).toBe('completed');
    expect(run.result.progress.completed + run.result.progress.failed).toBe(BUDGET);
    const docs = await docsOf(id);
    expectNoPenalty(docs);
    const refills = docs.filter((d) => d.type === 'stock' && d.payload.kind === 'refill');
    expect(refills.length).toBeGreaterThanOrEqual(1);
    for (const r of refills) if (r.type === 'stock' && r.payload.kind === 'refill') expect([r.payload.stock, r.payload.actor, r.payload.toListed]).toEqual(['complexant', SIMULATED_OPERATOR, true]);
    expect(docs.some((d) => d.type === 'campaignState' && d.payload.state === 'paused')).toBe(false);
    const json = JSON.parse(await readFile(path.join(dir, id, 'campaign.json'), 'utf8')) as { stocks: { stock: string; listed_uL: number; consumed_uL: number; refills: { count: number; uL: number }; remaining_uL: number }[] };
    const report = json.stocks.find((s) => s.stock === 'complexant');
    expect(report?.refills.count).toBe(refills.length);
    expect(report?.listed_uL).toBe(1500);
    expect(report?.remaining_uL).toBeCloseTo(1500 + (report?.refills.uL ?? 0) - (report?.consumed_uL ?? 0), 0);
    expect(worldComplexant(id)).toBeCloseTo(report?.remaining_uL ?? -1, 0);
  }, 120_000);

});
