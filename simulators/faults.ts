import { FAILURE_CODES, makeFailure, type Failure, type FailureCode, type Rng } from '../src/domain/index.ts';
import type { EffectCode, FaultEffect, FaultInjector, FaultPhase, FaultSite } from './fault-injector.ts';

/**
 * The catalogue of injectable device faults (DEVICES.md), each with its stable code, the vendor or protocol code it
 * maps to where one exists, the device class that raises it, when in a command's life it strikes, and what it does:
 * - `fail`: the operation fails with the code (retryable/recoverable hints come from FAILURE_CODES);
 * - `silent`: the operation reports success but the liquid that arrived is wrong (short dispense, carry-over) —
 *   it shows up downstream, in the chemistry;
 * - `transport`: the wire misbehaves (lost reply, duplicate delivery, the device dropping off the broker mid-run);
 *   a good driver recovers, so nothing may be reported at all.
 * Chemistry failures are not here: they come from the sample itself (the hidden landscape, and precursor
 * precipitation in the liquid handler's cell, simulators/liquid/precipitation.ts).
 */
export type FaultCode = FailureCode | EffectCode;
export type DeviceClass = 'liquidHandler' | 'potentiostat';

export interface FaultSpec {
  code: FaultCode;
  device: DeviceClass;
  phase: FaultPhase;
  effect: 'fail' | 'silent' | 'transport';
  message: string;
  vendorCode?: string;
  /**
   * Whether `forRate` turns it on. Faults that need an operator (not recoverable: the station is quarantined at once)
   * are forced only, so a dry run with a fault rate can still finish its budget; so is a lost reply (see below).
   */
  byRate: boolean;
  /** Range of the magnitude of a silent fault (see FaultEffect.magnitude). */
  magnitude?: readonly [number, number];
  /** Transport effects exist only where there is a wire: the MQTT twin. In-process they do nothing. */
  twinOnly?: boolean;
}

const fail = (code: FailureCode, device: DeviceClass, message: string, vendorCode?: string): FaultSpec => ({
  code,
  device,
  phase: 'step',
  effect: 'fail',
  message,
  byRate: FAILURE_CODES[code].recoverable,
  ...(vendorCode !== undefined ? { vendorCode } : {}),
});

export const FAULT_CATALOGUE: readonly FaultSpec[] = [
  // liquid handler: the step fails
  fail('TIP_PICKUP_FAILED', 'liquidHandler', 'no tip detected after pick-up'),
  fail('TIP_ALREADY_MOUNTED', 'liquidHandler', 'a tip is already mounted on the channel'),
  fail('TIP_DROP_FAILED', 'liquidHandler', 'tip still mounted after drop'),
  fail('LIQUID_NOT_FOUND', 'liquidHandler', 'liquid level detection found no liquid'),
  fail('CLOT', 'liquidHandler', 'clot detected during aspiration (pressure rise)'),
  fail('PRESSURE_ANOMALY', 'liquidHandler', 'pressure curve outside the expected band'),
  fail('PARTIAL_CHANNEL_FAILURE', 'liquidHandler', 'some channels failed; the others committed'),
  fail('VOLUME_OUT_OF_RANGE', 'liquidHandler', 'volume outside the pipette range (refused before motion)'),
  fail('INSUFFICIENT_LIQUID', 'liquidHandler', 'not enough liquid in the source'),
  fail('OVERFLOW', 'liquidHandler', 'target would overflow'),
  // liquid handler: silent
  { code: 'SHORT_DISPENSE', device: 'liquidHandler', phase: 'delivery', effect: 'silent', byRate: true, magnitude: [0.1, 0.4], message: 'less liquid left the tip than requested; the device reports success' },
  { code: 'CARRY_OVER', device: 'liquidHandler', phase: 'delivery', effect: 'silent', byRate: true, magnitude: [0.005, 0.02], message: 'a little of the previous source went into the target' },
  // liquid handler: transport
  { ...fail('COMMAND_EXPIRED', 'liquidHandler', 'command arrived after its expiresAt'), phase: 'command' },
  { code: 'DUPLICATE_DELIVERY', device: 'liquidHandler', phase: 'command', effect: 'transport', byRate: true, message: 'the command was delivered twice (QoS 1)' },
  { code: 'DEVICE_LOST', device: 'liquidHandler', phase: 'run', effect: 'transport', byRate: true, message: 'device dropped off the broker mid-run (last will `lost`), then reconnected' },
  // Forced only: the agent notices a lost reply after its wall-clock reply timeout, which the engine scales with the
  // step's expected (virtual) duration — minutes per lost reply in an instant-clock dry run.
  { code: 'LOST_REPLY', device: 'liquidHandler', phase: 'reply', effect: 'transport', byRate: false, twinOnly: true, message: 'the final reply never reached the agent' },
  // potentiostat / cell (injected into the technique run; the station core truncates the curves where it strikes)
  fail('CURRENT_OVERLOAD', 'potentiostat', 'current above the selected range; data clipped'),
  fail('OPEN_CIRCUIT', 'potentiostat', 'cell connection open (no current path)'),
  fail('REFERENCE_DRIFT', 'potentiostat', 'reference electrode potential drifted beyond tolerance'),
  fail('TRUNCATED_DATA', 'potentiostat', 'run stopped early; data truncated'),
  fail('NAN_POINTS', 'potentiostat', 'acquisition returned non-numeric points'),
  fail('NO_SAMPLE_IN_CELL', 'potentiostat', 'no electrolyte contact: the cell looks empty'),
  fail('PARAMETER_OUT_OF_LIMITS', 'potentiostat', 'technique parameters outside the instrument limits (refused)'),
  // potentiostat: OPC UA transport
  fail('BAD_INVALID_STATE', 'potentiostat', 'program start refused: unit busy', 'BadInvalidState'),
  fail('SESSION_TIMEOUT', 'potentiostat', 'OPC UA session timed out', 'BadSessionIdInvalid'),
  fail('LOCK_HELD', 'potentiostat', 'functional unit locked by another client', 'BadLocked'),
  fail('ACCESS_DENIED', 'potentiostat', 'user may not start programs', 'BadUserAccessDenied'),
  fail('UNTRUSTED_CERTIFICATE', 'potentiostat', 'server certificate not trusted', 'BadCertificateUntrusted'),
];

/** A rule: which sites it matches, and when it fires (probability, or the nth matching calls). */
export interface FaultRule {
  code: FaultCode;
  /** Device id prefix to match (`lh-`, `ps-pair2`); all devices when absent. */
  device?: string;
  /** Operation kinds or techniques to match; all when absent. */
  operations?: readonly string[];
  probability?: number;
  /** 1-based indices of matching calls that fail (a forced fault for tests). */
  nth?: readonly number[];
  message?: string;
  vendorCode?: string;
  /** Override the catalogue's phase (e.g. a failure code forced at `command` time). */
  phase?: FaultPhase;
  /** Magnitude of a silent fault (default: drawn from the catalogue's range). */
  magnitude?: number;
}

export interface InjectedFault {
  site: FaultSite;
  code: FaultCode;
  failure?: Failure;
  effect?: FaultEffect;
}

/** Which device class a device id belongs to: liquid handlers are `lh-*` in the simulated lab. */
export const deviceClassOf = (deviceId: string): DeviceClass => (deviceId.startsWith('lh') ? 'liquidHandler' : 'potentiostat');

/** The catalogue entry for a code on a device class, or the default (a failing step fault) for any other FailureCode. */
export function faultSpecOf(code: FaultCode, device: DeviceClass): FaultSpec {
  const spec = FAULT_CATALOGUE.find((f) => f.code === code && f.device === device);
  if (spec) return spec;
  if (!(code in FAILURE_CODES)) throw new Error(`${code} is not a fault of a ${device}`);
  return fail(code as FailureCode, device, 'injected fault');
}

/**
 * A seeded fault injector built from rules. `forRate(p)` turns on every catalogued fault that a dry run can survive,
 * with total probability p per operation and device class. `force()` adds a rule at run time (a test hook).
 */
export class RuleFaultInjector implements FaultInjector {
  private readonly rules: FaultRule[];
  private readonly matches = new Map<FaultRule, number>();
  /** Every fault that fired, in order (failures and effects). */
  readonly injected: InjectedFault[] = [];

  /** `classOf`: the device class of a device id (default: `lh*` ids are liquid handlers, the rest potentiostats). */
  constructor(
    private readonly rng: Rng,
    rules: readonly FaultRule[] = [],
    private readonly classOf: (deviceId: string) => DeviceClass = deviceClassOf,
  ) {
    this.rules = [...rules];
  }

  /**
   * Every catalogued fault a dry run can survive, with total probability p per operation and device class. `only`:
   * the injector of one standalone instrument (`labloop sim ...`), whatever its device id.
   */
  static forRate(rng: Rng, probability: number, options: { only?: DeviceClass } = {}): RuleFaultInjector {
    if (!(probability >= 0 && probability <= 1)) throw new Error(`fault rate must be in [0, 1], not ${probability}`);
    const rules: FaultRule[] = [];
    for (const device of ['liquidHandler', 'potentiostat'] as const) {
      if (options.only !== undefined && options.only !== device) continue;
      const specs = FAULT_CATALOGUE.filter((f) => f.device === device && f.byRate);
      for (const f of specs) {
        const rule: FaultRule = { code: f.code, probability: probability / specs.length, message: f.message };
        if (options.only === undefined) rule.device = device === 'liquidHandler' ? 'lh' : 'ps';
        if (f.vendorCode !== undefined) rule.vendorCode = f.vendorCode;
        rules.push(rule);
      }
    }
    const only = options.only;
    return only === undefined ? new RuleFaultInjector(rng, rules) : new RuleFaultInjector(rng, rules, () => only);
  }

  force(rule: FaultRule): void {
    faultSpecOf(rule.code, rule.device === undefined ? 'liquidHandler' : this.classOf(rule.device)); // fail fast on an unknown code
    this.rules.push(rule);
  }

  /** Failing faults for this site (phase `step` unless the site says otherwise). */
  check(site: FaultSite): Failure | undefined {
    const hit = this.fire(site, 'fail');
    if (!hit) return undefined;
    const { rule, spec } = hit;
    const failure = makeFailure(rule.code as FailureCode, `${rule.message ?? spec.message} (${site.device} ${site.operation}, call ${site.call})`, {
      ...((rule.vendorCode ?? spec.vendorCode) !== undefined ? { vendorCode: rule.vendorCode ?? spec.vendorCode } : {}),
    });
    this.injected.push({ site, code: rule.code, failure });
    return failure;
  }

  /** Silent and transport faults for this site. */
  effect(site: FaultSite): FaultEffect | undefined {
    const hit = this.fire(site, 'effect');
    if (!hit) return undefined;
    const { rule, spec } = hit;
    const [lo, hi] = spec.magnitude ?? [0, 0];
    const effect: FaultEffect = { code: rule.code as EffectCode, magnitude: rule.magnitude ?? this.rng.uniform(lo, hi) };
    this.injected.push({ site, code: rule.code, effect });
    return effect;
  }

  /** Injected faults with this code (for tests and reports). */
  count(code: FaultCode): number {
    return this.injected.filter((f) => f.code === code).length;
  }

  private fire(site: FaultSite, kind: 'fail' | 'effect'): { rule: FaultRule; spec: FaultSpec } | undefined {
    const deviceClass = this.classOf(site.device);
    const phase = site.phase ?? 'step';
    for (const rule of this.rules) {
      if (rule.device !== undefined && !site.device.startsWith(rule.device)) continue;
      if (rule.operations !== undefined && !rule.operations.includes(site.operation)) continue;
      const spec = FAULT_CATALOGUE.find((f) => f.code === rule.code && f.device === deviceClass);
      if (!spec && !(rule.code in FAILURE_CODES)) continue; // an effect of the other device class
      const effective = spec ?? faultSpecOf(rule.code, deviceClass);
      if ((rule.phase ?? effective.phase) !== phase) continue;
      if ((effective.effect === 'fail') !== (kind === 'fail')) continue;
      const n = (this.matches.get(rule) ?? 0) + 1;
      this.matches.set(rule, n);
      // Draw for every matching rule, so one rule's outcome does not shift the random stream of the others.
      const draw = this.rng.next();
      const fires = (rule.nth?.includes(n) ?? false) || (rule.probability !== undefined && draw < rule.probability);
      if (fires) return { rule, spec: effective };
    }
    return undefined;
  }
}
