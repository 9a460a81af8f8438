import { describe, expect, it } from 'vitest';
import { DEFAULT_CELL_CAPACITY, Deck } from '../../../src/devices/labware.ts';
import { deepFreeze, ops, operationRecord } from '../../../src/devices/operation-records.ts';

describe('Deck', () => {
  const deck = new Deck({
    reservoirs: [
      { name: 'Ni', species: 'Ni', concentration: 200, volume: 10_000, capacity: 50_000 },
      { name: 'water', species: 'water', concentration: 1, volume: 100_000, deadVolume: 1000 },
    ],
    cells: [{ id: 'pair1', capacity: 3000 }],
    plates: [{ id: 'p1', rows: 8, columns: 12, wellCapacity: 300 }],
    tipRacks: [{ id: 'r1', tips: 96 }],
  });

  it('resolves reservoirs, cells, plate wells, tip racks and waste; nothing else', () => {
    expect(deck.resolve('stock:Ni')).toMatchObject({ kind: 'reservoir', species: 'Ni', concentration: 200, deadVolume: 500, initialVolume: 10_000, capacity: 50_000 });
    expect(deck.resolve('stock:water')).toMatchObject({ deadVolume: 1000 });
    expect(deck.resolve('cell:pair1')).toMatchObject({ kind: 'cell', capacity: 3000 });
    expect(deck.resolve('cell:other')).toMatchObject({ kind: 'cell', capacity: DEFAULT_CELL_CAPACITY });
    expect(deck.resolve('plate:p1/H12')).toMatchObject({ kind: 'well', capacity: 300, deadVolume: 10 });
    expect(deck.resolve('plate:p1/I1')).toBeUndefined();
    expect(deck.resolve('plate:p1/A13')).toBeUndefined();
    expect(deck.resolve('plate:p2/A1')).toBeUndefined();
    expect(deck.resolve('tips:r1')).toMatchObject({ kind: 'tipRack', tips: 96 });
    expect(deck.resolve('waste')).toMatchObject({ kind: 'waste' });
    expect(deck.resolve('stock:Fe')).toBeUndefined();
    expect(deck.reservoirFor('water')?.location).toBe('stock:water');
  });

  it('refuses a bad deck with the reason', () => {
    expect(() => new Deck({ reservoirs: [{ name: 'a', species: 'Ni', concentration: 1, volume: 10 }, { name: 'a', species: 'Fe', concentration: 1, volume: 10 }] })).toThrow(/stock:a is declared twice/);
    expect(() => new Deck({ reservoirs: [{ name: 'a', species: 'Ni', concentration: 1, volume: 10, capacity: 5 }] })).toThrow(/capacity/);
    expect(() => new Deck({ reservoirs: [{ name: 'a b', species: 'Ni', concentration: 1, volume: 10 }] })).toThrow();
    expect(new Deck({ openCells: false }).resolve('cell:x')).toBeUndefined();
  });

  it('builds a deck from the campaign stocks', () => {
    const d = Deck.fromStocks([{ name: 'Fe', species: 'Fe', concentration: 100, volume: 2000 }], { deadVolume: 50, cells: ['c1'], tipRacks: [{ id: 'r', tips: 4 }] });
    expect(d.resolve('stock:Fe')).toMatchObject({ deadVolume: 50, initialVolume: 2000 });
    expect(d.tipRacks()).toHaveLength(1);
  });
});

describe('operation records', () => {
  it('builds validated, frozen operations and records', () => {
    const t = ops.transfer(0, 'stock:Ni', 'cell:a', 100);
    expect(t).toEqual({ kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:a', volume: 100, newTip: true });
    expect(Object.isFrozen(t)).toBe(true);
    expect(() => ops.aspirate(0, 'stock:Ni', -1)).toThrow();
    const p = ops.protocol([ops.washCell('cell:a'), t]);
    expect(Object.isFrozen(p)).toBe(true);
    expect(p.kind === 'run_protocol' && Object.isFrozen(p.steps[1])).toBe(true);
    const mutable = { kind: 'home' as const };
    const rec = operationRecord({ seq: 1, commandId: 'c', op: mutable, outcome: 'succeeded', dispensed: [], duration_s: 3, channelErrors: [], notes: [] });
    expect(Object.isFrozen(rec) && Object.isFrozen(rec.op)).toBe(true);
    expect(Object.isFrozen(mutable)).toBe(false); // the caller's object is copied, not frozen
    expect(deepFreeze({ a: { b: [1] } }).a.b).toEqual([1]);
  });
});
