import { makeFailure, type Failure, type LiquidHandlerStep } from '../../src/domain/index.ts';
import type { LiquidHandlerLimits } from '../../drivers/liquid-handler/wire-contract.ts';
import { splitLocation, type SimulatedWorld } from '../world.ts';

/**
 * The pre-motion check of a batch of liquid-handler steps: a dry pass over nominal volumes and tip states that
 * refuses the whole batch before anything moves (volume out of range, tip already mounted / no tip, unknown liquid,
 * insufficient liquid, overflow). The device runs it before every operation, so a refused batch changes nothing.
 */

/** What one channel carries. */
export interface ChannelState {
  tip: boolean;
  /** Source of the liquid in the tip, if any. */
  source?: string;
  /** Nominal liquid volume in the tip, µL. */
  volume: number;
}

const TOLERANCE = 1e-6;

export function emptyChannels(n: number): ChannelState[] {
  return Array.from({ length: n }, () => ({ tip: false, volume: 0 }));
}

export function cloneChannels(channels: readonly ChannelState[]): ChannelState[] {
  return channels.map((c) => ({ ...c }));
}

/** Nominal stock draws and cell volumes seen by the dry pass (world values plus the batch's own effects). */
class Ledger {
  private readonly drawn = new Map<string, number>();
  private readonly cells = new Map<string, number>();
  constructor(private readonly world: SimulatedWorld) {}

  stockLeft(location: string): number {
    const [, name] = splitLocation(location);
    return (this.world.stockVolume(name) ?? 0) - (this.drawn.get(name) ?? 0);
  }
  draw(location: string, volume: number): void {
    const [, name] = splitLocation(location);
    this.drawn.set(name, (this.drawn.get(name) ?? 0) + volume);
  }
  cellVolume(location: string): number {
    const [, id] = splitLocation(location);
    return this.cells.get(id) ?? this.world.cellContents(id).volume;
  }
  addToCell(location: string, volume: number): void {
    const [, id] = splitLocation(location);
    this.cells.set(id, this.cellVolume(location) + volume);
  }
  emptyCell(location: string): void {
    const [, id] = splitLocation(location);
    this.cells.set(id, 0);
  }
}

export function isStock(world: SimulatedWorld, location: string): boolean {
  const [kind, name] = splitLocation(location);
  return kind === 'stock' && world.stockVolume(name) !== undefined;
}

export function isDispenseTarget(location: string): boolean {
  const [kind, name] = splitLocation(location);
  return location === 'waste' || ((kind === 'cell' || kind === 'plate') && name.length > 0);
}

function channelsOf(step: LiquidHandlerStep): number[] {
  if (step.kind === 'pick_up_tips' || step.kind === 'drop_tips') return step.channels;
  if (step.kind === 'aspirate' || step.kind === 'dispense' || step.kind === 'transfer') return [step.channel];
  return [];
}

function noTip(channel: number, where: string): Failure {
  return makeFailure('COMMAND_REJECTED', `${where}: no tip mounted on channel ${channel}`, { vendorCode: 'NO_TIP' });
}

/**
 * Checks one step against the (mutable) nominal state and applies its nominal effect. Returns the failure that
 * refuses it, if any. `where` names the step in messages ("step 3 (transfer)").
 */
export function checkStep(
  step: LiquidHandlerStep,
  where: string,
  channels: ChannelState[],
  ledger: Ledger,
  limits: LiquidHandlerLimits,
  world: SimulatedWorld,
): Failure | undefined {
  for (const ch of channelsOf(step)) {
    if (ch >= limits.channels) return makeFailure('COMMAND_REJECTED', `${where}: channel ${ch} does not exist (device has ${limits.channels})`, { vendorCode: 'BAD_CHANNEL' });
  }
  const volumeRange = (volume: number, max: number): Failure | undefined =>
    volume < limits.minVolume - TOLERANCE || volume > max + TOLERANCE
      ? makeFailure('VOLUME_OUT_OF_RANGE', `${where}: ${volume} µL is outside [${limits.minVolume}, ${max}] µL`)
      : undefined;
  const sourceCheck = (source: string, volume: number): Failure | undefined => {
    if (!isStock(world, source)) return makeFailure('LIQUID_NOT_FOUND', `${where}: no liquid at ${source} (sources are stock:<name>)`);
    const left = ledger.stockLeft(source);
    if (left < volume - TOLERANCE) return makeFailure('INSUFFICIENT_LIQUID', `${where}: ${source} holds ${left.toFixed(1)} µL, ${volume} µL needed`);
    return undefined;
  };
  const targetCheck = (target: string, volume: number): Failure | undefined => {
    if (!isDispenseTarget(target)) return makeFailure('COMMAND_REJECTED', `${where}: cannot dispense into ${target} (targets are cell:<id>, plate:<well>, waste)`, { vendorCode: 'BAD_TARGET' });
    if (target.startsWith('cell:')) {
      const after = ledger.cellVolume(target) + volume;
      if (after > limits.cellCapacity + TOLERANCE) return makeFailure('OVERFLOW', `${where}: ${target} would hold ${after.toFixed(1)} µL, capacity ${limits.cellCapacity} µL`);
    }
    return undefined;
  };

  switch (step.kind) {
    case 'pick_up_tips': {
      const mounted = step.channels.filter((c) => channels[c]?.tip);
      if (mounted.length > 0)
        return makeFailure('TIP_ALREADY_MOUNTED', `${where}: tip already mounted on channel(s) ${mounted.join(', ')}`, {
          channels: mounted.map((c) => ({ channel: c, code: 'TIP_ALREADY_MOUNTED' as const, message: 'tip already mounted' })),
        });
      for (const c of step.channels) channels[c] = { tip: true, volume: 0 };
      return undefined;
    }
    case 'drop_tips': {
      const missing = step.channels.find((c) => !channels[c]?.tip);
      if (missing !== undefined) return noTip(missing, where);
      for (const c of step.channels) {
        const state = channels[c];
        if (state?.source !== undefined && state.volume > 0) ledger.draw(state.source, state.volume);
        channels[c] = { tip: false, volume: 0 };
      }
      return undefined;
    }
    case 'aspirate': {
      const state = channels[step.channel];
      const bad = volumeRange(step.volume, limits.maxVolume);
      if (bad) return bad;
      if (!state?.tip) return noTip(step.channel, where);
      if (state.source !== undefined && state.volume > TOLERANCE && state.source !== step.source)
        return makeFailure('COMMAND_REJECTED', `${where}: channel ${step.channel} holds liquid from ${state.source}; will not mix in ${step.source}`, { vendorCode: 'MIXED_TIP' });
      if (state.volume + step.volume > limits.maxVolume + TOLERANCE)
        return makeFailure('VOLUME_OUT_OF_RANGE', `${where}: tip would hold ${state.volume + step.volume} µL, more than ${limits.maxVolume} µL`);
      const src = sourceCheck(step.source, state.volume + step.volume);
      if (src) return src;
      channels[step.channel] = { tip: true, source: step.source, volume: state.volume + step.volume };
      return undefined;
    }
    case 'dispense': {
      const state = channels[step.channel];
      const bad = volumeRange(step.volume, limits.maxVolume);
      if (bad) return bad;
      if (!state?.tip) return noTip(step.channel, where);
      if (state.source === undefined || state.volume < step.volume - TOLERANCE)
        return makeFailure('VOLUME_OUT_OF_RANGE', `${where}: channel ${step.channel} holds ${state.volume} µL, cannot dispense ${step.volume} µL`);
      const tgt = targetCheck(step.target, step.volume);
      if (tgt) return tgt;
      ledger.draw(state.source, step.volume);
      if (step.target.startsWith('cell:')) ledger.addToCell(step.target, step.volume);
      const left = state.volume - step.volume;
      channels[step.channel] = left > TOLERANCE ? { tip: true, source: state.source, volume: left } : { tip: true, volume: 0 };
      return undefined;
    }
    case 'transfer': {
      const bad = volumeRange(step.volume, limits.maxTransferVolume);
      if (bad) return bad;
      const state = channels[step.channel];
      if (!step.newTip && state?.source !== undefined && state.volume > TOLERANCE)
        return makeFailure('COMMAND_REJECTED', `${where}: channel ${step.channel} still holds ${state.volume} µL from ${state.source}`, { vendorCode: 'MIXED_TIP' });
      if (step.newTip && state?.source !== undefined && state.volume > 0) ledger.draw(state.source, state.volume);
      const src = sourceCheck(step.source, step.volume);
      if (src) return src;
      const tgt = targetCheck(step.target, step.volume);
      if (tgt) return tgt;
      ledger.draw(step.source, step.volume);
      if (step.target.startsWith('cell:')) ledger.addToCell(step.target, step.volume);
      channels[step.channel] = { tip: true, volume: 0 };
      return undefined;
    }
    case 'home':
      return undefined;
    case 'wash_cell': {
      const [kind, id] = splitLocation(step.cell);
      if (kind !== 'cell' || id.length === 0) return makeFailure('COMMAND_REJECTED', `${where}: ${step.cell} is not a cell (cell:<id>)`, { vendorCode: 'BAD_TARGET' });
      ledger.emptyCell(step.cell);
      return undefined;
    }
  }
}

/** Dry-runs a batch; returns the first failure (nothing has moved) or undefined when the batch may start. */
export function validateSteps(
  steps: readonly LiquidHandlerStep[],
  channels: readonly ChannelState[],
  limits: LiquidHandlerLimits,
  world: SimulatedWorld,
): Failure | undefined {
  const state = cloneChannels(channels);
  const ledger = new Ledger(world);
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as LiquidHandlerStep;
    const where = steps.length > 1 ? `step ${i + 1} (${step.kind})` : step.kind;
    const failure = checkStep(step, where, state, ledger, limits, world);
    if (failure) return failure;
  }
  return undefined;
}
