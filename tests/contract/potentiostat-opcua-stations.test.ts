import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError, type Recipe } from '../../src/domain/index.ts';
import { PotentiostatOpcuaBackend } from '../../drivers/electrochem/opcua-backend.ts';
import { OpcuaClientTransport } from '../../drivers/transport/opcua-client.ts';
import { DataType, type NodeId } from 'node-opcua';
import { decodeProperties, encodeProperties } from '../../drivers/electrochem/node-map.ts';
import { LadsBrowser } from '../../drivers/lads/lads-browser.ts';
import { LOCK_STATUS } from '../../drivers/lads/node-map.ts';
import { fillCellWithRecipe, opcuaPkiFolder, startTwinFixture, type TwinFixture } from '../helpers/opcua-station.ts';

const RECIPES: Recipe[] = [
  { Ni: 0.6, Fe: 0.2, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 50, complexant: 5 },
  { Ni: 0.77, Fe: 0.23, Co: 0, Ce: 0, Mn: 0, totalMetal: 40, complexant: 0 },
  { Ni: 0.3, Fe: 0.1, Co: 0.3, Ce: 0.3, Mn: 0, totalMetal: 60, complexant: 20 },
  { Ni: 0.2, Fe: 0.2, Co: 0.2, Ce: 0.2, Mn: 0.2, totalMetal: 80, complexant: 10 },
];
const signal = () => new AbortController().signal;
const screen = (cell: string) => ({ technique: 'OER_Screen_v1' as const, cell, params: { depositionCharge_mC_cm2: 30, annealTemperature: 150 }, sample: { trialId: `t-${cell}` } });

describe('OPC UA station twin: several stations, locks and roles', () => {
  let fx: TwinFixture;
  const pki = opcuaPkiFolder('stations');
  const connection = (user?: { username: string; password: string }) => ({
    endpointUrl: fx.endpointUrl,
    pkiFolder: `${pki}/client`,
    acceptUnknownServerCertificate: true,
    ...(user ? { user } : {}),
  });
  beforeAll(async () => {
    fx = await startTwinFixture('stations', {
      stations: 4,
      twin: {
        users: [
          { username: 'operator', password: 'op-secret', role: 'operator' },
          { username: 'observer', password: 'obs-secret', role: 'observer' },
        ],
      },
    });
    fx.cores.forEach((c, i) => fillCellWithRecipe(fx.world, c.cellId, RECIPES[i] as Recipe));
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('runs four stations concurrently over one shared session', async () => {
    const transport = new OpcuaClientTransport(connection());
    await transport.connect();
    const backends = fx.cores.map((c) => new PotentiostatOpcuaBackend({ deviceId: c.deviceId, unit: c.cellId, transport, timeouts: { run_s: 30, poll_ms: 100 } }));
    await Promise.all(backends.map((b) => b.setup()));
    const t0 = Date.now();
    const results = await Promise.all(backends.map((b, i) => b.runTechnique(screen(`cell${i + 1}`), { commandId: `multi-${i}`, signal: signal() })));
    const wall = Date.now() - t0;
    results.forEach((r, i) => {
      expect(r.status).toBe('succeeded');
      expect(r.runId.startsWith(`es${i + 1}-run-`)).toBe(true);
      expect(r.commandId).toBe(`multi-${i}`);
    });
    // Each screen takes ≈ 0.14 s of wall time at 4000×; in parallel the four take far less than four in a row would.
    expect(wall).toBeLessThan(4 * 2000);
    await Promise.all(backends.map((b) => b.stop()));
    await transport.close();
  });

  it('refuses a unit locked by another client with LOCK_HELD', async () => {
    const a = new PotentiostatOpcuaBackend({ deviceId: 'es1', unit: 'cell1', connection: connection(), timeouts: { run_s: 30, poll_ms: 100 } });
    const b = new PotentiostatOpcuaBackend({ deviceId: 'es1', unit: 'cell1', connection: connection(), timeouts: { run_s: 30, poll_ms: 100 } });
    await a.setup();
    await b.setup();
    const long = a.runTechnique({ technique: 'OCP', cell: 'cell1', params: { duration: 3000 }, sample: {} }, { commandId: 'lock-a', signal: signal() });
    for (let i = 0; i < 200 && (await b.status()).lockOwner === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    expect((await b.status()).lockOwner).toBe('labloop:es1/cell1');
    const err = await b.runTechnique(screen('cell1'), { commandId: 'lock-b', signal: signal() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).failure.code).toBe('LOCK_HELD');
    await expect(long).resolves.toMatchObject({ status: 'succeeded' });
    expect((await b.status()).lockOwner).toBeUndefined();
    await a.stop();
    // The lock came back: the second client can run now.
    await expect(b.runTechnique(screen('cell1'), { commandId: 'lock-b2', signal: signal() })).resolves.toMatchObject({ status: 'succeeded' });
    await b.stop();
  });

  it('releases the lock of a session that goes away', async () => {
    const unitLock = async (t: OpcuaClientTransport) => {
      const browser = new LadsBrowser(t);
      const { unit } = await browser.locateUnit({ device: 'es4', unit: 'cell4' });
      const n = await browser.unitNodes(unit.nodeId);
      return async () => (await t.call(n.lock as NodeId, n.initLock as NodeId, [{ dataType: DataType.String, value: 'test' }])).outputs[0];
    };
    const a = new OpcuaClientTransport(connection());
    const b = new OpcuaClientTransport(connection());
    await a.connect();
    await b.connect();
    expect(await (await unitLock(a))()).toBe(LOCK_STATUS.ok);
    expect(await (await unitLock(b))()).toBe(LOCK_STATUS.alreadyLocked);
    await a.close(); // no ExitLock: the server drops the session and its lock
    expect(await (await unitLock(b))()).toBe(LOCK_STATUS.ok);
    await b.close();
  });

  it('lets an operator start programs and refuses an observer (ACCESS_DENIED) or a wrong password', async () => {
    const op = new PotentiostatOpcuaBackend({ deviceId: 'es2', unit: 'cell2', connection: connection({ username: 'operator', password: 'op-secret' }) });
    await op.setup();
    await expect(op.runTechnique(screen('cell2'), { commandId: 'role-op', signal: signal() })).resolves.toMatchObject({ status: 'succeeded' });
    await op.stop();
    const obs = new PotentiostatOpcuaBackend({ deviceId: 'es2', unit: 'cell2', connection: connection({ username: 'observer', password: 'obs-secret' }) });
    await obs.setup();
    expect((await obs.status()).state).toBe('ready');
    const err = await obs.runTechnique(screen('cell2'), { commandId: 'role-obs', signal: signal() }).catch((e: unknown) => e);
    expect((err as DeviceError).failure?.code).toBe('ACCESS_DENIED');
    await obs.stop();
    const bad = new PotentiostatOpcuaBackend({ deviceId: 'es2', unit: 'cell2', connection: { ...connection({ username: 'operator', password: 'wrong' }), connectTimeout_s: 5 } });
    const setupErr = await bad.setup().catch((e: unknown) => e);
    expect(setupErr).toBeInstanceOf(DeviceError);
    expect((setupErr as DeviceError).failure.code).toBe('ACCESS_DENIED');
    await bad.stop();
  });

  it('runs a program over SignAndEncrypt (Basic256Sha256) for an operator and refuses an observer there too', async () => {
    const secure = (user: { username: string; password: string }) => ({ ...connection(user), securityMode: 'SignAndEncrypt' as const, securityPolicy: 'Basic256Sha256' as const });
    const op = new PotentiostatOpcuaBackend({ deviceId: 'es3', unit: 'cell3', connection: secure({ username: 'operator', password: 'op-secret' }) });
    await op.setup();
    const r = await op.runTechnique(screen('cell3'), { commandId: 'secure-op', signal: signal() });
    expect(r.status).toBe('succeeded');
    expect((await op.lookup('secure-op'))?.runId).toBe(r.runId);
    await op.stop();
    const obs = new PotentiostatOpcuaBackend({ deviceId: 'es3', unit: 'cell3', connection: secure({ username: 'observer', password: 'obs-secret' }) });
    await obs.setup();
    const err = await obs.runTechnique(screen('cell3'), { commandId: 'secure-obs', signal: signal() }).catch((e: unknown) => e);
    expect((err as DeviceError).failure?.code).toBe('ACCESS_DENIED');
    await obs.stop();
  });

  it('encodes StartProgram properties losslessly', () => {
    const run = { params: { lsvScanRate_V_s: 0.005, cvCycles: 3 }, sample: { trialId: 't-1', index: 4 } };
    expect(decodeProperties(encodeProperties(run))).toEqual(run);
    expect(() => decodeProperties([{ key: 'x', value: '"text"' }])).toThrow();
  });
});
