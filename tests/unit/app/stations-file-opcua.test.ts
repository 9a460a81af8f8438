import { describe, expect, it } from 'vitest';
import { StationsFileError, parseStationsFile } from '../../../src/app/external-stations.ts';

const file = (echem: string) => `
pairs:
  - id: p1
    liquidHandler: { id: lh1 }
    echem:
${echem
  .trim()
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
`;

describe('stations file: OPC UA endpoints, security and the program mapping', () => {
  it('accepts a vendor station with a mapping, security, a certificate identity and a lock requirement', () => {
    const f = parseStationsFile(
      file(`
endpoint: opc.tcp://pstat.lab:4840
unit: Channel1
device: VSP-300
securityMode: SignAndEncrypt
securityPolicy: Aes256_Sha256_RsaPss
certificate: { certificate: certs/agent.pem, privateKey: certs/agent.key }
requireLock: true
programs:
  LSV: { template: LinearSweep, params: { lsvScanRate_V_s: { key: ScanRate, scale: 1000 } } }
results: { format: arrays, arrays: { Time: t_s, Ewe: Ewe_V, I: I_A } }
`),
      '/etc/lab/stations.yaml',
    );
    const e = f.pairs[0]?.echem;
    expect(e).toMatchObject({ unit: 'Channel1', device: 'VSP-300', securityMode: 'SignAndEncrypt', securityPolicy: 'Aes256_Sha256_RsaPss', requireLock: true, allowInsecure: false });
    expect(e?.certificate).toEqual({ certificate: 'certs/agent.pem', privateKey: 'certs/agent.key' }); // resolved against the file's folder when connecting
    expect(e?.programs.LSV).toMatchObject({ template: 'LinearSweep', params: { lsvScanRate_V_s: { key: 'ScanRate', scale: 1000, offset: 0 } } });
    expect(e?.results).toMatchObject({ format: 'arrays', arrays: { Time: 't_s' } });
  });

  it('refuses security None off loopback unless allowInsecure, naming the field', () => {
    const bad = () => parseStationsFile(file('endpoint: opc.tcp://pstat.lab:4840\nunit: c1'), 'stations.yaml');
    expect(bad).toThrow(StationsFileError);
    try {
      bad();
    } catch (e) {
      expect((e as StationsFileError).issues[0]).toMatchObject({ path: 'pairs.0.echem.securityMode' });
      expect((e as StationsFileError).issues[0]?.message).toMatch(/not on loopback/);
    }
    expect(parseStationsFile(file('endpoint: opc.tcp://pstat.lab:4840\nunit: c1\nallowInsecure: true'), 's.yaml').pairs[0]?.echem?.allowInsecure).toBe(true);
    expect(parseStationsFile(file('endpoint: opc.tcp://127.0.0.1:4840\nunit: c1'), 's.yaml').pairs[0]?.echem?.securityMode).toBe('None');
  });

  it('refuses unknown keys, a policy that contradicts the mode, and both identities', () => {
    expect(() => parseStationsFile(file('endpoint: opc.tcp://127.0.0.1:4840\nunit: c1\nsecurtyMode: None'), 's.yaml')).toThrow(StationsFileError);
    expect(() => parseStationsFile(file('endpoint: opc.tcp://127.0.0.1:4840\nunit: c1\nsecurityPolicy: Basic256Sha256'), 's.yaml')).toThrow(/does not go with mode None/);
    expect(() =>
      parseStationsFile(file('endpoint: opc.tcp://127.0.0.1:4840\nunit: c1\nuser: { username: a, password: b }\ncertificate: { certificate: a.pem, privateKey: a.key }'), 's.yaml'),
    ).toThrow(/either user or certificate/);
  });
});
