import { DeviceError, type Clock, type LiquidHandlerStep, type Logger, type OperationResult } from '../../src/domain/index.ts';
import { LIQUID_HANDLER_VENDOR_CODES } from '../../src/devices/liquid-handler-codes.ts';
import type { FaultEffect, FaultPhase } from '../fault-injector.ts';
import { splitLocation, type SimulatedWorld } from '../world.ts';
import type { PipettingPhysics } from './pipetting-model.ts';
import type { PrecipitationRule } from './precipitation.ts';
import { emptyChannels, type ChannelState } from './step-validation.ts';

/** Sums actual dispensed volumes per (source, target) pair, in order of first appearance. */
export class DispenseTally {
  private readonly entries = new Map<string, { source: string; target: string; volume: number }>();
  add(source: string, target: string, volume: number): void {
    const key = `${target}|${source}`;
    const e = this.entries.get(key);
    if (e) e.volume += volume;
    else this.entries.set(key, { source, target, volume });
  }
  list(): OperationResult['dispensed'] {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }
}

export interface PipettingArmOptions {
  world: SimulatedWorld;
  clock: Clock;
  physics: PipettingPhysics;
  channels: number;
  maxVolume: number;
  precipitation: PrecipitationRule;
  /** Asks the fault injector for a silent fault at this phase (the core counts the calls). */
  effect: (phase: FaultPhase, operation: string) => FaultEffect | undefined;
  logger: Logger;
}

/**
 * The moving part of the simulated liquid handler: channels with tips, the timing of every motion, and what the
 * liquid really does in the SimulatedWorld — pipetting error, silent faults (a short dispense, carry-over of the
 * previous source) and precursor precipitation in a cell (the next dispense into it clots).
 */
export class PipettingArm {
  channels: ChannelState[];
  tipsUsed = 0;
  /** Source of the previous delivery (what carry-over brings along). */
  private lastSource: string | undefined;
  /** Precipitated cells (id → why) until washed. */
  private readonly precipitated = new Map<string, string>();

  constructor(private readonly o: PipettingArmOptions) {
    this.channels = emptyChannels(o.channels);
  }

  mountedTips(): number[] {
    return this.channels.flatMap((c, i) => (c.tip ? [i] : []));
  }

  /** Why a cell precipitated, if it did and has not been washed since. */
  precipitationIn(cellId: string): string | undefined {
    return this.precipitated.get(cellId);
  }

  async perform(step: LiquidHandlerStep, tally: DispenseTally): Promise<void> {
    const p = this.o.physics;
    const sleep = (s: number): Promise<void> => this.o.clock.sleep(s);
    switch (step.kind) {
      case 'pick_up_tips':
        await sleep(p.duration(p.model.move_s));
        await sleep(p.duration(p.model.tipPickup_s));
        for (const c of step.channels) this.channels[c] = { tip: true, volume: 0 };
        this.tipsUsed += step.channels.length;
        return;
      case 'drop_tips':
        await sleep(p.duration(p.model.move_s));
        await sleep(p.duration(p.model.tipDrop_s));
        for (const c of step.channels) this.discardTip(c);
        return;
      case 'aspirate': {
        const ch = this.channel(step.channel);
        const [, name] = splitLocation(step.source);
        await sleep(p.duration(p.model.move_s));
        if ((this.o.world.stockVolume(name) ?? 0) < ch.volume + step.volume)
          throw DeviceError.of('INSUFFICIENT_LIQUID', `${step.source} ran short while aspirating ${step.volume} µL`);
        await sleep(p.flow_s(step.volume));
        this.channels[step.channel] = { tip: true, source: step.source, volume: ch.volume + step.volume };
        return;
      }
      case 'dispense': {
        const ch = this.channel(step.channel);
        await sleep(p.duration(p.model.move_s));
        this.checkClot(step.target);
        await sleep(p.flow_s(step.volume));
        this.deliver(ch.source ?? '', step.target, step.volume, tally);
        const left = ch.volume - step.volume;
        this.channels[step.channel] = left > 1e-6 && ch.source !== undefined ? { tip: true, source: ch.source, volume: left } : { tip: true, volume: 0 };
        return;
      }
      case 'transfer': {
        const ch = this.channel(step.channel);
        if (step.newTip && ch.tip) {
          await sleep(p.duration(p.model.move_s));
          await sleep(p.duration(p.model.tipDrop_s));
          this.discardTip(step.channel);
        }
        if (step.newTip || !ch.tip) {
          await sleep(p.duration(p.model.move_s));
          await sleep(p.duration(p.model.tipPickup_s));
          this.channels[step.channel] = { tip: true, volume: 0 };
          this.tipsUsed++;
        }
        const moves = Math.ceil(step.volume / this.o.maxVolume - 1e-9);
        const each = step.volume / moves;
        for (let m = 0; m < moves; m++) {
          await sleep(p.duration(p.model.move_s));
          await sleep(p.flow_s(each));
          await sleep(p.duration(p.model.move_s));
          this.checkClot(step.target);
          await sleep(p.flow_s(each));
          this.deliver(step.source, step.target, each, tally);
        }
        return;
      }
      case 'home':
        await sleep(p.model.home_s);
        return;
      case 'wash_cell': {
        await sleep(p.duration(p.model.move_s));
        await sleep(step.cycles * p.model.washCycle_s);
        const [, id] = splitLocation(step.cell);
        this.o.world.emptyCell(id);
        this.precipitated.delete(id);
        return;
      }
    }
  }

  private channel(index: number): ChannelState {
    return this.channels[index] ?? { tip: false, volume: 0 };
  }

  /** A dispense into a precipitated cell clots the tip (pressure rise as it meets the precipitate). */
  private checkClot(target: string): void {
    const [kind, id] = splitLocation(target);
    const why = kind === 'cell' ? this.precipitated.get(id) : undefined;
    if (why !== undefined)
      throw DeviceError.of('CLOT', `clot while dispensing into ${target}: ${why}`, { vendorCode: LIQUID_HANDLER_VENDOR_CODES.clotAtTarget });
  }

  /**
   * Moves the dispensed volume (with pipetting error) from the source stock to the target. The tally gets what the
   * device believes it dispensed; the world gets what really arrived (less after a short dispense, plus a little of
   * the previous source after carry-over).
   */
  private deliver(source: string, target: string, nominal: number, tally: DispenseTally): void {
    const { world } = this.o;
    const actual = this.o.physics.actualDispense(nominal);
    const effect = this.o.effect('delivery', 'dispense');
    const arrives = effect?.code === 'SHORT_DISPENSE' ? actual * (1 - Math.min(1, Math.max(0, effect.magnitude))) : actual;
    if ((world.stockVolume(splitLocation(source)[1]) ?? 0) < actual || !world.move(source, target, arrives))
      throw DeviceError.of('INSUFFICIENT_LIQUID', `${source} ran short: ${actual.toFixed(1)} µL could not be drawn`);
    if (arrives < actual) {
      world.move(source, 'waste', actual - arrives); // stays in the tip and is discarded with it
      this.o.logger.debug({ source, target, requested: nominal, arrived: arrives }, 'silent fault: short dispense');
    }
    tally.add(source, target, actual);
    if (effect?.code === 'CARRY_OVER' && this.lastSource !== undefined && this.lastSource !== source) {
      const carried = nominal * Math.max(0, effect.magnitude);
      if (world.move(this.lastSource, target, carried)) this.o.logger.debug({ from: this.lastSource, target, carried }, 'silent fault: carry-over');
    }
    this.lastSource = source;
    const [kind, id] = splitLocation(target);
    if (kind === 'cell' && !this.precipitated.has(id)) {
      const why = this.o.precipitation.precipitates(world.cellConcentrations(id));
      if (why !== undefined) {
        this.precipitated.set(id, why);
        this.o.logger.debug({ cell: id, why }, 'precursor precipitated in the cell');
      }
    }
  }

  /** Drops a tip; liquid still in it goes to waste (and is gone from its stock). */
  discardTip(channel: number): void {
    const ch = this.channel(channel);
    if (ch.source !== undefined && ch.volume > 0) this.o.world.move(ch.source, 'waste', ch.volume);
    this.channels[channel] = { tip: false, volume: 0 };
  }
}
