import {
  DeviceError,
  liquidHandlerOperationSchema,
  type LiquidHandlerOperation,
  type OperationResult,
  type Stock,
} from '../domain/index.ts';
import type { CommandOptions, LiquidHandlerBackend } from './backends.ts';
import { PIPETTE_LIMITS } from './sample-preparation.ts';

/**
 * Liquid-handler frontend: validates operation records, checks pipette limits and the stock inventory before
 * anything moves, and tracks stock volumes in two phases (reserved while the operation runs, then committed with
 * what the device reports it actually dispensed, or released when it failed).
 */
export class LiquidHandler {
  private readonly available = new Map<string, number>();
  private readonly reserved = new Map<string, number>();

  constructor(readonly backend: LiquidHandlerBackend, stocks: readonly Stock[], private readonly deadVolume = 500) {
    for (const s of stocks) this.available.set(`stock:${s.name}`, s.volume);
  }

  get deviceId(): string {
    return this.backend.deviceId;
  }

  /** Usable volume left in a stock (after reservations and dead volume), µL. */
  usableVolume(location: string): number {
    return (this.available.get(location) ?? 0) - (this.reserved.get(location) ?? 0) - this.deadVolume;
  }

  async execute(raw: LiquidHandlerOperation, opts: CommandOptions): Promise<OperationResult> {
    const parsed = liquidHandlerOperationSchema.safeParse(raw);
    if (!parsed.success) throw DeviceError.of('VOLUME_OUT_OF_RANGE', `invalid operation: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const op = parsed.data;
    const draws = this.drawsOf(op);
    for (const [location, volume] of draws) {
      if (location.startsWith('stock:') && volume > this.usableVolume(location))
        throw DeviceError.of('INSUFFICIENT_LIQUID', `${location} has ${this.usableVolume(location).toFixed(0)} µL usable, ${volume.toFixed(1)} µL needed`);
    }
    for (const [location, volume] of draws) this.reserved.set(location, (this.reserved.get(location) ?? 0) + volume);
    try {
      const result = await this.backend.execute(op, opts);
      for (const d of result.dispensed) {
        if (d.source.startsWith('stock:')) this.available.set(d.source, (this.available.get(d.source) ?? 0) - d.volume);
      }
      return result;
    } finally {
      for (const [location, volume] of draws) this.reserved.set(location, (this.reserved.get(location) ?? 0) - volume);
    }
  }

  private drawsOf(op: LiquidHandlerOperation): Map<string, number> {
    const draws = new Map<string, number>();
    const steps = op.kind === 'run_protocol' ? op.steps : [op];
    for (const step of steps) {
      if (step.kind === 'transfer' || step.kind === 'aspirate') {
        if (step.volume < PIPETTE_LIMITS.minVolume || step.volume > PIPETTE_LIMITS.maxVolume)
          throw DeviceError.of('VOLUME_OUT_OF_RANGE', `${step.volume} µL outside [${PIPETTE_LIMITS.minVolume}, ${PIPETTE_LIMITS.maxVolume}] µL`);
        draws.set(step.source, (draws.get(step.source) ?? 0) + step.volume);
      }
    }
    return draws;
  }
}
