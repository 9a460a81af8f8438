import { DeviceError, techniqueRunSchema, type EchemResult, type TechniqueRun } from '../domain/index.ts';
import type { CommandOptions, PotentiostatBackend } from './backends.ts';

/** Instrument limits the frontend enforces before a technique reaches the backend. */
export interface PotentiostatLimits {
  /** Applied potential range, V vs RHE. */
  potential_V_RHE: [number, number];
  maxScanRate_V_s: number;
  maxCurrent_A: number;
}

export const DEFAULT_POTENTIOSTAT_LIMITS: PotentiostatLimits = { potential_V_RHE: [-1, 2.5], maxScanRate_V_s: 1, maxCurrent_A: 0.5 };

/** Potentiostat frontend: validates technique runs and instrument limits, then delegates to the backend. */
export class Potentiostat {
  constructor(readonly backend: PotentiostatBackend, private readonly limits: PotentiostatLimits = DEFAULT_POTENTIOSTAT_LIMITS) {}

  get deviceId(): string {
    return this.backend.deviceId;
  }

  async run(raw: TechniqueRun, opts: CommandOptions): Promise<EchemResult> {
    const parsed = techniqueRunSchema.safeParse(raw);
    if (!parsed.success) throw DeviceError.of('PARAMETER_OUT_OF_LIMITS', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const run = parsed.data;
    const [lo, hi] = this.limits.potential_V_RHE;
    for (const [key, value] of Object.entries(run.params)) {
      if (key.endsWith('_V_RHE') && (value < lo || value > hi))
        throw DeviceError.of('PARAMETER_OUT_OF_LIMITS', `${key} = ${value} V vs RHE outside the instrument range [${lo}, ${hi}]`);
      if (key === 'scanRate_V_s' && (value <= 0 || value > this.limits.maxScanRate_V_s))
        throw DeviceError.of('PARAMETER_OUT_OF_LIMITS', `scanRate_V_s = ${value} outside (0, ${this.limits.maxScanRate_V_s}]`);
    }
    return this.backend.runTechnique(run, opts);
  }
}
