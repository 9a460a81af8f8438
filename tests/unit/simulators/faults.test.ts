import { describe, expect, it } from 'vitest';
import { FAILURE_CODES, Rng } from '../../../src/domain/index.ts';
import { FAULT_CATALOGUE, RuleFaultInjector } from '../../../simulators/faults.ts';

describe('fault injection', () => {
  it('has a stable code with hints for every catalogued fault', () => {
    for (const f of FAULT_CATALOGUE) expect(FAILURE_CODES[f.code], f.code).toBeDefined();
  });

  it('forces a fault on the nth matching call only', () => {
    const inj = new RuleFaultInjector(new Rng(1), [{ code: 'CLOT', device: 'lh-pair1', operations: ['transfer'], nth: [2] }]);
    const site = (call: number, device = 'lh-pair1', operation = 'transfer') => ({ device, operation, call });
    expect(inj.check(site(1))).toBeUndefined();
    expect(inj.check(site(2, 'lh-pair2'))).toBeUndefined();
    expect(inj.check(site(2, 'lh-pair1', 'aspirate'))).toBeUndefined();
    expect(inj.check(site(3))).toMatchObject({ code: 'CLOT', retryable: true });
    expect(inj.check(site(4))).toBeUndefined();
  });

  it('injects at the requested rate, with device-appropriate codes, reproducibly', () => {
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
    expect(codes.length / 20_000).toBeGreaterThan(0.04);
    expect(codes.length / 20_000).toBeLessThan(0.06);
    expect(codes.filter((c) => c.startsWith('lh:')).every((c) => FAULT_CATALOGUE.some((f) => f.device === 'liquidHandler' && c.endsWith(f.code)))).toBe(true);
    expect(run(3)).toEqual(codes);
    expect(run(4)).not.toEqual(codes);
  });

  it('refuses an impossible rate', () => {
    expect(() => RuleFaultInjector.forRate(new Rng(1), 1.5)).toThrow(/fault rate/);
  });
});
