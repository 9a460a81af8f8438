import { describe, expect, it } from 'vitest';
import type { LiquidHandlerStep } from '../../../src/domain/index.ts';
import { Deck } from '../../../src/devices/labware.ts';
import { ops } from '../../../src/devices/operation-records.ts';
import { VolumeTracker, type Transaction } from '../../../src/devices/volume-tracker.ts';

function tracker(tips = 0): VolumeTracker {
  const deck = new Deck({
    reservoirs: [
      { name: 'Ni', species: 'Ni', concentration: 200, volume: 2000, deadVolume: 500 },
      { name: 'water', species: 'water', concentration: 1, volume: 10_000 },
    ],
    cells: [{ id: 'a', capacity: 3000 }],
    tipRacks: tips > 0 ? [{ id: 'r1', tips }] : [],
  });
  return new VolumeTracker(deck, { channels: 4, minVolume: 1, maxVolume: 1000, maxTransferVolume: 5000 });
}

const plan = (t: VolumeTracker, steps: LiquidHandlerStep[]): Transaction => {
  const tx = t.begin();
  steps.forEach((s, i) => tx.step(s, i));
  return tx;
};

describe('VolumeTracker', () => {
  it('reserves draws while pending, then commits the actual dispensed volumes and the composition', () => {
    const t = tracker();
    const tx = plan(t, [ops.transfer(0, 'stock:Ni', 'cell:a', 500), ops.transfer(0, 'stock:water', 'cell:a', 500)]);
    expect(tx.ok).toBe(true);
    expect(t.volume('stock:Ni')).toBe(2000);
    expect(t.usableVolume('stock:Ni')).toBe(1000); // 2000 − 500 dead − 500 reserved
    tx.commit([
      { source: 'stock:Ni', target: 'cell:a', volume: 495 },
      { source: 'stock:water', target: 'cell:a', volume: 502 },
    ]);
    expect(t.volume('stock:Ni')).toBeCloseTo(1505, 9);
    expect(t.contentsOf('cell:a').volume).toBeCloseTo(997, 9);
    expect(t.concentrations('cell:a')['Ni']).toBeCloseTo((495 * 200) / 997, 6);
    expect(t.mountedTips()).toEqual([0]);
    expect(t.usableVolume('stock:Ni')).toBeCloseTo(1005, 9);
  });

  it('refuses with per-channel errors, skipping later steps of a failed channel, and changes nothing on rollback', () => {
    const t = tracker();
    const tx = plan(t, [
      ops.pickUpTips([0, 1], 'tips:r1'),
      ops.pickUpTips([1, 2], 'tips:r1'), // channel 1 already has a tip
      ops.aspirate(1, 'stock:Ni', 100), // skipped: channel 1 failed
      ops.aspirate(0, 'stock:Ni', 1200), // more than a tip holds
      ops.aspirate(2, 'stock:Ni', 900), // only 1500 usable, fine
      ops.aspirate(3, 'stock:Ni', 10), // no tip
      ops.dispense(2, 'cell:a', 900),
      ops.washCell('stock:Ni'),
    ]);
    expect(tx.ok).toBe(false);
    expect(tx.errors.map((e) => [e.channel, e.code, e.vendorCode])).toEqual([
      [1, 'TIP_ALREADY_MOUNTED', undefined],
      [0, 'VOLUME_OUT_OF_RANGE', undefined],
      [3, 'COMMAND_REJECTED', 'NO_TIP'],
      [undefined, 'COMMAND_REJECTED', 'BAD_TARGET'],
    ]);
    tx.rollback();
    expect(t.mountedTips()).toEqual([]);
    expect(t.usableVolume('stock:Ni')).toBe(1500);
    expect(() => tx.commit()).toThrow(/closed/);
  });

  it('refuses liquid below the dead volume, unknown sources and overflowing targets', () => {
    const t = tracker();
    const short = plan(t, [ops.transfer(0, 'stock:Ni', 'cell:a', 1600)]);
    expect(short.errors[0]).toMatchObject({ code: 'INSUFFICIENT_LIQUID' });
    expect(short.errors[0]?.message).toMatch(/500 µL dead volume/);
    short.rollback();
    expect(plan(t, [ops.transfer(0, 'stock:Fe', 'cell:a', 10)]).errors[0]?.code).toBe('LIQUID_NOT_FOUND');
    expect(plan(t, [ops.transfer(1, 'stock:water', 'cell:a', 2000), ops.transfer(1, 'stock:water', 'cell:a', 1500)]).errors[0]?.code).toBe('OVERFLOW');
    expect(plan(t, [ops.transfer(2, 'stock:water', 'stock:Ni', 10)]).errors[0]).toMatchObject({ code: 'COMMAND_REJECTED', vendorCode: 'BAD_TARGET' });
    expect(plan(t, [ops.transfer(9, 'stock:water', 'cell:a', 10)]).errors[0]).toMatchObject({ code: 'COMMAND_REJECTED', vendorCode: 'BAD_CHANNEL' });
  });

  it('sees the reservations of other open transactions', () => {
    const t = tracker();
    const a = plan(t, [ops.transfer(0, 'stock:Ni', 'cell:a', 1000)]);
    const b = plan(t, [ops.transfer(1, 'stock:Ni', 'cell:b', 1000)]);
    expect(a.ok).toBe(true);
    expect(b.errors[0]?.code).toBe('INSUFFICIENT_LIQUID');
    b.rollback();
    a.rollback();
    expect(plan(t, [ops.transfer(1, 'stock:Ni', 'cell:b', 1000)]).ok).toBe(true);
  });

  it('commits only the channels that succeeded, and settles a failed sequence from the device report', () => {
    const t = tracker(3);
    const pick = plan(t, [ops.pickUpTips([0, 1, 2], 'tips:r1')]);
    expect(t.tipsLeft('tips:r1')).toBe(3);
    pick.commitChannels([0, 2]);
    expect(t.mountedTips()).toEqual([0, 2]);
    expect(t.tipsLeft('tips:r1')).toBe(1);
    expect(plan(t, [ops.pickUpTips([1, 3], 'tips:r1')]).errors.map((e) => [e.channel, e.code])).toEqual([[3, 'TIP_PICKUP_FAILED']]);

    const seq = plan(t, [ops.transfer(0, 'stock:Ni', 'cell:a', 300), ops.transfer(0, 'stock:water', 'cell:a', 700)]);
    seq.settle({ dispensed: [{ source: 'stock:Ni', target: 'cell:a', volume: 301 }], tipsMounted: [0] });
    expect(t.contentsOf('cell:a').volume).toBeCloseTo(301, 9);
    expect(t.volume('stock:water')).toBe(10_000);
    expect(t.mountedTips()).toEqual([0]);
  });

  it('tracks uncertain cells until they are washed, and reloads and refills', () => {
    const t = tracker(1);
    t.markUncertain('cell:a');
    expect(t.isUncertain('cell:a')).toBe(true);
    plan(t, [ops.washCell('cell:a')]).commit();
    expect(t.isUncertain('cell:a')).toBe(false);
    t.reloadTips('tips:r1', 96);
    expect(t.tipsLeft('tips:r1')).toBe(96);
    t.refill('stock:Ni', 1000);
    expect(t.volume('stock:Ni')).toBe(2000); // capped at its capacity (the initial volume here)
    expect(() => t.refill('cell:a', 1)).toThrow(/not a reservoir/);
  });
});
