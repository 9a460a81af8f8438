import type { Failure } from '../src/domain/index.ts';

/**
 * Decides whether a simulated device operation fails. Simulators call `check` before (or while) executing an
 * operation; a returned Failure is reported exactly as the real instrument would report it.
 * The full injector (probabilities, recipe regions, forced faults) lives in simulators/faults.ts.
 */
export interface FaultInjector {
  check(site: FaultSite): Failure | undefined;
}

export interface FaultSite {
  device: string;
  /** Operation kind or technique, e.g. `aspirate`, `run_protocol`, `LSV`, `OER_Screen_v1`. */
  operation: string;
  /** Monotonic call counter for this device (for "fail on the nth call" hooks). */
  call: number;
}

export const noFaults: FaultInjector = { check: () => undefined };
