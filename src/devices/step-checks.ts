import type { FailureCode } from '../domain/index.ts';
import type { LocationInfo } from './labware.ts';
import { LIQUID_HANDLER_VENDOR_CODES } from './liquid-handler-codes.ts';
import type { TrackerView, TransactionView } from './tracker-contract.ts';

const TOLERANCE = 1e-6;

/** The checks of one step inside a transaction; failures become channel errors. */
export class StepChecks {
  constructor(private readonly tracker: TrackerView, private readonly tx: TransactionView, private readonly index: number) {}

  private fail(code: FailureCode, message: string, channel?: number, vendorCode?: string): void {
    this.tx.fail({ step: this.index, code, message, ...(channel !== undefined ? { channel } : {}), ...(vendorCode ? { vendorCode } : {}) });
  }

  channelOk(channel: number): boolean {
    if (channel >= this.tracker.limits.channels) {
      this.fail('COMMAND_REJECTED', `channel ${channel} does not exist (${this.tracker.limits.channels} channels)`, channel, LIQUID_HANDLER_VENDOR_CODES.badChannel);
      return false;
    }
    return !this.tx.hasFailed(channel);
  }

  private range(volume: number, max: number, channel: number): boolean {
    const { minVolume } = this.tracker.limits;
    if (volume >= minVolume - TOLERANCE && volume <= max + TOLERANCE) return true;
    this.fail('VOLUME_OUT_OF_RANGE', `${volume} µL is outside [${minVolume}, ${max}] µL`, channel);
    return false;
  }

  /** Picks up a tip (from `rack`, or the first rack with tips left when the deck counts tips). */
  pickUp(channel: number, rack: string | undefined, explicit: boolean): boolean {
    if (explicit && this.tx.tipOf(channel).mounted) {
      this.fail('TIP_ALREADY_MOUNTED', `a tip is already mounted on channel ${channel}`, channel);
      return false;
    }
    const racks = this.tracker.deck.tipRacks();
    if (racks.length > 0) {
      const left = (r: string): number => (this.tracker.tipsLeft(r) ?? 0) - this.tx.takenFrom(r);
      const known = rack !== undefined && racks.some((r) => r.location === rack);
      const from = known ? rack : racks.find((r) => left(r.location) > 0)?.location;
      if (from === undefined || left(from) <= 0) {
        this.fail('TIP_PICKUP_FAILED', `no tips left in ${known ? rack : 'any tip rack'}`, channel);
        return false;
      }
      this.tx.record({ kind: 'rackTip', channel, rack: from });
    }
    this.tx.record({ kind: 'tip', channel, state: { mounted: true } });
    return true;
  }

  drop(channel: number): void {
    if (!this.tx.tipOf(channel).mounted) return this.fail('COMMAND_REJECTED', `no tip mounted on channel ${channel}`, channel, LIQUID_HANDLER_VENDOR_CODES.noTip);
    this.tx.record({ kind: 'tip', channel, state: { mounted: false } });
  }

  private source(location: string, volume: number, channel: number): LocationInfo | undefined {
    const info = this.tracker.deck.resolve(location);
    if (!info || info.kind === 'waste' || info.kind === 'tipRack') {
      this.fail('LIQUID_NOT_FOUND', `no liquid at ${location}`, channel);
      return undefined;
    }
    const usable = this.tx.volumeAt(location) - info.deadVolume;
    if (usable < volume - TOLERANCE) {
      this.fail('INSUFFICIENT_LIQUID', `${location} has ${Math.max(0, usable).toFixed(1)} µL usable above its ${info.deadVolume} µL dead volume, ${volume} µL needed`, channel);
      return undefined;
    }
    return info;
  }

  private target(location: string, volume: number, channel: number): boolean {
    const info = this.tracker.deck.resolve(location);
    if (!info || info.kind === 'reservoir' || info.kind === 'tipRack') {
      this.fail('COMMAND_REJECTED', `cannot dispense into ${location}`, channel, LIQUID_HANDLER_VENDOR_CODES.badTarget);
      return false;
    }
    const after = this.tx.volumeAt(location) + volume;
    if (info.kind !== 'waste' && after > info.capacity + TOLERANCE) {
      this.fail('OVERFLOW', `${location} would hold ${after.toFixed(1)} µL, capacity ${info.capacity} µL`, channel);
      return false;
    }
    return true;
  }

  aspirate(channel: number, location: string, volume: number): void {
    if (!this.range(volume, this.tracker.limits.maxVolume, channel)) return;
    const tip = this.tx.tipOf(channel);
    if (!tip.mounted) return this.fail('COMMAND_REJECTED', `no tip mounted on channel ${channel}`, channel, LIQUID_HANDLER_VENDOR_CODES.noTip);
    if (tip.liquid && tip.liquid.volume > TOLERANCE && tip.liquid.source !== location)
      return this.fail('COMMAND_REJECTED', `channel ${channel} holds liquid from ${tip.liquid.source}; will not mix in ${location}`, channel, LIQUID_HANDLER_VENDOR_CODES.mixedTip);
    const held = tip.liquid?.volume ?? 0;
    if (held + volume > this.tracker.limits.maxVolume + TOLERANCE)
      return this.fail('VOLUME_OUT_OF_RANGE', `tip on channel ${channel} would hold ${held + volume} µL, more than ${this.tracker.limits.maxVolume} µL`, channel);
    if (!this.source(location, volume, channel)) return;
    this.tx.record({ kind: 'draw', channel, location, volume });
    this.tx.record({ kind: 'tip', channel, state: { mounted: true, liquid: { source: location, volume: held + volume } } });
  }

  dispense(channel: number, location: string, volume: number): void {
    if (!this.range(volume, this.tracker.limits.maxVolume, channel)) return;
    const tip = this.tx.tipOf(channel);
    if (!tip.mounted) return this.fail('COMMAND_REJECTED', `no tip mounted on channel ${channel}`, channel, LIQUID_HANDLER_VENDOR_CODES.noTip);
    if (!tip.liquid || tip.liquid.volume < volume - TOLERANCE)
      return this.fail('VOLUME_OUT_OF_RANGE', `channel ${channel} holds ${tip.liquid?.volume ?? 0} µL, cannot dispense ${volume} µL`, channel);
    if (!this.target(location, volume, channel)) return;
    const left = tip.liquid.volume - volume;
    this.tx.record({ kind: 'add', channel, location, source: tip.liquid.source, volume });
    this.tx.record({ kind: 'tip', channel, state: left > TOLERANCE ? { mounted: true, liquid: { source: tip.liquid.source, volume: left } } : { mounted: true } });
  }

  transfer(channel: number, source: string, target: string, volume: number, newTip: boolean): void {
    if (!this.range(volume, this.tracker.limits.maxTransferVolume, channel)) return;
    const tip = this.tx.tipOf(channel);
    if (!newTip && tip.liquid && tip.liquid.volume > TOLERANCE)
      return this.fail('COMMAND_REJECTED', `channel ${channel} still holds ${tip.liquid.volume} µL from ${tip.liquid.source}`, channel, LIQUID_HANDLER_VENDOR_CODES.mixedTip);
    if (!this.source(source, volume, channel) || !this.target(target, volume, channel)) return;
    if ((newTip || !tip.mounted) && !this.pickUp(channel, undefined, false)) return;
    this.tx.record({ kind: 'draw', channel, location: source, volume });
    this.tx.record({ kind: 'add', channel, location: target, source, volume });
    this.tx.record({ kind: 'tip', channel, state: { mounted: true } });
  }

  wash(location: string): void {
    const info = this.tracker.deck.resolve(location);
    if (info?.kind !== 'cell') return this.fail('COMMAND_REJECTED', `${location} is not a cell`, undefined, LIQUID_HANDLER_VENDOR_CODES.badTarget);
    this.tx.record({ kind: 'wash', channel: -1, location });
  }
}
