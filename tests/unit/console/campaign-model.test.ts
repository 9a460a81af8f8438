import { describe, expect, it } from 'vitest';
import { DocumentBus } from '../../../src/protocol/index.ts';
import { CampaignModel, paretoFront } from '../../../src/console/web/src/campaign-model.ts';
import { recordBus, ScriptedCampaign } from './console-fixtures.ts';

async function scripted() {
  const bus = new DocumentBus();
  const docs = recordBus(bus);
  const c = new ScriptedCampaign(bus, 'C');
  c.start();
  c.station('pair1');
  c.station('pair2');
  const t0 = c.trial({ eta: 0.41 });
  c.fault('pair2', t0);
  const t1 = c.trial({ eta: 0.38, station: 'pair2' });
  const t2 = c.trial({ fail: true });
  const t3 = c.trial({ eta: 0.39 });
  c.snapshot(3);
  bus.publish('C', 'operatorAction', { actor: 'ada', action: 'pause', accepted: true });
  bus.publish('C', 'campaignState', { state: 'paused', reason: 'paused by ada' });
  await bus.flush();
  return { docs, ids: [t0, t1, t2, t3] };
}

describe('CampaignModel (the campaign page state)', () => {
  it('keeps the latest best estimate (best-confirmed, ADR 0060) beside the best reading and logs it', async () => {
    const { docs } = await scripted();
    const bus = new DocumentBus();
    const extra = recordBus(bus);
    const best = { recipe: { Ni: 1 }, trialIds: ['a', 'b'], n: 2, mean: 0.3901, ci95: [0.38, 0.4] as [number, number], model: { mean: 0.391, sd: 0.004 } };
    for (const stage of ['before-confirmation', 'final'] as const)
      bus.publish('C', 'bestEstimate', { objective: 'eta10', direction: 'minimize', stage, basis: 'model', best, ranked: [best] });
    await bus.flush();
    const m = new CampaignModel('C');
    for (const d of docs) m.apply(d);
    for (const d of extra) m.apply({ ...d, seq: d.seq + docs.length }, true);
    expect(m.bestEstimate?.stage).toBe('final');
    expect(m.bestEstimate?.best?.n).toBe(2);
    expect(m.log.at(-1)?.text).toMatch(/^best confirmed: eta10 0\.3901 ± 0\.010 \(n = 2, model 0\.3910 ± 0\.0040\)/);
  });

  it('folds trials, stations, best-so-far, previews, snapshots and the log from documents', async () => {
    const { docs, ids } = await scripted();
    const m = new CampaignModel('C');
    for (const d of docs) expect(m.apply(d)).toBe('applied');
    expect(m.lastSeq).toBe(docs.length);
    expect(m.state).toBe('paused');
    expect(m.trialList().map((t) => [t.id, t.status])).toEqual([
      [ids[0], 'completed'],
      [ids[1], 'completed'],
      [ids[2], 'failed'],
      [ids[3], 'completed'],
    ]);
    expect(m.trials.get(ids[2]!)?.failureCode).toBe('DELAMINATION');
    expect(m.best.map((b) => b.best)).toEqual([0.41, 0.38, 0.38]);
    expect(m.bestTrialId).toBe(ids[1]);
    expect(m.stations.get('pair2')?.faults).toBe(1);
    expect(m.stations.get('pair2')?.lastFault?.code).toBe('TIP_PICKUP_FAILED');
    expect(m.preview?.trialId).toBe(ids[3]);
    expect(m.snapshots.at(-1)?.parity).toHaveLength(3);
    expect(m.suggestions.get(ids[1]!)?.rationale).toMatch(/Sobol/);
    expect(m.log.some((e) => e.kind === 'action' && /ada: pause/.test(e.text))).toBe(true);
    expect(m.log.some((e) => e.kind === 'error' && /TIP_PICKUP_FAILED/.test(e.text))).toBe(true);
  });

  it('lists the active region quarantines (ADR 0106) and logs each quarantine and lift', async () => {
    const bus = new DocumentBus();
    const docs = recordBus(bus);
    const region = { regionId: 'region-1', centre: { Ni: 1 }, radius: 0.1, trialId: 't3', reason: 'films peel', actor: 'planner:llm:plannerCall:2' };
    bus.publish('C', 'regionQuarantine', { state: 'active', ...region });
    bus.publish('C', 'regionQuarantine', { state: 'active', ...region, regionId: 'region-2', trialId: 't5' });
    bus.publish('C', 'regionQuarantine', { state: 'lifted', regionId: 'region-1', actor: 'ada', reason: 'bad substrates' });
    await bus.flush();
    const m = new CampaignModel('C');
    for (const d of docs) m.apply(d);
    expect([...m.regions.values()]).toEqual([{ ...region, regionId: 'region-2', trialId: 't5' }]);
    expect(m.log.some((e) => e.kind === 'warn' && /region region-1 quarantined .* — films peel/.test(e.text))).toBe(true);
    expect(m.log.some((e) => /region region-1 lifted by ada — bad substrates/.test(e.text))).toBe(true);
  });

  it('ignores duplicates and reports a gap without applying it, unless told the gap is real', async () => {
    const { docs } = await scripted();
    const m = new CampaignModel('C');
    for (const d of docs.slice(0, 10)) m.apply(d);
    expect(m.apply(docs[4]!)).toBe('duplicate');
    expect(m.apply(docs[12]!)).toBe('gap');
    expect(m.lastSeq).toBe(10);
    expect(m.apply(docs[12]!, true)).toBe('applied');
    expect(m.lastSeq).toBe(13);
    expect(m.apply({ ...docs[20]!, campaignId: 'other' })).toBe('duplicate');
  });

  it('finds the Pareto front under each direction', () => {
    const pts = [
      { a: 1, b: 5, id: 'p' },
      { a: 2, b: 3, id: 'q' },
      { a: 3, b: 4, id: 'r' },
      { a: 4, b: 1, id: 's' },
    ];
    expect(paretoFront(pts, true, true).map((p) => p.id)).toEqual(['p', 'q', 's']);
    expect(paretoFront(pts, false, false).map((p) => p.id)).toEqual(['p', 'r', 's']);
  });
});
