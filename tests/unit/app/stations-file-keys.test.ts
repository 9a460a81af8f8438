import { describe, expect, it } from 'vitest';
import { parseStationsFile } from '../../../src/app/external-stations.ts';

const file = (echemExtra: string, tlsExtra: string): string => `
broker:
  url: mqtts://broker.example:8883
  tls:
    caFile: ca.pem${tlsExtra}
pairs:
  - id: pair1
    liquidHandler: { id: lh-1 }
    echem:
      endpoint: opc.tcp://127.0.0.1:4840
      unit: cell1${echemExtra}
`;

describe('stations file: an unknown key names its path and suggests the closest known one', () => {
  it('in an OPC UA endpoint and in the broker TLS settings', () => {
    expect(() => parseStationsFile(file('', ''))).not.toThrow();
    expect(() => parseStationsFile(file('\n      securityMod: None', ''))).toThrow(/pairs\.0\.echem\.securityMod: unknown key \(did you mean securityMode\?\)/);
    expect(() => parseStationsFile(file('', '\n    rejectUnauthorised: false'))).toThrow(/broker\.tls\.rejectUnauthorised: unknown key \(did you mean rejectUnauthorized\?\)/);
  });
});
