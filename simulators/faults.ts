import { FAILURE_CODES, makeFailure, type Failure, type FailureCode, type Rng } from '../src/domain/index.ts';
import type { EffectCode, FaultEffect, FaultInjector, FaultPhase, FaultSite } from './fault-injector.ts';

/**
 * The catalogue of injectable device faults (DEVICES.md), each with its stable code, the vendor or protocol code it
 * maps to where one exists, the device class that raises it, when in a command's life it strikes, and what it does:
 * - `fail`: the operation fails with the code (retryable/recoverable hints come from FAILURE_CODES);
 * - `silent`: the operation reports success but what it produced is wrong: the liquid that arrived (short dispense,
 *   carry-over) or the cell's measurement (iR compensation, bubbles, a contaminated electrolyte batch) — it shows up
 *   downstream, in the chemistry or in the analysis of the curves;
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
  // potentiostat / cell: silent (the run succeeds; simulators/echem/cell-faults.ts realises them, ADR 0050)
  { code: 'IR_COMPENSATION_ERROR', device: 'potentiostat', phase: 'run', effect: 'silent', byRate: true, magnitude: [0.6, 1.4], message: 'positive-feedback iR compensation set from a wrong Ru: compensates this fraction of the true Ru instead of 85 %' },
  { code: 'BUBBLE_COVERAGE', device: 'potentiostat', phase: 'run', effect: 'silent', byRate: true, magnitude: [0.2, 1], message: 'oxygen bubbles adhere to the electrode at high current (sawtooth current, lost area)' },
  { code: 'ELECTROLYTE_CONTAMINATION', device: 'potentiostat', phase: 'run', effect: 'silent', byRate: true, magnitude: [-1, 1], message: 'the electrolyte batch is contaminated (Fe impurity or a poison) until it is replaced' },
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
  /**
   * Recipe region: the rule matches only sites that report every named value (FaultSite.region) within its bounds,
   * e.g. `{ Ni: [0.6, 1] }` for Ni-rich samples.
   */
  region?: Readonly<Record<string, readonly [number, number]>>;
}

export interface InjectedFault {
  site: FaultSite;
  code: FaultCode;
  failure?: Failure;
  effect?: FaultEffect;
}

/** Which device class a device id belongs to: liquid handlers are `lh-*` in the simulated lab. */
export const deviceClassOf = (deviceId: string): DeviceClass => (deviceId.startsWith('lh') ? 'liquidHandler' : 'potentiostat');

/** The catalogue entry for a code on a device class, or undefined when the code is not a fault of that class. */
function specOf(code: FaultCode, device: DeviceClass): FaultSpec | undefined {
  const spec = FAULT_CATALOGUE.find((f) => f.code === code && f.device === device);
  if (spec) return spec;
  // Any other FailureCode fails a step, unless it is catalogued as a silent fault of the other class.
  if (!(code in FAILURE_CODES) || FAULT_CATALOGUE.some((f) => f.code === code && f.effect === 'silent')) return undefined;
  return fail(code as FailureCode, device, 'injected fault');
}

/** The catalogue entry for a code on a device class, or the default (a failing step fault) for any other FailureCode. */
export function faultSpecOf(code: FaultCode, device: DeviceClass): FaultSpec {
  const spec = specOf(code, device);
  if (!spec) throw new Error(`${code} is not a fault of a ${device}`);
  return spec;
}

const inRegion = (region: FaultRule['region'], site: FaultSite): boolean =>
  region === undefined || Object.entries(region).every(([k, [lo, hi]]) => {
    const v = site.region?.[k];
    return v !== undefined && v >= lo && v <= hi;
  });

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
    // Fail fast on an unknown code (a rule for all devices needs to be a fault of one class).
    if (rule.device !== undefined) faultSpecOf(rule.code, this.classOf(rule.device));
    else if (!specOf(rule.code, 'liquidHandler') && !specOf(rule.code, 'potentiostat')) throw new Error(`${rule.code} is not a fault of any device`);
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
      if (!inRegion(rule.region, site)) continue;
      const effective = specOf(rule.code, deviceClass);
      if (!effective) continue; // an effect of the other device class
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
