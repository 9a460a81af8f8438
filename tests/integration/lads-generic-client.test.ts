import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError, type Logger } from '../../src/domain/index.ts';
import { LadsBrowser } from '../../drivers/lads/lads-browser.ts';
import { isResultValue, type LadsValueTree } from '../../drivers/lads/lads-model.ts';
import { LadsUnitClient } from '../../drivers/lads/lads-unit.ts';
import { OpcuaClientTransport } from '../../drivers/transport/opcua-client.ts';
import { startPhotometerServer, type PhotometerServer } from '../helpers/lads-photometer-server.ts';
import { opcuaPkiFolder } from '../helpers/opcua-station.ts';

/** A logger that records warnings (the client warns once when a unit has no working lock). */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const logger = {
    warnings,
    debug: () => {},
    info: () => {},
    warn: (o: object | string, m?: string) => void warnings.push(typeof o === 'string' ? o : (m ?? '')),
    error: () => {},
    child: () => logger,
  };
  return logger;
}

const arrays = (tree: LadsValueTree, name: string): Record<string, number[]> => {
  const sub = tree[name];
  if (!sub || isResultValue(sub)) throw new Error(`no ${name} in the result`);
  return Object.fromEntries(Object.entries(sub).map(([k, v]) => [k, isResultValue(v) ? (v.value as number[]) : []]));
};

describe('generic LADS client against a server that is not labloop (other namespace, no locking, async start)', () => {
  let server: PhotometerServer;
  let t: OpcuaClientTransport;
  const signal = () => new AbortController().signal;
  beforeAll(async () => {
    server = await startPhotometerServer();
    t = new OpcuaClientTransport({ endpointUrl: server.endpointUrl, pkiFolder: `${opcuaPkiFolder('photometer')}/client`, acceptUnknownServerCertificate: true });
    await t.connect();
  });
  afterAll(async () => {
    await t?.close();
    await server?.close();
  });

  it('discovers the device by type (a LADSDeviceType subtype in another namespace), its units, functions and described parameters', async () => {
    const info = await new LadsBrowser(t).describe(server.endpointUrl);
    expect(info.devices).toHaveLength(1);
    const d = info.devices[0];
    expect(d).toMatchObject({ name: 'Photometer-7', type: 'PhotometerDeviceType', namespaceUri: 'urn:example:photometrics', state: 'Operate' });
    expect(d?.identification).toMatchObject({ Manufacturer: 'Photometrics', Model: 'PM-7 UV-Vis' });
    expect(d?.availableStates).toEqual([]); // this server does not expose the optional AvailableStates
    const unit = d?.units.find((u) => u.name === 'Photometer');
    expect(unit).toMatchObject({ type: 'PhotometerUnitType', state: 'Stopped', ready: true, lock: { offered: false }, methods: { startProgram: true, abort: true, clear: true, stop: false } });
    expect(unit?.functions).toEqual([expect.objectContaining({ name: 'LampTemperature', kind: 'sensor', value: 41.5, unit: '°C' })]);
    expect(unit?.templates).toHaveLength(1);
    expect(unit?.templates[0]).toMatchObject({ name: 'AbsorbanceScan', templateId: 'ABS-SCAN-2', author: 'Photometrics', version: '2.0' });
    expect(unit?.templates[0]?.parameters).toEqual([
      { name: 'StartWavelength', dataType: 'Double', unit: 'nm', range: [200, 1000], default: 300, description: 'first wavelength of the scan' },
      { name: 'EndWavelength', dataType: 'Double', unit: 'nm', range: [200, 1000], default: 700, description: 'last wavelength of the scan' },
      { name: 'Step', dataType: 'Double', unit: 'nm', range: [0.5, 10], default: 5, description: 'wavelength step' },
    ]);
    expect(d?.units.find((u) => u.name === 'PhotometerB')?.lock.offered).toBe(true);
  });

  it('runs a program without a lock (one warning), follows the async start and reads the numeric-array result', async () => {
    const logger = recordingLogger();
    const c = new LadsUnitClient({ transport: t, unit: 'Photometer', logger });
    await c.setup();
    expect(logger.warnings.filter((w) => /offers no lock/.test(w))).toHaveLength(1);
    const props = [
      { key: 'StartWavelength', value: '400' },
      { key: 'EndWavelength', value: '600' },
      { key: 'Step', value: '2' },
    ];
    const outcome = await c.run({ templateId: 'ABS-SCAN-2', properties: props, jobId: 'job-1' }, { timeout_s: 30, poll_ms: 50 });
    expect(outcome.finalState).toBe('Stopped');
    expect(outcome.result.name).toBe(`Run ${outcome.runId}`);
    const r = await c.readResult(outcome.result);
    expect(r).toMatchObject({ runId: outcome.runId, jobId: 'job-1', files: [] });
    expect(Date.parse(r.stopped ?? '')).toBeGreaterThanOrEqual(Date.parse(r.started ?? ''));
    const s = arrays(r.variables, 'Spectrum');
    expect(s['Wavelength']).toHaveLength(101);
    expect(s['Wavelength']?.[0]).toBe(400);
    const peak = s['Absorbance']?.[s['Wavelength']?.indexOf(520) ?? -1];
    expect(peak).toBeCloseTo(0.85, 6);
    expect((r.variables['Spectrum'] as LadsValueTree)['Wavelength']).toMatchObject({ unit: 'nm', dataType: 'Double' });
    // The same job id again returns the same run (the server de-duplicates); nothing new reached the instrument.
    const again = await c.run({ templateId: 'ABS-SCAN-2', properties: props, jobId: 'job-1' }, { timeout_s: 30, poll_ms: 50 });
    expect(again.runId).toBe(outcome.runId);
    expect(server.started.get('Photometer')).toHaveLength(1);
    await c.close();
  });

  it('refuses to run when a lock is required but the unit has none, or its InitLock is not implemented', async () => {
    const absent = new LadsUnitClient({ transport: t, unit: 'Photometer', requireLock: true });
    await expect(absent.setup()).rejects.toMatchObject({ failure: { code: 'COMMAND_REJECTED' } });
    const unimplemented = new LadsUnitClient({ transport: t, unit: 'PhotometerB', requireLock: true });
    await unimplemented.setup();
    const err = await unimplemented.run({ templateId: 'ABS-SCAN-2', properties: [], jobId: 'job-lock' }, { timeout_s: 10 }).catch((e: unknown) => e);
    expect((err as DeviceError).failure.code).toBe('COMMAND_REJECTED');
    expect((err as DeviceError).message).toMatch(/BadNotImplemented/);
    expect(server.started.get('PhotometerB')).toHaveLength(0);
    await unimplemented.close();
    // Without the requirement the client warns and goes on.
    const logger = recordingLogger();
    const lenient = new LadsUnitClient({ transport: t, unit: 'PhotometerB', logger });
    await lenient.setup();
    const ok = await lenient.run({ templateId: 'AbsorbanceScan', properties: [], jobId: 'job-b' }, { timeout_s: 30, poll_ms: 50 });
    expect(ok.finalState).toBe('Stopped');
    expect(logger.warnings.some((w) => /does not implement locking/.test(w))).toBe(true);
    await lenient.close();
  });

  it('treats Held as not ready, and clears an Aborted unit before the next start', async () => {
    const slow = new LadsUnitClient({ transport: t, unit: 'Photometer' });
    await slow.setup();
    server.hold('Photometer', true);
    const runId = await slow.startProgram({ templateId: 'ABS-SCAN-2', properties: [], jobId: 'job-held' });
    for (let i = 0; i < 400 && (await slow.state()).state !== 'Running'; i++) await new Promise((r) => setTimeout(r, 5));
    const held = await slow.state();
    expect(held).toMatchObject({ state: 'Running', runningState: 'Held', ready: false, busy: true });
    server.hold('Photometer', false);
    await slow.abort();
    const aborted = await slow.waitForRun(runId, 'job-held', { timeout_s: 30, poll_ms: 50 });
    expect(aborted.finalState).toBe('Aborted');
    expect(await slow.state()).toMatchObject({ state: 'Aborted', ready: true });
    const next = await slow.run({ templateId: 'ABS-SCAN-2', properties: [], jobId: 'job-after-abort' }, { timeout_s: 30, poll_ms: 50, signal: signal() });
    expect(next.finalState).toBe('Stopped');
    await slow.close();
  });

  it('refuses out-of-range parameters with a typed failure, and oversized arguments before calling', async () => {
    const c = new LadsUnitClient({ transport: t, unit: 'Photometer' });
    await c.setup();
    const bad = await c.run({ templateId: 'ABS-SCAN-2', properties: [{ key: 'Step', value: '50' }], jobId: 'job-bad' }, { timeout_s: 10 }).catch((e: unknown) => e);
    expect((bad as DeviceError).failure.code).toBe('PARAMETER_OUT_OF_LIMITS');
    const huge = await c.run({ templateId: 'ABS-SCAN-2', properties: [{ key: 'x'.repeat(65), value: '1' }], jobId: 'job-huge' }, { timeout_s: 10 }).catch((e: unknown) => e);
    expect((huge as DeviceError).failure.code).toBe('PARAMETER_OUT_OF_LIMITS');
    expect(server.started.get('Photometer')?.some((s) => s.jobId === 'job-huge' || s.jobId === 'job-bad')).toBe(false);
    await c.close();
  });
});
