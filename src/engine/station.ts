import type { LiquidHandler } from '../devices/liquid-handler.ts';
import type { Potentiostat } from '../devices/potentiostat.ts';

/**
 * A station pair: one liquid handler feeding one electrochemical cell. The engine runs one trial at a time on a
 * pair (the lock), counts consecutive device faults and quarantines the pair after too many.
 */
export class Station {
  busy = false;
  quarantined = false;
  /** Consecutive faults per device: a success on one device does not hide the repeated failures of the other. */
  private readonly faultsByDevice = new Map<string, number>();
  activeRunId: string | undefined;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly cell: string,
    readonly liquidHandler: LiquidHandler,
    readonly potentiostat: Potentiostat,
  ) {}

  /** The longest run of consecutive faults of either device. */
  get consecutiveFaults(): number {
    return Math.max(0, ...this.faultsByDevice.values());
  }

  recordFault(device: string): number {
    const n = (this.faultsByDevice.get(device) ?? 0) + 1;
    this.faultsByDevice.set(device, n);
    return n;
  }

  recordSuccess(device: string): void {
    this.faultsByDevice.delete(device);
  }

  resetFaults(): void {
    this.faultsByDevice.clear();
  }

  get available(): boolean {
    return !this.busy && !this.quarantined;
  }

  /** Runs `fn` while holding the station's lock (one trial at a time). */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await previous;
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
      release();
    }
  }
}
