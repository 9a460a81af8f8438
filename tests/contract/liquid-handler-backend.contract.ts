import { afterEach, expect, it } from 'vitest';
import { DeviceError, type FailureCode, type LiquidHandlerOperation, type OperationResult } from '../../src/domain/index.ts';
import type { CommandOptions, LiquidHandlerBackend } from '../../src/devices/backends.ts';
import { SimulatedWorld } from '../../simulators/world.ts';

/**
 * The one contract every LiquidHandlerBackend passes (in-process simulator, MQTT backend ↔ twin on any broker).
 * A factory builds a backend wired to a simulated device that moves liquid in the given world.
 */
export interface LiquidHandlerHarness {
  backend: LiquidHandlerBackend;
  /** How many operations the device actually executed (duplicates excluded). */
  executions(): number;
  close(): Promise<void>;
}

export interface HarnessOptions {
  world: SimulatedWorld;
  seed: number;
  /** The device's wall clock runs this far ahead of the backend's, ms (used to make commands arrive expired). */
  deviceClockAhead_ms?: number;
}

export type HarnessFactory = (options: HarnessOptions) => Promise<LiquidHandlerHarness>;

export const CONTRACT_STOCKS = [
  { name: 'Ni', species: 'Ni', concentration: 200, volume: 250_000 },
  { name: 'Fe', species: 'Fe', concentration: 200, volume: 250_000 },
  { name: 'water', species: 'water', concentration: 1, volume: 1_000_000 },
  { name: 'tiny', species: 'Co', concentration: 200, volume: 100 },
];

/** The cells the contract's operations touch. */
export const CONTRACT_CELLS = ['p1'];

let counter = 0;
const newId = (): string => `cmd-${process.pid}-${Date.now().toString(36)}-${++counter}`;
const opts = (commandId = newId()): CommandOptions => ({ commandId, signal: new AbortController().signal });

async function failureOf(p: Promise<unknown>): Promise<DeviceError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DeviceError);
    return err as DeviceError;
  }
  throw new Error('expected the operation to fail');
}

function snapshot(world: SimulatedWorld): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of CONTRACT_STOCKS) out[`stock:${s.name}`] = world.stockVolume(s.name) ?? NaN;
  for (const c of CONTRACT_CELLS) out[`cell:${c}`] = world.cellContents(c).volume;
  return out;
}

export function liquidHandlerBackendContract(factory: HarnessFactory): void {
  let harness: LiquidHandlerHarness | undefined;
  let world: SimulatedWorld;
  const open = async (extra: Partial<HarnessOptions> = {}): Promise<LiquidHandlerBackend> => {
    world = new SimulatedWorld(CONTRACT_STOCKS);
    harness = await factory({ world, seed: 7, ...extra });
    return harness.backend;
  };
  const run = (b: LiquidHandlerBackend, op: LiquidHandlerOperation, commandId?: string): Promise<OperationResult> => b.execute(op, opts(commandId));

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('transfer moves liquid from a stock into a cell, with pipetting error of a few %', async () => {
    const b = await open();
    const result = await run(b, { kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:p1', volume: 500, newTip: true });
    expect(result.status).toBe('succeeded');
    expect(result.dispensed).toHaveLength(1);
    const d = result.dispensed[0]!;
    expect(d).toMatchObject({ source: 'stock:Ni', target: 'cell:p1' });
    expect(Math.abs(d.volume - 500) / 500).toBeLessThan(0.03);
    expect(world.stockVolume('Ni')).toBeCloseTo(250_000 - d.volume, 6);
    expect(world.cellContents('p1').volume).toBeCloseTo(d.volume, 6);
    expect(world.cellConcentrations('p1')['Ni']).toBeCloseTo(200, 6);
    // move + tip pickup (3–5 s) + two moves + 2 × 500/90 s of flow
    expect(result.duration_s).toBeGreaterThan(14);
    expect(result.duration_s).toBeLessThan(26);
  });

  it('runs a batched run_protocol and reports what each pair actually received', async () => {
    const b = await open();
    const steps: LiquidHandlerOperation = {
      kind: 'run_protocol',
      steps: [
        { kind: 'wash_cell', cell: 'cell:p1', cycles: 1 },
        { kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:p1', volume: 300, newTip: true },
        { kind: 'transfer', channel: 0, source: 'stock:Fe', target: 'cell:p1', volume: 200, newTip: true },
        { kind: 'transfer', channel: 0, source: 'stock:water', target: 'cell:p1', volume: 1500, newTip: true },
      ],
    };
    const result = await run(b, steps);
    expect(result.status).toBe('succeeded');
    expect(result.dispensed.map((d) => d.source)).toEqual(['stock:Ni', 'stock:Fe', 'stock:water']);
    const total = result.dispensed.reduce((s, d) => s + d.volume, 0);
    expect(Math.abs(total - 2000) / 2000).toBeLessThan(0.03);
    expect(world.cellContents('p1').volume).toBeCloseTo(total, 6);
    const c = world.cellConcentrations('p1');
    expect(c['Ni']! / c['Fe']!).toBeGreaterThan(1.4);
    expect(c['Ni']! / c['Fe']!).toBeLessThan(1.6);
  });

  it('never executes a duplicate commandId twice and replays the stored result', async () => {
    const b = await open();
    const id = newId();
    const op: LiquidHandlerOperation = { kind: 'transfer', channel: 0, source: 'stock:Fe', target: 'cell:p1', volume: 250, newTip: true };
    const first = await run(b, op, id);
    const after = snapshot(world);
    const second = await run(b, op, id);
    expect(second).toEqual(first);
    expect(snapshot(world)).toEqual(after);
    expect(harness!.executions()).toBe(1);
    // Concurrent duplicates also run once.
    const id2 = newId();
    const [x, y] = await Promise.all([run(b, op, id2), run(b, op, id2)]);
    expect(x).toEqual(y);
    expect(harness!.executions()).toBe(2);
    // A reused commandId with a different operation is refused.
    const reuse = await failureOf(run(b, { ...op, volume: 100 }, id));
    expect(reuse.failure.code).toBe('COMMAND_REJECTED');
  });

  it('refuses an expired command without moving anything', async () => {
    const b = await open({ deviceClockAhead_ms: 3_600_000 });
    const before = snapshot(world);
    const err = await failureOf(run(b, { kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:p1', volume: 100, newTip: true }));
    expect(err.failure.code).toBe('COMMAND_EXPIRED');
    expect(err.failure.retryable).toBe(true);
    expect(snapshot(world)).toEqual(before);
    expect(harness!.executions()).toBe(0);
  });

  it('refuses volumes out of range before any motion, also inside a batch', async () => {
    const b = await open();
    const before = snapshot(world);
    const cases: Array<[LiquidHandlerOperation, FailureCode]> = [
      [{ kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:p1', volume: 0.2, newTip: true }, 'VOLUME_OUT_OF_RANGE'],
      [{ kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:p1', volume: 6000, newTip: true }, 'VOLUME_OUT_OF_RANGE'],
      [
        {
          kind: 'run_protocol',
          steps: [
            { kind: 'transfer', channel: 0, source: 'stock:Ni', target: 'cell:p1', volume: 300, newTip: true },
            { kind: 'transfer', channel: 0, source: 'stock:Fe', target: 'cell:p1', volume: 0.5, newTip: true },
          ],
        },
        'VOLUME_OUT_OF_RANGE',
      ],
      [{ kind: 'transfer', channel: 0, source: 'stock:tiny', target: 'cell:p1', volume: 500, newTip: true }, 'INSUFFICIENT_LIQUID'],
      [{ kind: 'transfer', channel: 0, source: 'stock:nothing', target: 'cell:p1', volume: 50, newTip: true }, 'LIQUID_NOT_FOUND'],
      [
        {
          kind: 'run_protocol',
          steps: [
            { kind: 'transfer', channel: 0, source: 'stock:water', target: 'cell:p1', volume: 3000, newTip: true },
            { kind: 'transfer', channel: 0, source: 'stock:water', target: 'cell:p1', volume: 3000, newTip: true },
          ],
        },
        'OVERFLOW',
      ],
    ];
    for (const [op, code] of cases) {
      const err = await failureOf(run(b, op));
      expect(err.failure.code, JSON.stringify(op)).toBe(code);
    }
    expect(snapshot(world)).toEqual(before);
  });

  it('status reflects the device state and tips; tip errors are coded', async () => {
    const b = await open();
    const initial = await b.status();
    expect(initial.deviceId).toBe(b.deviceId);
    expect(initial.state).toBe('ready');
    expect(initial.detail['tipsMounted']).toEqual([]);
    await run(b, { kind: 'pick_up_tips', channels: [0, 1], tipRack: 'tips:A' });
    const mounted = await b.status();
    expect(mounted.state).toBe('ready');
    expect(mounted.detail['tipsMounted']).toEqual([0, 1]);
    expect(mounted.detail['tipsUsed']).toBe(2);
    const again = await failureOf(run(b, { kind: 'pick_up_tips', channels: [1], tipRack: 'tips:A' }));
    expect(again.failure.code).toBe('TIP_ALREADY_MOUNTED');
    expect(again.failure.channels?.[0]?.channel).toBe(1);
    const noTip = await failureOf(run(b, { kind: 'aspirate', channel: 2, source: 'stock:Ni', volume: 10 }));
    expect(noTip.failure.code).toBe('COMMAND_REJECTED');
    expect(noTip.failure.vendorCode).toBe('NO_TIP');
    const asp = await run(b, { kind: 'aspirate', channel: 0, source: 'stock:Ni', volume: 100 });
    expect(asp.dispensed).toEqual([]);
    const disp = await run(b, { kind: 'dispense', channel: 0, target: 'cell:p1', volume: 100 });
    expect(disp.dispensed[0]!.volume).toBeGreaterThan(97);
    await run(b, { kind: 'drop_tips', channels: [0, 1], target: 'waste' });
    const dropped = await b.status();
    expect(dropped.detail['tipsMounted']).toEqual([]);
    expect(dropped.detail['commandsCompleted']).toBe(6);
  });

  it('lookup returns the stored result of a command, undefined for an unknown one', async () => {
    const b = await open();
    const id = newId();
    const result = await run(b, { kind: 'home' }, id);
    expect(await b.lookup(id)).toEqual(result);
    expect(await b.lookup(newId())).toBeUndefined();
    const failedId = newId();
    await failureOf(run(b, { kind: 'drop_tips', channels: [0], target: 'waste' }, failedId));
    const failed = await b.lookup(failedId);
    expect(failed?.status).toBe('failed');
    expect(failed?.failure?.vendorCode).toBe('NO_TIP');
  });
}
