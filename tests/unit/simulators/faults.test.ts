import { describe, expect, it } from 'vitest';
import { FAILURE_CODES, Rng } from '../../../src/domain/index.ts';
import { EFFECT_CODES } from '../../../simulators/fault-injector.ts';
import { FAULT_CATALOGUE, RuleFaultInjector, faultSpecOf } from '../../../simulators/faults.ts';

describe('fault injection', () => {
  it('has a stable code with hints for every catalogued failing fault, and an effect code for every other one', () => {
    for (const f of FAULT_CATALOGUE) {
      if (f.effect === 'fail') expect(f.code in FAILURE_CODES, f.code).toBe(true);
      else expect((EFFECT_CODES as readonly string[]).includes(f.code), f.code).toBe(true);
    }
    // Every failure DEVICES.md asks a liquid handler to inject is catalogued.
    const lh = FAULT_CATALOGUE.filter((f) => f.device === 'liquidHandler').map((f) => f.code);
    for (const code of ['TIP_PICKUP_FAILED', 'TIP_ALREADY_MOUNTED', 'TIP_DROP_FAILED', 'LIQUID_NOT_FOUND', 'INSUFFICIENT_LIQUID', 'CLOT', 'PRESSURE_ANOMALY', 'VOLUME_OUT_OF_RANGE', 'OVERFLOW', 'PARTIAL_CHANNEL_FAILURE', 'SHORT_DISPENSE', 'CARRY_OVER', 'DEVICE_LOST', 'COMMAND_EXPIRED', 'DUPLICATE_DELIVERY', 'LOST_REPLY'])
      expect(lh, code).toContain(code);
    expect(faultSpecOf('BAD_INVALID_STATE', 'potentiostat').vendorCode).toBe('BadInvalidState');
  });

  it('forces a fault on the nth matching call only', () => {
    const inj = new RuleFaultInjector(new Rng(1), [{ code: 'CLOT', device: 'lh-pair1', operations: ['transfer'], nth: [2] }]);
    const site = (call: number, device = 'lh-pair1', operation = 'transfer') => ({ device, operation, call });
    expect(inj.check(site(1))).toBeUndefined();
    expect(inj.check(site(2, 'lh-pair2'))).toBeUndefined();
    expect(inj.check(site(2, 'lh-pair1', 'aspirate'))).toBeUndefined();
    expect(inj.check(site(3))).toMatchObject({ code: 'CLOT', retryable: true });
    expect(inj.check(site(4))).toBeUndefined();
    expect(inj.injected.map((f) => f.code)).toEqual(['CLOT']);
  });

  it('checks each fault in its phase: failures through check(), silent and transport faults through effect()', () => {
    const inj = new RuleFaultInjector(new Rng(1));
    inj.force({ code: 'COMMAND_EXPIRED', device: 'lh', nth: [1] });
    inj.force({ code: 'SHORT_DISPENSE', device: 'lh', nth: [1], magnitude: 0.3 });
    inj.force({ code: 'LOST_REPLY', device: 'lh', nth: [1] });
    inj.force({ code: 'DEVICE_LOST', device: 'lh', nth: [1] });
    const at = (phase: 'command' | 'run' | 'step' | 'delivery' | 'reply') => ({ device: 'lh-pair1', operation: 'x', call: 1, phase });
    expect(inj.check(at('step'))).toBeUndefined();
    expect(inj.effect(at('step'))).toBeUndefined();
    expect(inj.check(at('command'))).toMatchObject({ code: 'COMMAND_EXPIRED', retryable: true });
    expect(inj.effect(at('delivery'))).toEqual({ code: 'SHORT_DISPENSE', magnitude: 0.3 });
    expect(inj.effect(at('reply'))).toMatchObject({ code: 'LOST_REPLY' });
    expect(inj.effect(at('run'))).toMatchObject({ code: 'DEVICE_LOST' });
    expect(inj.check(at('run'))).toBeUndefined();
    // On a potentiostat DEVICE_LOST is an ordinary failing step fault.
    inj.force({ code: 'DEVICE_LOST', device: 'ps', nth: [1] });
    expect(inj.check({ device: 'ps-pair1', operation: 'OER_Screen_v1', call: 1 })).toMatchObject({ code: 'DEVICE_LOST' });
    expect(inj.count('DEVICE_LOST')).toBe(2);
    expect(() => inj.force({ code: 'SHORT_DISPENSE', device: 'ps' })).toThrow(/not a fault of a potentiostat/);
  });

  it('injects at the requested rate, with device-appropriate codes, reproducibly, and never a fault that needs an operator', () => {
    const run = (seed: number) => {
      const inj = RuleFaultInjector.forRate(new Rng(seed), 0.05);
      const codes: string[] = [];
      for (let i = 1; i <= 20_000; i++) {
        const f = inj.check({ device: i % 2 ? 'lh-pair1' : 'ps-pair1', operation: 'op', call: i });
        if (f) codes.push(`${i % 2 ? 'lh' : 'ps'}:${f.code}`);
      }
      return codes;
    };
    const codes = run(3);
    // Step-phase failures are a share of the rate (the rest strike at other phases or are silent).
    const lhStep = FAULT_CATALOGUE.filter((f) => f.device === 'liquidHandler' && f.byRate);
    const lhShare = lhStep.filter((f) => f.phase === 'step' && f.effect === 'fail').length / lhStep.length;
    const lhRate = codes.filter((c) => c.startsWith('lh:')).length / 10_000;
    expect(lhRate).toBeGreaterThan(0.05 * lhShare * 0.75);
    expect(lhRate).toBeLessThan(0.05 * lhShare * 1.25);
    // The potentiostat's silent cell faults (IR_COMPENSATION_ERROR, ...) take their share through effect().
    const psAll = FAULT_CATALOGUE.filter((f) => f.device === 'potentiostat' && f.byRate);
    const psShare = psAll.filter((f) => f.effect === 'fail').length / psAll.length;
    const psRate = codes.filter((c) => c.startsWith('ps:')).length / 10_000;
    expect(psRate).toBeGreaterThan(0.05 * psShare * 0.8);
    expect(psRate).toBeLessThan(0.05 * psShare * 1.2);
    expect(codes.filter((c) => c.startsWith('lh:')).every((c) => FAULT_CATALOGUE.some((f) => f.device === 'liquidHandler' && c.endsWith(f.code)))).toBe(true);
    for (const code of ['INSUFFICIENT_LIQUID', 'OVERFLOW', 'ACCESS_DENIED', 'UNTRUSTED_CERTIFICATE']) expect(codes.some((c) => c.endsWith(`:${code}`)), code).toBe(false);
    expect(FAULT_CATALOGUE.filter((f) => !f.byRate).map((f) => f.code).sort()).toEqual(['ACCESS_DENIED', 'INSUFFICIENT_LIQUID', 'LOST_REPLY', 'OVERFLOW', 'UNTRUSTED_CERTIFICATE']);
    expect(run(3)).toEqual(codes);
    expect(run(4)).not.toEqual(codes);
  });

  it('serves one standalone instrument whatever its device id', () => {
    const inj = RuleFaultInjector.forRate(new Rng(2), 1, { only: 'liquidHandler' });
    const codes = new Set<string>();
    for (let i = 1; i <= 200; i++) {
      const code = inj.check({ device: 'robot-7', operation: 'transfer', call: i })?.code;
      if (code) codes.add(code);
    }
    expect(codes.size).toBeGreaterThan(3);
    expect([...codes].every((c) => FAULT_CATALOGUE.some((f) => f.device === 'liquidHandler' && f.code === c))).toBe(true);
    expect(RuleFaultInjector.forRate(new Rng(2), 1, { only: 'potentiostat' }).check({ device: 'es1', operation: 'LSV', call: 1 })).toBeDefined();
  });

  it('refuses an impossible rate and an unknown code', () => {
    expect(() => RuleFaultInjector.forRate(new Rng(1), 1.5)).toThrow(/fault rate/);
    expect(() => new RuleFaultInjector(new Rng(1)).force({ code: 'NOPE' as 'CLOT' })).toThrow(/not a fault/);
  });
});
