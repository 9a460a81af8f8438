import { join } from 'node:path';
import {
  DataType,
  OPCUACertificateManager,
  OPCUAServer,
  StatusCodes,
  VariantArrayType,
  coerceLocalizedText,
  nodesets,
  promoteToStateMachine,
  type CallMethodResultOptions,
  type ISessionContext,
  type Namespace,
  type UAMethod,
  type UAObject,
  type UAObjectType,
  type UAVariable,
  type Variant,
} from 'node-opcua';
import { silentLogger } from '../../src/domain/index.ts';
import { routeOpcuaDiagnostics } from '../../drivers/transport/opcua-diagnostics.ts';
import { addAnalogItem, euInformation } from '../../simulators/twins/lads-address-space.ts';
import { opcuaPkiFolder } from './opcua-station.ts';

/**
 * A LADS server written for the tests, deliberately unlike labloop's station, to prove the client generic:
 * - its own namespace (`urn:example:photometrics`) and device type (PhotometerDeviceType, a LADSDeviceType subtype),
 *   placed in Machinery's Machines folder rather than DI's DeviceSet, with the LADS nodeset's shared identification
 *   nodes left as they ship (duplicate references);
 * - no locking: unit `Photometer` has no Lock object at all, unit `PhotometerB` has one whose InitLock answers
 *   BadNotImplemented;
 * - a non-electrochemical unit with one program template (`AbsorbanceScan`, template id `ABS-SCAN-2`) whose
 *   parameters are described only by the unit's SupportedPropertiesSet (values are plain numbers, not JSON);
 * - an asynchronous start (StartProgram returns while the unit is still Stopped; Running/Execute follows later),
 *   a result created at start and completed at the end (Stopped unset until then), named `Run <n>` (not the run id),
 *   holding a numeric-array result (Spectrum/Wavelength in nm, Spectrum/Absorbance) and no files;
 * - a Held sub-state the tests can force (`hold()`).
 */
export const PHOTOMETER_NS = 'urn:example:photometrics';

export interface PhotometerServer {
  endpointUrl: string;
  /** Holds a unit's program (now, or from its start): Running/Held until released (false), then Execute. */
  hold(unit: string, held: boolean): void;
  /** Programs started so far, per unit (what reached the instrument). */
  started: Map<string, { properties: Record<string, string>; jobId: string }[]>;
  close(): Promise<void>;
}

const PARAMS = [
  { name: 'StartWavelength', range: [200, 1000], value: 300, description: 'first wavelength of the scan' },
  { name: 'EndWavelength', range: [200, 1000], value: 700, description: 'last wavelength of the scan' },
  { name: 'Step', range: [0.5, 10], value: 5, description: 'wavelength step' },
] as const;

export async function startPhotometerServer(o: { scan_ms?: number } = {}): Promise<PhotometerServer> {
  routeOpcuaDiagnostics(silentLogger);
  const pki = opcuaPkiFolder('photometer');
  const server = new OPCUAServer({
    port: 0,
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    nodeset_filename: [nodesets.standard, nodesets.di, nodesets.amb, nodesets.ia, nodesets.machinery, nodesets.lads],
    serverCertificateManager: new OPCUACertificateManager({ rootFolder: join(pki, 'server'), automaticallyAcceptUnknownCertificate: true }),
    disableDiscovery: true,
    serverInfo: { applicationUri: 'urn:example:photometrics:server', productUri: 'urn:example:photometrics', applicationName: { text: 'Photometrics LADS test server' } },
  });
  await server.initialize();
  const as = server.engine.addressSpace;
  if (!as) throw new Error('no address space');
  const ns = as.registerNamespace(PHOTOMETER_NS) as Namespace;
  const nsLads = as.getNamespaceIndex('http://opcfoundation.org/UA/LADS/');
  const nsDi = as.getNamespaceIndex('http://opcfoundation.org/UA/DI/');
  const type = (name: string): UAObjectType => {
    const t = as.findObjectType(name, nsLads);
    if (!t) throw new Error(`no LADS ${name}`);
    return t;
  };
  const deviceType = ns.addObjectType({ browseName: 'PhotometerDeviceType', subtypeOf: type('LADSDeviceType') });
  const unitType = ns.addObjectType({ browseName: 'PhotometerUnitType', subtypeOf: type('FunctionalUnitType') });
  const machines = as.rootFolder.objects.getFolderElementByName('Machines', as.getNamespaceIndex('http://opcfoundation.org/UA/Machinery/')) ?? as.rootFolder.objects;
  const device = deviceType.instantiate({ browseName: { name: 'Photometer-7', namespaceIndex: ns.index }, organizedBy: machines, namespace: ns }) as UAObject;
  (device.getChildByName('Manufacturer', nsDi) as UAVariable | null)?.setValueFromSource({ dataType: DataType.LocalizedText, value: coerceLocalizedText('Photometrics') });
  (device.getChildByName('Model', nsDi) as UAVariable | null)?.setValueFromSource({ dataType: DataType.LocalizedText, value: coerceLocalizedText('PM-7 UV-Vis') });
  promoteToStateMachine(device.getComponentByName('DeviceState', nsLads) as UAObject).setState('Operate');
  const fuSet = device.getComponentByName('FunctionalUnitSet', nsLads) as UAObject;
  const started = new Map<string, { properties: Record<string, string>; jobId: string }[]>();
  const holders = new Map<string, (held: boolean) => void>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, f: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };
  let runs = 0;

  for (const [unitName, lock] of [['Photometer', 'absent'], ['PhotometerB', 'unimplemented']] as const) {
    const unit = unitType.instantiate({
      browseName: { name: unitName, namespaceIndex: ns.index },
      componentOf: fuSet,
      namespace: ns,
      optionals: ['FunctionalUnitState.StartProgram', 'FunctionalUnitState.Abort', 'FunctionalUnitState.Clear', 'FunctionalUnitState.RunningStateMachine', 'FunctionSet', 'SupportedPropertiesSet', 'ProgramManager', 'ProgramManager.ActiveProgram.DeviceProgramRunId'],
    }) as UAObject;
    const lockNode = unit.getComponentByName('Lock', nsDi) as UAObject;
    if (lock === 'absent') as.deleteNode(lockNode);
    else (lockNode.getMethodByName('InitLock', nsDi) as UAMethod).bindMethod(async (_args: Variant[], _context: ISessionContext) => ({ statusCode: StatusCodes.BadNotImplemented }));

    const fsmNode = unit.getComponentByName('FunctionalUnitState', nsLads) as UAObject;
    const fsm = promoteToStateMachine(fsmNode);
    fsm.setState('Stopped');
    const rsm = promoteToStateMachine(fsmNode.getComponentByName('RunningStateMachine', nsLads) as UAObject);
    rsm.setState(null);
    let state = 'Stopped';
    const setState = (s: string, sub: string | null = null): void => {
      state = s;
      fsm.setState(s);
      rsm.setState(sub);
    };
    let held = false;
    holders.set(unitName, (h) => {
      held = h;
      if (state === 'Running') rsm.setState(h ? 'Held' : 'Execute');
    });

    const functionSet = unit.getComponentByName('FunctionSet', nsLads) as UAObject;
    const sensor = type('AnalogScalarSensorFunctionType').instantiate({ browseName: { name: 'LampTemperature', namespaceIndex: ns.index }, componentOf: functionSet, namespace: ns }) as UAObject;
    for (const v of ['SensorValue', 'RawValue']) {
      const sv = sensor.getComponentByName(v, nsLads) as UAVariable;
      sv.setValueFromSource({ dataType: DataType.Double, value: 41.5 });
      (sv.getPropertyByName('EngineeringUnits') as UAVariable | null)?.setValueFromSource({ dataType: DataType.ExtensionObject, value: euInformation('°C') });
    }
    // Parameters: variables of a settings object, announced through the unit's SupportedPropertiesSet only.
    const settings = ns.addObject({ browseName: 'ScanSettings', componentOf: unit });
    const supported = unit.getComponentByName('SupportedPropertiesSet', nsLads) as UAObject;
    for (const p of PARAMS) {
      const v = addAnalogItem(ns, settings, { name: p.name, unit: 'nm', range: p.range, value: p.value, description: p.description });
      const sp = type('SupportedPropertyType').instantiate({ browseName: { name: p.name, namespaceIndex: ns.index }, componentOf: supported, namespace: ns }) as UAObject;
      sp.addReference({ referenceType: 'Organizes', nodeId: v.nodeId, isForward: true });
    }
    const pm = unit.getComponentByName('ProgramManager', nsLads) as UAObject;
    const templates = pm.getComponentByName('ProgramTemplateSet', nsLads) as UAObject;
    const template = type('ProgramTemplateType').instantiate({ browseName: { name: 'AbsorbanceScan', namespaceIndex: ns.index }, componentOf: templates, namespace: ns }) as UAObject;
    const put = (node: UAObject, name: string, dataType: DataType, value: unknown): void =>
      (node.getChildByName(name, nsLads) as UAVariable | null)?.setValueFromSource({ dataType, value });
    put(template, 'DeviceTemplateId', DataType.String, 'ABS-SCAN-2');
    put(template, 'Description', DataType.LocalizedText, coerceLocalizedText('UV-Vis absorbance scan'));
    put(template, 'Author', DataType.String, 'Photometrics');
    put(template, 'Version', DataType.String, '2.0');
    put(template, 'Created', DataType.DateTime, new Date('2025-03-01T00:00:00Z'));
    put(template, 'Modified', DataType.DateTime, new Date('2025-03-01T00:00:00Z'));
    const resultSet = pm.getComponentByName('ResultSet', nsLads) as UAObject;
    const activeRunId = (pm.getComponentByName('ActiveProgram', nsLads) as UAObject).getChildByName('DeviceProgramRunId', nsLads) as UAVariable | null;
    const jobs = new Map<string, string>();
    const history: { properties: Record<string, string>; jobId: string }[] = [];
    started.set(unitName, history);
    let active: { runId: string; finish: (aborted: boolean) => void } | undefined;

    const startProgram = async (args: Variant[]): Promise<CallMethodResultOptions> => {
      const [templateId, props, jobId] = args.map((a) => a?.value as unknown);
      if (typeof jobId !== 'string' || jobId === '') return { statusCode: StatusCodes.BadInvalidArgument };
      const known = jobs.get(jobId);
      if (known) return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.String, value: known }] };
      if (templateId !== 'ABS-SCAN-2' && templateId !== 'AbsorbanceScan') return { statusCode: StatusCodes.BadNotFound };
      if (state !== 'Stopped') return { statusCode: StatusCodes.BadInvalidState };
      const properties: Record<string, string> = {};
      for (const kv of (Array.isArray(props) ? props : []) as { key?: unknown; value?: unknown }[]) if (typeof kv.key === 'string' && typeof kv.value === 'string') properties[kv.key] = kv.value;
      const num = (k: string, d: number) => (properties[k] !== undefined ? Number(properties[k]) : d);
      const [from, to, step] = [num('StartWavelength', 300), num('EndWavelength', 700), num('Step', 5)];
      if (![from, to, step].every(Number.isFinite) || from < 200 || to > 1000 || from >= to || step < 0.5 || step > 10) return { statusCode: StatusCodes.BadOutOfRange };
      history.push({ properties, jobId });
      const runId = String(++runs);
      jobs.set(jobId, runId);
      // The result exists from the start; Stopped and the data come at the end.
      const result = type('ResultType').instantiate({ browseName: { name: `Run ${runId}`, namespaceIndex: ns.index }, componentOf: resultSet, optionals: ['DeviceProgramRunId'], namespace: ns }) as UAObject;
      put(result, 'SupervisoryJobId', DataType.String, jobId);
      put(result, 'DeviceProgramRunId', DataType.String, runId);
      put(result, 'Started', DataType.DateTime, new Date());
      put(result, 'ApplicationUri', DataType.String, PHOTOMETER_NS);
      const finish = (aborted: boolean): void => {
        active = undefined;
        held = false;
        const wavelengths: number[] = [];
        for (let w = from; w <= to + 1e-9; w += step) wavelengths.push(Math.round(w * 1000) / 1000);
        const spectrum = ns.addObject({ browseName: 'Spectrum', componentOf: result.getComponentByName('VariableSet', nsLads) as UAObject });
        const arr = (name: string, values: number[], unit?: string): void => {
          const v = ns.addVariable({ componentOf: spectrum, browseName: name, dataType: 'Double', valueRank: 1, arrayDimensions: [0], value: { dataType: DataType.Double, arrayType: VariantArrayType.Array, value: Float64Array.from(values) } });
          if (unit) ns.addVariable({ propertyOf: v, browseName: { name: 'EngineeringUnits', namespaceIndex: 0 }, dataType: 'EUInformation', value: { dataType: DataType.ExtensionObject, value: euInformation(unit) } });
        };
        arr('Wavelength', wavelengths, 'nm');
        arr('Absorbance', aborted ? [] : wavelengths.map((w) => 0.05 + 0.8 * Math.exp(-(((w - 520) / 40) ** 2))));
        put(result, 'Stopped', DataType.DateTime, new Date());
        activeRunId?.setValueFromSource({ dataType: DataType.String, value: '' });
        if (aborted) setState('Aborted');
        else {
          rsm.setState('Complete');
          setState('Stopped');
        }
      };
      active = { runId, finish };
      activeRunId?.setValueFromSource({ dataType: DataType.String, value: runId });
      later(20, () => {
        setState('Running', 'Starting');
        rsm.setState(held ? 'Held' : 'Execute');
        const complete = (): void => {
          if (held) later(20, complete); // a held program does not progress
          else if (active?.runId === runId) finish(false);
        };
        later(o.scan_ms ?? 150, complete);
      });
      return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.String, value: runId }] };
    };
    (fsmNode.getMethodByName('StartProgram', nsLads) as UAMethod).bindMethod((args: Variant[], _context: ISessionContext) => startProgram(args));
    (fsmNode.getMethodByName('Abort', nsLads) as UAMethod).bindMethod(async (_args: Variant[], _context: ISessionContext) => {
      if (state !== 'Running' || !active) return { statusCode: StatusCodes.BadInvalidState };
      setState('Aborting');
      const a = active;
      later(10, () => a.finish(true));
      return { statusCode: StatusCodes.Good };
    });
    (fsmNode.getMethodByName('Clear', nsLads) as UAMethod).bindMethod(async (_args: Variant[], _context: ISessionContext) => {
      if (state !== 'Aborted') return { statusCode: StatusCodes.BadInvalidState };
      setState('Clearing');
      later(10, () => setState('Stopped'));
      return { statusCode: StatusCodes.Good };
    });
  }
  await server.start();
  return {
    endpointUrl: server.getEndpointUrl(),
    started,
    hold: (unit, held) => holders.get(unit)?.(held),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await server.shutdown(0);
    },
  };
}
