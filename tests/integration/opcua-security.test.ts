import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError, type Recipe } from '../../src/domain/index.ts';
import { readCertificateIdentity } from '../../src/app/opcua-connection.ts';
import { PotentiostatOpcuaBackend } from '../../drivers/electrochem/opcua-backend.ts';
import type { OpcuaCertificateIdentity, OpcuaConnectionOptions } from '../../drivers/transport/opcua-client.ts';
import { SECURE_POLICIES, type SecurityPolicyName } from '../../drivers/transport/opcua-security.ts';
import { ZeroDelayClock } from '../../simulators/clock.ts';
import { OpcuaStationTwin } from '../../simulators/twins/opcua-station.ts';
import { fillCellWithRecipe, opcuaPkiFolder, startTwinFixture, type TwinFixture } from '../helpers/opcua-station.ts';

/** A self-signed X.509 user certificate with subject CN=<name> (made once, kept under tests/.artifacts). */
async function userCertificate(name: string): Promise<{ identity: OpcuaCertificateIdentity; der: Buffer }> {
  const root = join(opcuaPkiFolder('users'), name);
  const cm = new OPCUACertificateManager({ rootFolder: root });
  await cm.initialize();
  const certificate = join(cm.rootDir, 'own', 'certs', `${name}.pem`);
  if (!existsSync(certificate)) await cm.createSelfSignedCertificate({ subject: `/CN=${name}`, applicationUri: `urn:labloop:test:user:${name}`, dns: [], startDate: new Date(), validity: 365, outputFile: certificate });
  const identity = readCertificateIdentity({ certificate, privateKey: cm.privateKey });
  return { identity, der: identity.certificate };
}

const RECIPE: Recipe = { Ni: 0.6, Fe: 0.2, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 50, complexant: 5 };
const ocp = { technique: 'OCP' as const, cell: 'cell1', params: { duration: 5 }, sample: {} };
const signal = () => new AbortController().signal;

describe('OPC UA security: SignAndEncrypt policies, username and X.509 identities, roles', () => {
  let fx: TwinFixture;
  let alice: OpcuaCertificateIdentity;
  let mallory: OpcuaCertificateIdentity;
  const pki = `${opcuaPkiFolder('security')}/client`;
  const connection = (o: Partial<OpcuaConnectionOptions>): OpcuaConnectionOptions => ({ endpointUrl: fx.endpointUrl, pkiFolder: pki, acceptUnknownServerCertificate: true, connectTimeout_s: 20, ...o });
  beforeAll(async () => {
    const [a, m] = await Promise.all([userCertificate('alice'), userCertificate('mallory')]);
    alice = a.identity;
    mallory = m.identity;
    fx = await startTwinFixture('security', {
      clock: new ZeroDelayClock(),
      twin: {
        allowAnonymous: false,
        users: [
          { username: 'alice', role: 'operator' },
          { username: 'olga', password: 'olga-secret', role: 'observer' },
        ],
        trustedUserCertificates: [a.der],
      },
    });
    fillCellWithRecipe(fx.world, 'cell1', RECIPE);
  });
  afterAll(async () => {
    await fx?.close();
  });

  it.each(SECURE_POLICIES.map((p) => [p]))('runs a program over SignAndEncrypt with %s for a certificate identity with the operator role', async (policy: SecurityPolicyName) => {
    const b = new PotentiostatOpcuaBackend({ deviceId: 'es1', unit: 'cell1', connection: connection({ securityMode: 'SignAndEncrypt', securityPolicy: policy, certificate: alice }), timeouts: { run_s: 30 } });
    await b.setup();
    const r = await b.runTechnique(ocp, { commandId: `sec-${policy}`, signal: signal() });
    expect(r.status).toBe('succeeded');
    expect((await b.status()).state).toBe('ready');
    await b.stop();
  });

  it('refuses an untrusted certificate identity, anonymous sessions when disabled, and an observer’s program', async () => {
    const untrusted = new PotentiostatOpcuaBackend({ deviceId: 'es1', unit: 'cell1', connection: connection({ securityMode: 'SignAndEncrypt', certificate: mallory }) });
    const e1 = await untrusted.setup().catch((e: unknown) => e);
    expect((e1 as DeviceError).failure?.code).toBe('ACCESS_DENIED');
    await untrusted.stop();
    const anonymous = new PotentiostatOpcuaBackend({ deviceId: 'es1', unit: 'cell1', connection: connection({ securityMode: 'SignAndEncrypt' }) });
    const e2 = await anonymous.setup().catch((e: unknown) => e);
    expect((e2 as DeviceError).failure?.code).toBe('ACCESS_DENIED');
    await anonymous.stop();
    const observer = new PotentiostatOpcuaBackend({ deviceId: 'es1', unit: 'cell1', connection: connection({ securityMode: 'SignAndEncrypt', securityPolicy: 'Aes128_Sha256_RsaOaep', user: { username: 'olga', password: 'olga-secret' } }) });
    await observer.setup();
    expect((await observer.status()).state).toBe('ready');
    const e3 = await observer.runTechnique(ocp, { commandId: 'sec-observer', signal: signal() }).catch((e: unknown) => e);
    expect((e3 as DeviceError).failure?.code).toBe('ACCESS_DENIED');
    await observer.stop();
  });

  it('refuses to offer None or Sign on an interface that is not loopback unless explicitly allowed', async () => {
    const twin = new OpcuaStationTwin({ stations: [], clock: new ZeroDelayClock(), host: '0.0.0.0', securityModes: ['None', 'SignAndEncrypt'], pkiFolder: join(opcuaPkiFolder('security'), 'refused') });
    await expect(twin.start()).rejects.toThrow(/offers only SignAndEncrypt; None needs an explicit allowInsecure/);
  });

  it('refuses a client connection without SignAndEncrypt to a host that is not loopback, before any I/O', async () => {
    const b = new PotentiostatOpcuaBackend({ deviceId: 'es1', unit: 'cell1', connection: { endpointUrl: 'opc.tcp://192.0.2.1:4840', pkiFolder: pki, securityMode: 'None' } });
    const t0 = Date.now();
    const err = await b.setup().catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((err as Error).message).toMatch(/not on loopback: security mode None is refused/);
  });
});
