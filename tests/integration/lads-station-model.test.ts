import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, NodeClass, type NodeId } from 'node-opcua';
import type { Recipe } from '../../src/domain/index.ts';
import { PotentiostatOpcuaBackend } from '../../drivers/electrochem/opcua-backend.ts';
import { echemLadsMappingSchema } from '../../drivers/electrochem/program-mapping.ts';
import { TECHNIQUE_PARAMS } from '../../drivers/electrochem/technique-params.ts';
import { LadsBrowser } from '../../drivers/lads/lads-browser.ts';
import { isResultValue, type LadsValueTree } from '../../drivers/lads/lads-model.ts';
import { LadsUnitClient } from '../../drivers/lads/lads-unit.ts';
import { ARGUMENT_LIMITS, LADS_BINARY_ENCODINGS, LADS_NAMESPACES } from '../../drivers/lads/node-map.ts';
import { LABLOOP_NAMESPACE } from '../../drivers/electrochem/node-map.ts';
import { OpcuaClientTransport } from '../../drivers/transport/opcua-client.ts';
import { ScaledClock } from '../../simulators/clock.ts';
import { fillCellWithRecipe, opcuaPkiFolder, startTwinFixture, type TwinFixture } from '../helpers/opcua-station.ts';

const RECIPE: Recipe = { Ni: 0.6, Fe: 0.2, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 50, complexant: 5 };
const signal = () => new AbortController().signal;
const screen = { technique: 'OER_Screen_v1' as const, cell: 'cell1', params: {}, sample: { trialId: 't-1', electrolyte: '1 M KOH', pH: 14 } };

describe('the station twin as a standard LADS device (seen through the generic client)', () => {
  let fx: TwinFixture;
  let t: OpcuaClientTransport;
  const connection = () => ({ endpointUrl: fx.endpointUrl, pkiFolder: `${opcuaPkiFolder('station-model')}/client`, acceptUnknownServerCertificate: true });
  beforeAll(async () => {
    // 100× real time: a 60 s OCP takes 0.6 s, long enough to read live values in between.
    fx = await startTwinFixture('station-model', { clock: new ScaledClock(100) });
    fillCellWithRecipe(fx.world, 'cell1', RECIPE);
    t = new OpcuaClientTransport(connection());
    await t.connect();
  });
  afterAll(async () => {
    await t?.close();
    await fx?.close();
  });

  it('exposes DeviceState, the unit state machine, a FunctionSet with units and ranges, and described template parameters', async () => {
    const info = await new LadsBrowser(t).describe(fx.endpointUrl);
    const d = info.devices.find((x) => x.name === 'es1');
    expect(d).toMatchObject({ type: 'LADSDeviceType', namespaceUri: 'urn:labloop:echem-station', state: 'Operate', identification: { Manufacturer: 'labloop', SerialNumber: 'es1' } });
    expect(d?.availableStates.sort()).toEqual(['Initialization', 'Operate', 'Shutdown', 'Sleep']);
    const u = d?.units[0];
    expect(u).toMatchObject({ name: 'cell1', state: 'Stopped', ready: true, lock: { offered: true, locked: false }, methods: { startProgram: true, stop: true, abort: true, clear: true } });
    expect(u?.availableStates.sort()).toEqual(['Aborted', 'Aborting', 'Clearing', 'Running', 'Stopped', 'Stopping']);
    const fn = (name: string) => u?.functions.find((f) => f.name === name);
    expect(fn('Potential')).toMatchObject({ kind: 'sensor', type: 'AnalogScalarSensorFunctionType', unit: 'V', range: [-10, 10], enabled: true });
    expect(fn('Current')).toMatchObject({ kind: 'sensor', unit: 'A', range: [-1, 1] });
    expect(fn('Temperature')).toMatchObject({ kind: 'sensor', unit: '°C', value: 25 });
    expect(fn('PotentialControl')).toMatchObject({ kind: 'controller', type: 'AnalogControlFunctionType', unit: 'V', state: 'Stopped' });
    expect(u?.templates.map((x) => x.name)).toEqual(['OCP', 'CV', 'LSV', 'CA', 'CP', 'PEIS', 'OER_Screen_v1']);
    const lsv = u?.templates.find((x) => x.name === 'LSV');
    expect(lsv).toMatchObject({ templateId: 'LSV', author: 'labloop', description: 'linear sweep voltammetry' });
    expect(lsv?.parameters.find((p) => p.name === 'lsvScanRate_V_s')).toEqual({ name: 'lsvScanRate_V_s', dataType: 'Double', unit: 'V/s', range: [1e-5, 10], default: 0.005, description: TECHNIQUE_PARAMS.lsvScanRate_V_s.description });
    const cycles = u?.templates.find((x) => x.name === 'CV')?.parameters.find((p) => p.name === 'cvCycles');
    expect(cycles).toMatchObject({ dataType: 'Int32', range: [1, 100], default: 5 });
    expect(cycles).not.toHaveProperty('unit'); // a count: dimensionless
    expect(u?.templates.find((x) => x.name === 'OER_Screen_v1')?.parameters).toHaveLength(Object.keys(TECHNIQUE_PARAMS).length);
    expect(u?.supportedProperties.sort()).toEqual(Object.keys(TECHNIQUE_PARAMS).sort());
  });

  it('shows live readings while a program runs and follows the controller state', async () => {
    const c = new LadsUnitClient({ transport: t, device: 'es1', unit: 'cell1' });
    await c.setup();
    // 300 s at 100× real time: 3 s of wall time to catch the readings while the segment runs.
    const runId = await c.startProgram({ templateId: 'CA', properties: [{ key: 'caDuration', value: '300' }, { key: 'caPotential_V_RHE', value: '1.6' }], jobId: 'live-1' });
    const browser = new LadsBrowser(t);
    let seen: { potential?: unknown; control?: string | undefined } = {};
    for (let i = 0; i < 300; i++) {
      const functions = await browser.functions(c.n.functionSet as NodeId);
      const p = functions.find((f) => f.name === 'Potential')?.value;
      const control = functions.find((f) => f.name === 'PotentialControl')?.state;
      if (typeof p === 'number' && p !== 0 && control === 'Running') {
        seen = { potential: p, control };
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen.control).toBe('Running');
    expect(typeof seen.potential).toBe('number');
    const outcome = await c.waitForRun(runId, 'live-1', { timeout_s: 60, poll_ms: 50 });
    const r = await c.readResult(outcome.result, { fileContents: false });
    const ewe = ((r.variables['1_CA'] as LadsValueTree)['Ewe_V'] as { value: number[] }).value;
    expect(ewe).toContain(seen.potential);
    await c.close();
  });

  it('publishes typed results (VariableSet arrays with units, the curves as CSV, real timestamps) beside the labloop JSON', async () => {
    const c = new LadsUnitClient({ transport: t, device: 'es1', unit: 'cell1' });
    await c.setup();
    const outcome = await c.run(
      { templateId: 'OER_Screen_v1', properties: [{ key: 'withOcp', value: '0' }, { key: 'cvCycles', value: '1' }], jobId: 'typed-1', taskId: 't-1' },
      { timeout_s: 120, poll_ms: 50 },
    );
    const r = await c.readResult(outcome.result);
    expect(r).toMatchObject({ runId: outcome.runId, jobId: 'typed-1', taskId: 't-1' });
    expect(new Date(r.started ?? '').getUTCFullYear()).toBeGreaterThanOrEqual(2024);
    expect(Date.parse(r.stopped ?? '')).toBeGreaterThanOrEqual(Date.parse(r.started ?? ''));
    expect(r.variables['Status']).toMatchObject({ value: 'succeeded' });
    expect(Object.keys(r.variables).filter((k) => /^\d+_/.test(k))).toEqual(['1_CV', '2_PEIS', '3_LSV']);
    const lsv = r.variables['3_LSV'] as LadsValueTree;
    expect(lsv['Ewe_V']).toMatchObject({ dataType: 'Double', unit: 'V' });
    expect(lsv['I_A']).toMatchObject({ unit: 'A' });
    expect(lsv['t_s']).toMatchObject({ unit: 's' });
    expect((r.variables['2_PEIS'] as LadsValueTree)['Zre_ohm']).toMatchObject({ unit: 'Ω' });
    expect((r.variables['Conditions'] as LadsValueTree)['pH']).toMatchObject({ value: 14 });
    const json = JSON.parse((r.variables['EchemResult'] as { value: string }).value) as { curves: { technique: string; arrays: Record<string, number[]> }[] };
    expect(((lsv['Ewe_V'] as { value: number[] }).value)).toEqual(json.curves[2]?.arrays['Ewe_V']);
    const csv = r.files.find((f) => f.name === 'curves.csv');
    expect(csv).toMatchObject({ mimeType: 'text/csv' });
    const lines = (csv?.text ?? '').trim().split('\n');
    expect(lines[0]).toBe('segment,t_s,Ewe_V,I_A,cycle,freq_Hz,Zre_ohm,Zim_ohm');
    const points = json.curves.reduce((n, cv) => n + (cv.arrays['t_s']?.length ?? 0), 0);
    expect(lines).toHaveLength(points + 1);
    expect(csv?.size).toBe(Buffer.byteLength(csv?.text ?? ''));
    await c.close();
  });

  it('gives the same EchemResult from the typed arrays as from the labloop JSON', async () => {
    const json = new PotentiostatOpcuaBackend({ deviceId: 'es1', unit: 'cell1', transport: t, timeouts: { run_s: 120, poll_ms: 50 } });
    const arrays = new PotentiostatOpcuaBackend({ deviceId: 'es1', unit: 'cell1', transport: t, mapping: echemLadsMappingSchema.parse({ results: { format: 'arrays' } }), timeouts: { run_s: 120, poll_ms: 50 } });
    await json.setup();
    await arrays.setup();
    const a = await json.runTechnique(screen, { commandId: 'same-1', signal: signal() });
    const b = await arrays.lookup('same-1');
    expect(b).toEqual(a);
    await json.stop();
    await arrays.stop();
  });

  it('has no duplicate references and no 1601 dates anywhere under the device', async () => {
    const [deviceSet] = await t.translate([[['http://opcfoundation.org/UA/DI/', 'DeviceSet']]]);
    const devices = await t.browse(deviceSet as NodeId, { referenceType: 'Organizes', nodeClasses: [NodeClass.Object] });
    const parents = new Map<string, number>();
    const dates: { path: string; value: unknown }[] = [];
    const walk = async (node: NodeId, path: string, depth: number): Promise<void> => {
      if (depth > 12) return;
      for (const c of await t.browse(node, { referenceType: 'Aggregates' })) {
        const key = c.nodeId.toString();
        parents.set(key, (parents.get(key) ?? 0) + 1);
        if (c.nodeClass === NodeClass.Variable) {
          const [dv] = await t.read([c.nodeId]);
          if (dv?.value.dataType === DataType.DateTime) dates.push({ path: `${path}/${c.name}`, value: dv.value.value });
        }
        if (c.nodeClass !== NodeClass.Method && (parents.get(key) ?? 0) === 1) await walk(c.nodeId, `${path}/${c.name}`, depth + 1);
      }
    };
    for (const d of devices) await walk(d.nodeId, d.name, 0);
    expect(parents.size).toBeGreaterThan(300);
    expect([...parents].filter(([, n]) => n > 1)).toEqual([]);
    expect(dates.length).toBeGreaterThan(10);
    expect(dates.filter((x) => !(x.value instanceof Date) || x.value.getUTCFullYear() < 2000)).toEqual([]);
  });

  it('refuses arguments over their size limits at the server (the client is bypassed) and files opened for writing', async () => {
    const c = new LadsUnitClient({ transport: t, device: 'es1', unit: 'cell1' });
    await c.setup();
    const n = c.n;
    const kv = (k: string, v: string) => t.stringStructure(LADS_NAMESPACES.LADS, LADS_BINARY_ENCODINGS.KeyValueType, [k, v]);
    const start = (template: string, props: unknown[], jobId: string) =>
      t.call(n.state as NodeId, n.startProgram as NodeId, [
        { dataType: DataType.String, value: template },
        { dataType: DataType.ExtensionObject, arrayType: 1, value: props },
        { dataType: DataType.String, value: jobId },
        { dataType: DataType.String, value: '' },
        { dataType: DataType.ExtensionObject, arrayType: 1, value: [] },
      ]);
    const L = ARGUMENT_LIMITS;
    expect((await start('OCP', [kv('k'.repeat(L.propertyKey + 1), '1')], 'limit-1')).statusCode.name).toBe('BadOutOfRange');
    expect((await start('OCP', [kv('ocpDuration', '1'.repeat(L.propertyValue + 1))], 'limit-2')).statusCode.name).toBe('BadOutOfRange');
    expect((await start('OCP', Array.from({ length: L.properties + 1 }, () => kv('ocpDuration', '5')), 'limit-3')).statusCode.name).toBe('BadOutOfRange');
    expect((await start('OCP', [], 'j'.repeat(L.jobId + 1))).statusCode.name).toBe('BadOutOfRange');
    expect((await start('OCP', [kv('ocpDuration', '"five"')], 'limit-4')).statusCode.name).toBe('BadInvalidArgument');
    expect((await start('XRD', [], 'limit-5')).statusCode.name).toBe('BadInvalidArgument');
    const lock = await t.call(n.lock as NodeId, n.initLock as NodeId, [{ dataType: DataType.String, value: 'c'.repeat(L.lockContext + 1) }]);
    expect(lock.statusCode.name).toBe('BadOutOfRange');
    expect((await c.state()).state).toBe('Stopped'); // nothing started
    const outcome = await c.run({ templateId: 'OCP', properties: [{ key: 'ocpDuration', value: '2' }], jobId: 'file-1' }, { timeout_s: 30 });
    const [file] = await t.translate([[[LADS_NAMESPACES.LADS, 'FileSet'], [LABLOOP_NAMESPACE, 'curves.csv'], [LADS_NAMESPACES.LADS, 'File']]], outcome.result.nodeId);
    const [open] = await t.translate([[[LADS_NAMESPACES.UA, 'Open']]], file as NodeId);
    const write = await t.call(file as NodeId, open as NodeId, [{ dataType: DataType.Byte, value: 2 }]);
    expect(write.statusCode.name).toBe('BadNotWritable');
    await c.close();
  });

  it('follows LADS exactly: Stop ends in Stopped, Abort in Aborted, StartProgram waits for Clear', async () => {
    const c = new LadsUnitClient({ transport: t, device: 'es1', unit: 'cell1' });
    await c.setup();
    const long = [{ key: 'ocpDuration', value: '600' }];
    const r1 = await c.startProgram({ templateId: 'OCP', properties: long, jobId: 'stop-1' });
    await c.stop();
    expect((await c.waitForRun(r1, 'stop-1', { timeout_s: 30 })).finalState).toBe('Stopped');
    const r2 = await c.startProgram({ templateId: 'OCP', properties: long, jobId: 'abort-1' });
    await c.abort();
    const over = await c.waitForRun(r2, 'abort-1', { timeout_s: 30 });
    expect(over.finalState).toBe('Aborted');
    const status = (await c.readResult(over.result, { fileContents: false })).variables['Status'];
    expect(isResultValue(status) && status.value).toBe('cancelled');
    // A raw StartProgram on an Aborted unit is refused; the client clears first.
    const n = c.n;
    const raw = await t.call(n.state as NodeId, n.startProgram as NodeId, [
      { dataType: DataType.String, value: 'OCP' },
      { dataType: DataType.ExtensionObject, arrayType: 1, value: [] },
      { dataType: DataType.String, value: 'raw-1' },
      { dataType: DataType.String, value: '' },
      { dataType: DataType.ExtensionObject, arrayType: 1, value: [] },
    ]);
    expect(raw.statusCode.name).toBe('BadInvalidState');
    const r3 = await c.run({ templateId: 'OCP', properties: [{ key: 'ocpDuration', value: '1' }], jobId: 'after-clear' }, { timeout_s: 30 });
    expect(r3.finalState).toBe('Stopped');
    await c.close();
  });
});
