import type { FaultEffect, FaultInjector, FaultSite } from '../../simulators/fault-injector.ts';

/**
 * The simulated lab's electrolyte maintenance: an operator's release of a station stands for a replaced electrolyte.
 * A simulated station keeps a contamination for the rest of its electrolyte batch (simulators/echem/cell-faults.ts)
 * and learns what is in its cell from the lab's fault injector, so this wraps that injector: the next run of a
 * replaced station's potentiostat draws a contamination of level 0, a clean electrolyte. When the wrapped injector
 * draws a silent fault for that very run, the drawn fault is kept (a new contamination replaces the old one anyway;
 * another fault defers the replacement to the next run), so every injected fault still happens.
 * Limit: the station core's own batch-to-batch offset (≈ 6 mV) follows its run count, not this replacement.
 */
export class ElectrolyteSupply implements FaultInjector {
  private readonly replaced = new Set<string>();

  constructor(private readonly inner: FaultInjector | undefined) {}

  /** Fills potentiostat `deviceId`'s cell with a fresh electrolyte batch before its next run. */
  replace(deviceId: string): void {
    this.replaced.add(deviceId);
  }

  check(site: FaultSite) {
    return this.inner?.check(site);
  }

  effect(site: FaultSite): FaultEffect | undefined {
    const drawn = this.inner?.effect?.(site);
    if (site.phase !== 'run' || !this.replaced.has(site.device)) return drawn;
    if (drawn && drawn.code !== 'ELECTROLYTE_CONTAMINATION') return drawn;
    this.replaced.delete(site.device);
    return drawn ?? { code: 'ELECTROLYTE_CONTAMINATION', magnitude: 0 };
  }
}
