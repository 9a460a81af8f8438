import { describe, expect, it } from 'vitest';
import { isStockShortage, makeFailure, shortStocks } from '../../../src/domain/index.ts';
import { Deck } from '../../../src/devices/labware.ts';
import { ops } from '../../../src/devices/operation-records.ts';
import type { StockDraw } from '../../../src/devices/sample-preparation.ts';
import { StockWatch, drawsByStock, stockLowReason, stockShortages } from '../../../src/devices/stock-supply.ts';
import { SharedReservoirs, VolumeTracker } from '../../../src/devices/volume-tracker.ts';

const draw = (stock: string, volume: number): StockDraw => ({ stock, species: stock, volume });

describe('stock supply check', () => {
  it('sums a sample’s draws per stock and reports only the stocks that cannot supply them', () => {
    const draws = [draw('water', 1000), draw('complexant', 150), draw('Ni', 400), draw('complexant', 100)];
    expect(drawsByStock(draws).get('complexant')).toBe(250);
    const usable: Record<string, number> = { water: 5000, complexant: 120, Ni: 400 };
    // Ni holds exactly what the sample needs: enough. complexant holds 120 of the 250 µL needed.
    expect(stockShortages(draws, (s) => usable[s] ?? 0)).toEqual([{ stock: 'complexant', usable_uL: 120, needed_uL: 250 }]);
    expect(stockShortages(draws, () => 10_000)).toEqual([]);
    // A stock tracked below its dead volume reports 0 usable, not a negative volume.
    expect(stockShortages([draw('Fe', 10)], () => -30)).toEqual([{ stock: 'Fe', usable_uL: 0, needed_uL: 10 }]);
  });

  it('names every short stock, usable against needed µL, in the pause reason', () => {
    expect(stockLowReason([{ stock: 'complexant', usable_uL: 120, needed_uL: 250 }])).toBe('STOCK_LOW: stock:complexant holds 120 µL usable, 250 µL needed; refill it and resume');
    expect(stockLowReason([{ stock: 'Ni', usable_uL: 0, needed_uL: 4.25 }, { stock: 'Fe', usable_uL: 12.5, needed_uL: 300 }])).toBe(
      'STOCK_LOW: stock:Ni holds 0.0 µL usable, 4.3 µL needed; stock:Fe holds 13 µL usable, 300 µL needed; refill them and resume',
    );
  });

  it('recognises a stock running out in the frontend’s refusal, the instrument’s report and the hold before dispatch', () => {
    const frontend = makeFailure('INSUFFICIENT_LIQUID', 'refused before motion: step 3: stock:complexant has 12.0 µL usable above its 500 µL dead volume, 250 µL needed');
    const device = makeFailure('INSUFFICIENT_LIQUID', 'device said no', { channels: [{ channel: 0, code: 'INSUFFICIENT_LIQUID', message: 'step 2 (transfer): stock:Ni_2 holds 3.0 µL, 40 µL needed' }] });
    const held = makeFailure('STOCK_LOW', stockLowReason([{ stock: 'Fe', usable_uL: 1, needed_uL: 2 }]));
    expect(shortStocks(frontend)).toEqual(['complexant']);
    expect(shortStocks(device)).toEqual(['Ni_2']);
    expect(shortStocks(held)).toEqual(['Fe']);
    expect([frontend, device, held].every(isStockShortage)).toBe(true);
    // Not a supply event: another code, or INSUFFICIENT_LIQUID that names no stock (e.g. a plate well).
    expect(isStockShortage(makeFailure('CLOT', 'stock:Ni clotted'))).toBe(false);
    expect(isStockShortage(makeFailure('INSUFFICIENT_LIQUID', 'plate:p1/A1 ran dry'))).toBe(false);
  });
});

describe('StockWatch (early warning)', () => {
  it('warns once per stock when it falls below about 8 samples’ mean draw, and again only after a refill lifted it', () => {
    const watch = new StockWatch();
    // Samples alternately draw 200 and 0 µL of complexant: the mean draw is 100 µL per sample; threshold 800 µL.
    for (let i = 0; i < 10; i++) watch.record(new Map([['complexant', i % 2 === 0 ? 200 : 0], ['water', 1000]]));
    expect(watch.meanDraw('complexant')).toBe(100);
    const usable: Record<string, number> = { complexant: 900, water: 1e6 };
    const check = () => watch.check(['complexant', 'water', 'Ni'], (s) => usable[s] ?? 0);
    expect(check()).toEqual([]);
    usable['complexant'] = 750;
    expect(check()).toEqual([{ stock: 'complexant', usable_uL: 750, meanDraw_uL: 100, samplesLeft: 7 }]);
    usable['complexant'] = 400;
    expect(check()).toEqual([]); // rate-limited: the same crossing is reported once
    usable['complexant'] = 5000; // refilled
    expect(check()).toEqual([]);
    usable['complexant'] = 300;
    expect(check().map((w) => [w.stock, w.samplesLeft])).toEqual([['complexant', 3]]);
  });

  it('takes the mean over the most recent samples only', () => {
    const watch = new StockWatch({ horizon: 2, window: 4 });
    for (const v of [1000, 1000, 1000, 1000, 10, 10, 10, 10]) watch.record(new Map([['Ni', v]]));
    expect(watch.meanDraw('Ni')).toBe(10);
    expect(watch.check(['Ni'], () => 15)).toEqual([{ stock: 'Ni', usable_uL: 15, meanDraw_uL: 10, samplesLeft: 1 }]);
  });
});

describe('shared reservoirs', () => {
  const deck = (): Deck => new Deck({ reservoirs: [{ name: 'Ni', species: 'Ni', concentration: 200, volume: 2000, deadVolume: 500 }] });
  const limits = { channels: 1, minVolume: 1, maxVolume: 1000, maxTransferVolume: 5000 };

  it('lets two liquid handlers see each other’s draws and reservations, but keep their own cells', () => {
    const shared = new SharedReservoirs();
    const a = new VolumeTracker(deck(), limits, shared);
    const b = new VolumeTracker(deck(), limits, shared);
    const tx = a.begin();
    tx.step(ops.transfer(0, 'stock:Ni', 'cell:a', 600), 0);
    expect(b.usableVolume('stock:Ni')).toBe(900); // 2000 − 500 dead − 600 reserved by a
    tx.commit();
    expect(b.volume('stock:Ni')).toBe(1400);
    expect(b.contentsOf('cell:a').volume).toBe(600); // the shared map holds a's cell; b never addresses it
    const tooMuch = b.begin();
    tooMuch.step(ops.transfer(0, 'stock:Ni', 'cell:b', 1000), 0);
    expect(tooMuch.ok).toBe(false);
    expect(tooMuch.errors[0]?.code).toBe('INSUFFICIENT_LIQUID');
    tooMuch.rollback();
    // A refill fills the shared reservoir once, up to its capacity (the listed volume), and says what it added.
    expect(a.refill('stock:Ni', 5000)).toBe(600);
    expect(b.volume('stock:Ni')).toBe(2000);
    b.setVolume('stock:Ni', 123);
    expect(a.volume('stock:Ni')).toBe(123);
  });
});
