import type { Failure } from '../src/domain/index.ts';

/**
 * Decides whether a simulated device operation fails. Simulators call `check` before (or while) executing an
 * operation; a returned Failure is reported exactly as the real instrument would report it.
 * The full injector (probabilities, recipe regions, forced faults) lives in simulators/faults.ts.
 */
export interface FaultInjector {
  check(site: FaultSite): Failure | undefined;
  /**
   * Faults that do not fail the operation: silent ones (a short dispense, carry-over) and transport effects (a lost
   * reply, a duplicate delivery, the device dropping off the broker mid-run). Optional: injectors without it inject
   * none.
   */
  effect?(site: FaultSite): FaultEffect | undefined;
}

/**
 * Where in a command's life a fault is checked: `command` when it arrives, `run` when it starts executing, `step`
 * before each step (the default), `delivery` when liquid leaves the tip, `reply` when the final reply is sent.
 */
export type FaultPhase = 'command' | 'run' | 'step' | 'delivery' | 'reply';

export interface FaultSite {
  device: string;
  /** Operation kind or technique, e.g. `aspirate`, `run_protocol`, `LSV`, `OER_Screen_v1`. */
  operation: string;
  /** Monotonic call counter for this device (for "fail on the nth call" hooks). */
  call: number;
  /** Default `step`. */
  phase?: FaultPhase;
  /** The command being executed, when the device knows it (so a test can tell a retry from the original). */
  commandId?: string;
  /** Where in recipe space the site is, when the device knows it (a station: its cell's metal fractions and bath). */
  region?: Readonly<Record<string, number>>;
}

/** Codes of the faults that do not fail an operation (they are not FailureCodes: nothing reports them). */
export const EFFECT_CODES = [
  'SHORT_DISPENSE',
  'CARRY_OVER',
  'LOST_REPLY',
  'DUPLICATE_DELIVERY',
  'DEVICE_LOST',
  'IR_COMPENSATION_ERROR',
  'BUBBLE_COVERAGE',
  'ELECTROLYTE_CONTAMINATION',
] as const;
export type EffectCode = (typeof EFFECT_CODES)[number];

export interface FaultEffect {
  code: EffectCode;
  /**
   * Size of a silent fault: the fraction of the volume that does not arrive (SHORT_DISPENSE); the fraction of the
   * previous source's volume that is carried over (CARRY_OVER); the fraction of the true Ru the potentiostat
   * compensates (IR_COMPENSATION_ERROR; configured ≈ 0.85); the severity in (0, 1] of bubble coverage at high current
   * (BUBBLE_COVERAGE); the signed level in [−1, 1] of an electrolyte contamination (ELECTROLYTE_CONTAMINATION: > 0 Fe
   * impurity, < 0 a site-blocking poison). simulators/echem/cell-faults.ts turns them into physics.
   */
  magnitude: number;
}

export const noFaults: FaultInjector = { check: () => undefined };
