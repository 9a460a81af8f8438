import { makeFailure, type Failure, type FailureCode, type Rng } from '../src/domain/index.ts';
import type { FaultInjector, FaultSite } from './fault-injector.ts';

/**
 * The catalogue of injectable device faults (DEVICES.md), each with its stable code, the vendor or protocol code it maps
 * to where one exists, and which device class raises it. Retryable/recoverable hints come from FAILURE_CODES.
 * Chemistry failures are not here: they come from the hidden landscape, i.e. from the sample itself.
 */
export interface FaultSpec {
  code: FailureCode;
  device: 'liquidHandler' | 'potentiostat';
  vendorCode?: string;
  message: string;
}

export const FAULT_CATALOGUE: readonly FaultSpec[] = [
  { code: 'TIP_PICKUP_FAILED', device: 'liquidHandler', message: 'no tip detected after pick-up' },
  { code: 'TIP_ALREADY_MOUNTED', device: 'liquidHandler', message: 'a tip is already mounted on the channel' },
  { code: 'TIP_DROP_FAILED', device: 'liquidHandler', message: 'tip still mounted after drop' },
  { code: 'LIQUID_NOT_FOUND', device: 'liquidHandler', message: 'liquid level detection found no liquid' },
  { code: 'CLOT', device: 'liquidHandler', message: 'clot detected during aspiration (pressure rise)' },
  { code: 'PRESSURE_ANOMALY', device: 'liquidHandler', message: 'pressure curve outside the expected band' },
  { code: 'PARTIAL_CHANNEL_FAILURE', device: 'liquidHandler', message: 'one channel failed; the others committed' },
  { code: 'DEVICE_LOST', device: 'liquidHandler', message: 'device connection lost mid-run' },
  { code: 'CURRENT_OVERLOAD', device: 'potentiostat', message: 'current above the selected range; data clipped' },
  { code: 'OPEN_CIRCUIT', device: 'potentiostat', message: 'cell connection open (no current path)' },
  { code: 'REFERENCE_DRIFT', device: 'potentiostat', message: 'reference electrode potential drifted beyond tolerance' },
  { code: 'TRUNCATED_DATA', device: 'potentiostat', message: 'run stopped early; data truncated' },
  { code: 'NAN_POINTS', device: 'potentiostat', message: 'acquisition returned non-numeric points' },
  { code: 'BAD_INVALID_STATE', device: 'potentiostat', vendorCode: 'BadInvalidState', message: 'program start refused: unit busy' },
  { code: 'SESSION_TIMEOUT', device: 'potentiostat', vendorCode: 'BadSessionIdInvalid', message: 'OPC UA session timed out' },
];

/** A rule: which sites it matches, and when it fires (probability, or the nth matching calls). */
export interface FaultRule {
  code: FailureCode;
  /** Device id prefix to match (`lh-`, `ps-pair2`); all devices when absent. */
  device?: string;
  /** Operation kinds or techniques to match; all when absent. */
  operations?: readonly string[];
  probability?: number;
  /** 1-based indices of matching calls that fail (a forced fault for tests). */
  nth?: readonly number[];
  message?: string;
  vendorCode?: string;
}

const deviceClassOf = (deviceId: string): FaultSpec['device'] => (deviceId.startsWith('lh') ? 'liquidHandler' : 'potentiostat');

/**
 * A seeded fault injector built from rules. `forRate(p)` turns on every catalogued fault of a device class with total
 * probability p per operation. `force()` adds a rule at run time (a test hook).
 */
export class RuleFaultInjector implements FaultInjector {
  private readonly rules: FaultRule[];
  private readonly matches = new Map<FaultRule, number>();
  readonly injected: { site: FaultSite; failure: Failure }[] = [];

  constructor(private readonly rng: Rng, rules: readonly FaultRule[] = []) {
    this.rules = [...rules];
  }

  static forRate(rng: Rng, probability: number): RuleFaultInjector {
    if (!(probability >= 0 && probability <= 1)) throw new Error(`fault rate must be in [0, 1], not ${probability}`);
    const rules: FaultRule[] = [];
    for (const device of ['liquidHandler', 'potentiostat'] as const) {
      const specs = FAULT_CATALOGUE.filter((f) => f.device === device);
      for (const f of specs) rules.push({ code: f.code, device: device === 'liquidHandler' ? 'lh' : 'ps', probability: probability / specs.length, message: f.message, vendorCode: f.vendorCode });
    }
    return new RuleFaultInjector(rng, rules);
  }

  force(rule: FaultRule): void {
    this.rules.push(rule);
  }

  check(site: FaultSite): Failure | undefined {
    for (const rule of this.rules) {
      if (rule.device !== undefined && !site.device.startsWith(rule.device)) continue;
      if (rule.operations !== undefined && !rule.operations.includes(site.operation)) continue;
      const n = (this.matches.get(rule) ?? 0) + 1;
      this.matches.set(rule, n);
      // Draw for every matching rule, so one rule's outcome does not shift the random stream of the others.
      const draw = this.rng.next();
      const fires = (rule.nth?.includes(n) ?? false) || (rule.probability !== undefined && draw < rule.probability);
      if (!fires) continue;
      const spec = FAULT_CATALOGUE.find((f) => f.code === rule.code && f.device === deviceClassOf(site.device));
      const failure = makeFailure(rule.code, `${rule.message ?? spec?.message ?? 'injected fault'} (${site.device} ${site.operation}, call ${site.call})`, {
        vendorCode: rule.vendorCode ?? spec?.vendorCode,
      });
      this.injected.push({ site, failure });
      return failure;
    }
    return undefined;
  }
}
