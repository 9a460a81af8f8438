import type { Rng } from '../../src/domain/index.ts';
import type { LiquidHandlerLimits } from '../../drivers/liquid-handler/wire-contract.ts';

/**
 * Timing and accuracy of a simulated single-channel-per-arm pipetting robot (DEVICES.md figures): flow ≈ 90 µL/s,
 * tip pickup or drop 3–5 s, a move 1–2 s; dispensed volume within ±1–2 % at mid volume (σ ≈ 0.75 %), worse near
 * the pipette minimum (σ ≈ 3 % at the minimum).
 */
export interface PipettingModel {
  flowRate_uL_s: number;
  tipPickup_s: readonly [number, number];
  tipDrop_s: readonly [number, number];
  move_s: readonly [number, number];
  home_s: number;
  /** One fill–drain–rinse cycle of the cell wash pump, s. */
  washCycle_s: number;
  /** Relative σ of the dispensed volume at mid volume. */
  cv: number;
  /** Extra relative σ at the pipette minimum (decays as minVolume / volume). */
  lowVolumeCv: number;
  /** σ of the per-device systematic bias (calibration offset), relative. */
  biasSd: number;
}

export const DEFAULT_PIPETTING: PipettingModel = {
  flowRate_uL_s: 90,
  tipPickup_s: [3, 5],
  tipDrop_s: [3, 5],
  move_s: [1, 2],
  home_s: 3,
  washCycle_s: 19,
  cv: 0.0075,
  lowVolumeCv: 0.0225,
  biasSd: 0.0025,
};

export const DEFAULT_LIMITS: LiquidHandlerLimits = {
  channels: 8,
  minVolume: 1,
  maxVolume: 1000,
  maxTransferVolume: 5000,
  cellCapacity: 5000,
};

export class PipettingPhysics {
  /** Systematic calibration offset of this device, relative. */
  readonly bias: number;

  constructor(
    readonly model: PipettingModel,
    readonly limits: LiquidHandlerLimits,
    private readonly rng: Rng,
  ) {
    this.bias = rng.normal() * model.biasSd;
  }

  duration(range: readonly [number, number]): number {
    return this.rng.uniform(range[0], range[1]);
  }

  flow_s(volume: number): number {
    return volume / this.model.flowRate_uL_s;
  }

  /** Relative σ of a dispense of `volume` µL. */
  relativeSd(volume: number): number {
    return this.model.cv + this.model.lowVolumeCv * Math.min(1, this.limits.minVolume / Math.max(volume, 1e-9));
  }

  /** The volume that actually leaves the tip when `volume` µL is commanded (clipped to ±10 %). */
  actualDispense(volume: number): number {
    const err = this.bias + this.rng.normal() * this.relativeSd(volume);
    return volume * (1 + Math.max(-0.1, Math.min(0.1, err)));
  }
}
