import { describe, expect, it } from 'vitest';
import { DocumentBus, ledgerVolume, stockLedger } from '../../../src/protocol/index.ts';

describe('stockLedger', () => {
  it('adds refills, subtracts draws and counts a run recorded twice (a replay after a crash) once', () => {
    const bus = new DocumentBus(() => new Date(Date.UTC(2026, 0, 1)));
    const docs = [
      bus.publish('c', 'stock', { kind: 'use', trialId: 't1', station: 'pair1', attempt: 0, drawn_uL: { Ni: 400, water: 1000 } }),
      bus.publish('c', 'stock', { kind: 'use', trialId: 't2', station: 'pair2', attempt: 0, drawn_uL: { Ni: 300 } }),
      bus.publish('c', 'stock', { kind: 'use', trialId: 't2', station: 'pair2', attempt: 0, drawn_uL: { Ni: 301 } }),
      bus.publish('c', 'stock', { kind: 'use', trialId: 't2', station: 'pair1', attempt: 1, drawn_uL: { Ni: 299 } }),
      bus.publish('c', 'stock', { kind: 'refill', stock: 'Ni', volume_uL: 500, toListed: false, actor: 'cli' }),
      bus.publish('c', 'stock', { kind: 'low', stock: 'Ni', usable_uL: 10, meanDraw_uL: 5, samplesLeft: 2 }),
    ];
    const ledger = stockLedger(docs);
    expect(ledger.used_uL).toEqual({ Ni: 1000, water: 1000 });
    expect(ledger.usedByStation_uL['pair1']).toEqual({ Ni: 699, water: 1000 });
    expect(ledger.refills).toEqual({ Ni: 1 });
    expect(ledgerVolume(ledger, { name: 'Ni', volume: 2000 })).toBe(1500);
    expect(ledgerVolume(ledger, { name: 'Ni', volume: 2000 }, ['pair2'])).toBe(2199);
    expect(ledgerVolume(ledger, { name: 'Fe', volume: 2000 })).toBe(2000);
  });

  it('refuses a refill document without an actor or with a negative volume', () => {
    const bus = new DocumentBus();
    expect(() => bus.publish('c', 'stock', { kind: 'refill', stock: 'Ni', volume_uL: -1, toListed: false, actor: 'cli' })).toThrow();
    expect(() => bus.publish('c', 'stock', { kind: 'refill', stock: 'Ni', volume_uL: 1, toListed: false, actor: '' })).toThrow();
  });
});
