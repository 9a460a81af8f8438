import { describe, expect, it } from 'vitest';
import { DocumentHub } from '../../../src/console/index.ts';
import { DocumentBus, type LabDocument } from '../../../src/protocol/index.ts';
import { recordBus, ScriptedCampaign } from './console-fixtures.ts';

function setup(window?: number) {
  const batches: { campaignId: string; seqs: number[] }[] = [];
  const hub = new DocumentHub({ broadcast: (campaignId, docs) => batches.push({ campaignId, seqs: docs.map((d) => d.seq) }), window });
  const bus = new DocumentBus();
  const docs = recordBus(bus);
  return { hub, bus, docs, batches };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('DocumentHub', () => {
  it('broadcasts each campaign in order, one batch per tick, and drops repeated seqs', async () => {
    const { hub, bus, docs, batches } = setup();
    const a = new ScriptedCampaign(bus, 'A');
    const b = new ScriptedCampaign(bus, 'B');
    a.start();
    b.start();
    a.trial();
    await bus.flush();
    for (const d of docs) hub.accept(d);
    for (const d of docs.slice(0, 3)) hub.accept(d);
    expect(hub.broadcastSeq('A')).toBe(0);
    await tick();
    expect(batches).toEqual([
      { campaignId: 'A', seqs: Array.from({ length: docs.filter((d) => d.campaignId === 'A').length }, (_, i) => i + 1) },
      { campaignId: 'B', seqs: [1] },
    ]);
    expect(hub.broadcastSeq('A')).toBe(10);
    expect(hub.counters().duplicates).toBe(3);
  });

  it('serves recent documents from its window only while it still holds afterSeq + 1', async () => {
    const { hub, bus, docs } = setup(5);
    const a = new ScriptedCampaign(bus, 'A');
    a.start();
    a.trial();
    await bus.flush();
    for (const d of docs) hub.accept(d);
    await tick();
    expect(hub.recentAfter('A', 5, 100).map((d: LabDocument) => d.seq)).toEqual([6, 7, 8, 9, 10]);
    expect(hub.recentAfter('A', 7, 2).map((d: LabDocument) => d.seq)).toEqual([8, 9]);
    expect(hub.recentAfter('A', 3, 100)).toEqual([]);
    expect(hub.recentAfter('unknown', 0, 100)).toEqual([]);
  });

  it('starts a campaign after a baseline (polling) and ignores stored documents at or below it', async () => {
    const { hub, bus, docs, batches } = setup();
    const a = new ScriptedCampaign(bus, 'A');
    a.start();
    a.trial();
    await bus.flush();
    hub.baseline('A', 4);
    for (const d of docs) hub.accept(d);
    await tick();
    expect(batches[0]?.seqs[0]).toBe(5);
  });
});
