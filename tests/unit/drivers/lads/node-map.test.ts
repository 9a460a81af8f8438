import { describe, expect, it } from 'vitest';
import { FUNCTIONAL_STATES, RUNNING_STATES, isBusyState, unitReadiness } from '../../../../drivers/lads/node-map.ts';
import { checkClientSecurity, checkServerSecurity, isLoopbackHost, parseSecuritySpec } from '../../../../drivers/transport/opcua-security.ts';

describe('LADS readiness', () => {
  it('accepts StartProgram only in Stopped, and in Aborted after Clear', () => {
    const ready = FUNCTIONAL_STATES.filter((s) => unitReadiness(s).ready);
    expect(ready).toEqual(['Stopped', 'Aborted']);
    expect(unitReadiness('Aborted')).toEqual({ ready: true, needsClear: true });
    expect(unitReadiness('Stopped')).toEqual({ ready: true, needsClear: false });
  });

  it('treats every running sub-state (Held and Suspended included), Stopping, Aborting and Clearing as busy', () => {
    for (const sub of RUNNING_STATES) expect(unitReadiness('Running', 'Operate', sub)).toMatchObject({ ready: false, busy: true, reason: `running (${sub})` });
    for (const s of ['Stopping', 'Aborting', 'Clearing']) {
      expect(unitReadiness(s)).toMatchObject({ ready: false, busy: true });
      expect(isBusyState(s)).toBe(true);
    }
    expect(isBusyState('Stopped')).toBe(false);
  });

  it('runs nothing on a device outside Operate, and nothing in an unknown state', () => {
    expect(unitReadiness('Stopped', 'Sleep')).toMatchObject({ ready: false, busy: false, reason: 'device is in Sleep, not Operate' });
    expect(unitReadiness('Stopped', 'Initialization').ready).toBe(false);
    expect(unitReadiness('Idle')).toMatchObject({ ready: false, reason: 'unit state Idle is not a LADS state' });
    expect(unitReadiness('')).toMatchObject({ ready: false, reason: 'unit state unknown' });
  });
});

describe('OPC UA security rule: SignAndEncrypt off loopback unless explicitly allowed', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.0.0.1', '0.0.0.0', 'station.lab', '::', '192.168.1.5', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('refuses None and Sign to other hosts unless allowed, on the client and on the server', () => {
    expect(() => checkClientSecurity('opc.tcp://127.0.0.1:4840', 'None', false)).not.toThrow();
    expect(() => checkClientSecurity('opc.tcp://station.lab:4840', 'None', false)).toThrow(/not on loopback/);
    expect(() => checkClientSecurity('opc.tcp://station.lab:4840/UA', 'Sign', false)).toThrow(/Sign is refused/);
    expect(() => checkClientSecurity('opc.tcp://station.lab:4840', 'None', true)).not.toThrow();
    expect(() => checkClientSecurity('opc.tcp://station.lab:4840', 'SignAndEncrypt', false)).not.toThrow();
    expect(() => checkServerSecurity('0.0.0.0', ['None', 'SignAndEncrypt'], false)).toThrow(/offers only SignAndEncrypt/);
    expect(() => checkServerSecurity('0.0.0.0', ['SignAndEncrypt'], false)).not.toThrow();
    expect(() => checkServerSecurity('127.0.0.1', ['None'], false)).not.toThrow();
  });

  it('parses --security specs', () => {
    expect(parseSecuritySpec('None')).toEqual({ mode: 'None', policy: 'None' });
    expect(parseSecuritySpec('SignAndEncrypt')).toEqual({ mode: 'SignAndEncrypt', policy: 'Basic256Sha256' });
    expect(parseSecuritySpec('SignAndEncrypt:Aes256_Sha256_RsaPss')).toEqual({ mode: 'SignAndEncrypt', policy: 'Aes256_Sha256_RsaPss' });
    expect(() => parseSecuritySpec('Encrypt')).toThrow(/security mode must be one of/);
    expect(() => parseSecuritySpec('None:Basic256Sha256')).toThrow(/does not go with/);
    expect(() => parseSecuritySpec('SignAndEncrypt:Basic128Rsa15')).toThrow(/security policy must be one of/);
  });
});
