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
}

/** Codes of the faults that do not fail an operation (they are not FailureCodes: nothing reports them). */
export const EFFECT_CODES = ['SHORT_DISPENSE', 'CARRY_OVER', 'LOST_REPLY', 'DUPLICATE_DELIVERY', 'DEVICE_LOST'] as const;
export type EffectCode = (typeof EFFECT_CODES)[number];

export interface FaultEffect {
  code: EffectCode;
  /**
   * Size of a silent fault: the fraction of the volume that does not arrive (SHORT_DISPENSE) or the fraction of
   * the previous source's volume that is carried over (CARRY_OVER).
   */
  magnitude: number;
}

export const noFaults: FaultInjector = { check: () => undefined };
