import { AttributeIds, NodeClass, NodeId, type DataValue } from 'node-opcua';
import type { BrowsedNode, OpcuaClientTransport, PathElement } from '../transport/opcua-client.ts';
import type { LadsDevice, LadsFunction, LadsParameter, LadsServerInfo, LadsTemplate, LadsUnit } from './lads-model.ts';
import { dataTypeName, numberOf, plainValue, rangeOf, textOf, unitOf, type PlainValue } from './lads-values.ts';
import { LADS_NAMESPACES, LADS_TYPES, NAME, UA_TYPES, unitReadiness, type StandardName } from './node-map.ts';

/** Standard nodes of a functional unit (absent ones are undefined: servers implement different subsets). */
const UNIT_PATHS = {
  state: ['functionalUnitState'],
  currentState: ['functionalUnitState', 'currentState'],
  availableStates: ['functionalUnitState', 'availableStates'],
  runningState: ['functionalUnitState', 'runningStateMachine', 'currentState'],
  startProgram: ['functionalUnitState', 'startProgram'],
  stop: ['functionalUnitState', 'stop'],
  abort: ['functionalUnitState', 'abort'],
  clear: ['functionalUnitState', 'clear'],
  lock: ['lock'],
  initLock: ['lock', 'initLock'],
  exitLock: ['lock', 'exitLock'],
  renewLock: ['lock', 'renewLock'],
  breakLock: ['lock', 'breakLock'],
  locked: ['lock', 'locked'],
  lockingClient: ['lock', 'lockingClient'],
  functionSet: ['functionSet'],
  templateSet: ['programManager', 'programTemplateSet'],
  activeRunId: ['programManager', 'activeProgram', 'deviceProgramRunId'],
  activeStep: ['programManager', 'activeProgram', 'currentStepName'],
  activeRuntime: ['programManager', 'activeProgram', 'currentRuntime'],
  activeEstimated: ['programManager', 'activeProgram', 'estimatedRuntime'],
  resultSet: ['programManager', 'resultSet'],
  resultSetVersion: ['programManager', 'resultSet', 'nodeVersion'],
  supportedProperties: ['supportedPropertiesSet'],
} as const satisfies Record<string, readonly StandardName[]>;
export type UnitNodes = { -readonly [K in keyof typeof UNIT_PATHS]: NodeId | undefined } & { unit: NodeId };

export class LadsDiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LadsDiscoveryError';
  }
}

/** Converts standard names to namespace-URI path elements. */
export function pathOf(names: readonly StandardName[]): PathElement[] {
  return names.map((n) => [LADS_NAMESPACES[NAME[n][0]], NAME[n][1]] as const);
}

interface VariableInfo {
  value: PlainValue;
  dataType: string;
  description?: string;
  unit?: string;
  range?: [number, number];
}

/**
 * Discovery on any LADS server: devices are objects whose type is LADSDeviceType or a subtype (under DI DeviceSet,
 * the Objects folder or Machinery's Machines folder), functional units, functions, templates and results are
 * recognised by type definition, and standard members by their standard browse names. Instance names and the
 * vendor's namespace are never assumed.
 */
export class LadsBrowser {
  private readonly parents = new Map<string, NodeId | null>();
  private readonly typeNames = new Map<string, string>();

  constructor(private readonly t: OpcuaClientTransport) {
    if (!t.hasNamespace(LADS_NAMESPACES.LADS)) throw new LadsDiscoveryError(`the server has no LADS namespace (${LADS_NAMESPACES.LADS}): not a LADS server`);
  }

  lads(id: number): NodeId {
    return this.t.nodeId(LADS_NAMESPACES.LADS, id);
  }

  /** True when `type` is `base` or one of its subtypes (walks HasSubtype upwards; cached). */
  async isSubtype(type: NodeId | undefined, base: NodeId): Promise<boolean> {
    let cur: NodeId | null | undefined = type;
    for (let depth = 0; cur && depth < 32; depth++) {
      if (cur.toString() === base.toString()) return true;
      const key = cur.toString();
      if (!this.parents.has(key)) {
        const up = await this.t.browse(cur, { referenceType: 'HasSubtype', direction: 'inverse' });
        this.parents.set(key, up[0]?.nodeId ?? null);
      }
      cur = this.parents.get(key);
    }
    return false;
  }

  async typeName(type: NodeId | undefined): Promise<string> {
    if (!type) return '';
    const key = type.toString();
    if (!this.typeNames.has(key)) {
      const [dv] = await this.t.readAttribute([type], AttributeIds.BrowseName);
      this.typeNames.set(key, textOf(dv) ?? key);
    }
    return this.typeNames.get(key) ?? key;
  }

  /** Children of `node` whose type definition is `base` or a subtype. */
  async childrenOfType(node: NodeId, base: NodeId, referenceType = 'HierarchicalReferences'): Promise<BrowsedNode[]> {
    const out: BrowsedNode[] = [];
    for (const c of await this.t.browse(node, { referenceType, nodeClasses: [NodeClass.Object] })) if (await this.isSubtype(c.typeDefinition, base)) out.push(c);
    return out;
  }

  async findDevices(): Promise<BrowsedNode[]> {
    const roots: NodeId[] = [NodeId.resolveNodeId(`i=${UA_TYPES.ObjectsFolder}`)];
    const [deviceSet, machines] = await this.t.translate([
      [[LADS_NAMESPACES.DI, 'DeviceSet']],
      [[LADS_NAMESPACES.MACHINERY, 'Machines']],
    ]);
    if (deviceSet) roots.unshift(deviceSet);
    if (machines) roots.push(machines);
    const seen = new Set<string>();
    const devices: BrowsedNode[] = [];
    for (const r of roots)
      for (const d of await this.childrenOfType(r, this.lads(LADS_TYPES.LADSDeviceType)))
        if (!seen.has(d.nodeId.toString())) {
          seen.add(d.nodeId.toString());
          devices.push(d);
        }
    return devices;
  }

  async findUnits(device: NodeId): Promise<BrowsedNode[]> {
    const [set] = await this.t.translate([pathOf(['functionalUnitSet'])], device);
    return set ? this.childrenOfType(set, this.lads(LADS_TYPES.FunctionalUnitType)) : [];
  }

  /** The unit named `unit` (on the device named `device`, when given); names every candidate when it is not unique. */
  async locateUnit(where: { device?: string; unit: string }): Promise<{ device: BrowsedNode; unit: BrowsedNode }> {
    const found: { device: BrowsedNode; unit: BrowsedNode }[] = [];
    const all: string[] = [];
    for (const d of await this.findDevices()) {
      for (const u of await this.findUnits(d.nodeId)) {
        all.push(`${d.name}/${u.name}`);
        if (u.name === where.unit && (where.device === undefined || d.name === where.device)) found.push({ device: d, unit: u });
      }
    }
    const want = where.device ? `${where.device}/${where.unit}` : where.unit;
    if (found.length === 1 && found[0]) return found[0];
    if (found.length === 0) throw new LadsDiscoveryError(`no functional unit ${want} on this server (units: ${all.join(', ') || 'none'})`);
    throw new LadsDiscoveryError(`unit ${where.unit} exists on several devices (${found.map((f) => f.device.name).join(', ')}): name the device`);
  }

  async unitNodes(unit: NodeId): Promise<UnitNodes> {
    const keys = Object.keys(UNIT_PATHS) as (keyof typeof UNIT_PATHS)[];
    const ids = await this.t.translate(keys.map((k) => pathOf(UNIT_PATHS[k])), unit);
    const nodes = { unit } as UnitNodes;
    keys.forEach((k, i) => (nodes[k] = ids[i]));
    return nodes;
  }

  /** Everything `labloop devices inspect` shows. */
  async describe(endpointUrl: string): Promise<LadsServerInfo> {
    const devices: LadsDevice[] = [];
    for (const d of await this.findDevices()) devices.push(await this.describeDevice(d));
    return { endpointUrl, ladsNamespaceIndex: this.t.namespaceIndex(LADS_NAMESPACES.LADS), namespaces: [...this.t.namespaceArray], devices };
  }

  async describeDevice(d: BrowsedNode): Promise<LadsDevice> {
    const idNames = ['manufacturer', 'model', 'serialNumber', 'softwareRevision'] as const;
    const ids = await this.t.translate([pathOf(['deviceState', 'currentState']), pathOf(['deviceState', 'availableStates']), ...idNames.map((n) => pathOf([n]))], d.nodeId);
    const values = await this.readOptional(ids);
    const identification: Record<string, string> = {};
    idNames.forEach((n, i) => {
      const v = textOf(values[i + 2]);
      if (v) identification[NAME[n][1]] = v;
    });
    const state = textOf(values[0]);
    const units: LadsUnit[] = [];
    for (const u of await this.findUnits(d.nodeId)) units.push(await this.describeUnit(u, state));
    return {
      nodeId: d.nodeId.toString(),
      name: d.name,
      namespaceUri: d.namespaceUri,
      type: await this.typeName(d.typeDefinition),
      identification,
      ...(state !== undefined ? { state } : {}),
      availableStates: await this.stateNames(values[1]),
      units,
    };
  }

  async describeUnit(u: BrowsedNode, deviceState?: string): Promise<LadsUnit> {
    const n = await this.unitNodes(u.nodeId);
    const [state, available, running, locked, lockingClient, runId, step, runtime, estimated] = await this.readOptional([
      n.currentState,
      n.availableStates,
      n.runningState,
      n.locked,
      n.lockingClient,
      n.activeRunId,
      n.activeStep,
      n.activeRuntime,
      n.activeEstimated,
    ]);
    const stateText = textOf(state) ?? '';
    const runningText = stateText === 'Running' ? textOf(running) : undefined;
    const readiness = unitReadiness(stateText, deviceState, runningText);
    const results = n.resultSet ? await this.childrenOfType(n.resultSet, this.lads(LADS_TYPES.ResultType)) : [];
    const supported = n.supportedProperties ? await this.childrenOfType(n.supportedProperties, this.lads(LADS_TYPES.SupportedPropertyType)) : [];
    const active = { runId: textOf(runId), step: textOf(step), runtime_ms: numberOf(runtime), estimatedRuntime_ms: numberOf(estimated) };
    return {
      nodeId: u.nodeId.toString(),
      name: u.name,
      type: await this.typeName(u.typeDefinition),
      state: stateText,
      ...(runningText ? { runningState: runningText } : {}),
      availableStates: await this.stateNames(available),
      ready: readiness.ready,
      ...(readiness.ready ? {} : { notReadyReason: readiness.reason }),
      methods: { startProgram: !!n.startProgram, start: false, stop: !!n.stop, abort: !!n.abort, clear: !!n.clear },
      lock: { offered: !!n.initLock, ...(n.locked ? { locked: plainValue(locked) === true } : {}), ...(textOf(lockingClient) ? { lockingClient: textOf(lockingClient) } : {}) },
      functions: n.functionSet ? await this.functions(n.functionSet) : [],
      templates: n.templateSet ? await this.templates(n.templateSet, supported) : [],
      supportedProperties: supported.map((s) => s.name),
      ...(Object.values(active).some((v) => v !== undefined && v !== '') ? { activeProgram: dropEmpty(active) } : {}),
      results: { count: results.length, ...(results.length > 0 ? { latest: results[results.length - 1]?.name } : {}) },
    };
  }

  /** The functions of a FunctionSet (recursively, to `depth`): sensors, controllers and others with values and units. */
  async functions(set: NodeId, depth = 3): Promise<LadsFunction[]> {
    const children = await this.childrenOfType(set, this.lads(LADS_TYPES.FunctionType));
    if (children.length === 0) return [];
    const per = ['sensorValue', 'currentValue', 'targetValue', 'isEnabled', 'functionSet', 'controlState'] as const;
    const paths: Record<(typeof per)[number], PathElement[]> = {
      sensorValue: pathOf(['sensorValue']),
      currentValue: pathOf(['currentValue']),
      targetValue: pathOf(['targetValue']),
      isEnabled: [[LADS_NAMESPACES.LADS, 'IsEnabled']],
      functionSet: pathOf(['functionSet']),
      controlState: pathOf(['controlFunctionState', 'currentState']),
    };
    const ids = await this.t.translateFrom(children.flatMap((c) => per.map((k) => ({ start: c.nodeId, path: paths[k] }))));
    const out: LadsFunction[] = [];
    for (const [i, c] of children.entries()) {
      const at = (k: (typeof per)[number]) => ids[i * per.length + per.indexOf(k)];
      const kind = (await this.isSubtype(c.typeDefinition, this.lads(LADS_TYPES.BaseSensorFunctionType)))
        ? 'sensor'
        : (await this.isSubtype(c.typeDefinition, this.lads(LADS_TYPES.BaseControlFunctionType)))
          ? 'controller'
          : 'function';
      const valueNode = at('sensorValue') ?? at('currentValue');
      const [info, target] = await this.describeVariables([valueNode, at('targetValue')]);
      const [enabled, state] = await this.readOptional([at('isEnabled'), at('controlState')]);
      const nested = at('functionSet') && depth > 1 ? await this.functions(at('functionSet') as NodeId, depth - 1) : [];
      out.push({
        nodeId: c.nodeId.toString(),
        name: c.name,
        type: await this.typeName(c.typeDefinition),
        kind,
        ...(typeof plainValue(enabled) === 'boolean' ? { enabled: plainValue(enabled) as boolean } : {}),
        ...(info ? { value: info.value, ...(info.unit ? { unit: info.unit } : {}), ...(info.range ? { range: info.range } : {}) } : {}),
        ...(target ? { targetValue: target.value } : {}),
        ...(textOf(state) ? { state: textOf(state) } : {}),
        ...(nested.length > 0 ? { functions: nested } : {}),
      });
    }
    return out;
  }

  /**
   * Program templates with their parameters: the variables of a VariableSet inside the template (any browse name) or,
   * when a template has none, the unit's SupportedPropertiesSet (each key with the variable it organizes).
   */
  async templates(set: NodeId, supported: BrowsedNode[] = []): Promise<LadsTemplate[]> {
    const templates = await this.childrenOfType(set, this.lads(LADS_TYPES.ProgramTemplateType));
    const props = ['deviceTemplateId', 'description', 'author', 'version'] as const;
    const ids = await this.t.translateFrom(templates.flatMap((t) => props.map((p) => ({ start: t.nodeId, path: pathOf([p]) }))));
    const values = await this.readOptional(ids);
    let fallback: LadsParameter[] | undefined;
    const out: LadsTemplate[] = [];
    for (const [i, t] of templates.entries()) {
      const v = (p: (typeof props)[number]) => textOf(values[i * props.length + props.indexOf(p)]);
      let parameters: LadsParameter[] = [];
      for (const s of await this.childrenOfType(t.nodeId, this.lads(LADS_TYPES.VariableSetType))) parameters.push(...(await this.parametersIn(s.nodeId)));
      if (parameters.length === 0 && supported.length > 0) parameters = fallback ??= await this.supportedParameters(supported);
      out.push(dropEmpty({ nodeId: t.nodeId.toString(), name: t.name, templateId: v('deviceTemplateId'), description: v('description'), author: v('author'), version: v('version'), parameters }));
    }
    return out;
  }

  private async parametersIn(set: NodeId): Promise<LadsParameter[]> {
    const vars = await this.t.browse(set, { referenceType: 'HierarchicalReferences', nodeClasses: [NodeClass.Variable] });
    const infos = await this.describeVariables(vars.map((v) => v.nodeId));
    return vars.map((v, i) => parameter(v.name, infos[i]));
  }

  private async supportedParameters(supported: BrowsedNode[]): Promise<LadsParameter[]> {
    const targets: (NodeId | undefined)[] = [];
    for (const s of supported) targets.push((await this.t.browse(s.nodeId, { referenceType: 'Organizes', nodeClasses: [NodeClass.Variable] }))[0]?.nodeId);
    const infos = await this.describeVariables(targets);
    return supported.map((s, i) => parameter(s.name, infos[i]));
  }

  /** Value, data type, description, EngineeringUnits and EURange of variables (five requests for any number). */
  async describeVariables(nodes: readonly (NodeId | undefined)[]): Promise<(VariableInfo | undefined)[]> {
    const present = nodes.map((n, i) => ({ n, i })).filter((x): x is { n: NodeId; i: number } => x.n !== undefined);
    const ids = present.map((x) => x.n);
    const [values, types, descriptions] = await Promise.all([this.t.read(ids), this.t.readAttribute(ids, AttributeIds.DataType), this.t.readAttribute(ids, AttributeIds.Description)]);
    const props = await this.t.translateFrom(ids.flatMap((start) => [{ start, path: pathOf(['engineeringUnits']) }, { start, path: pathOf(['euRange']) }]));
    const meta = await this.readOptional(props);
    const out: (VariableInfo | undefined)[] = nodes.map(() => undefined);
    present.forEach(({ i }, k) => {
      const unit = unitOf(meta[2 * k]);
      const range = rangeOf(meta[2 * k + 1]);
      const description = textOf(descriptions[k]);
      out[i] = { value: plainValue(values[k]), dataType: dataTypeName(types[k]), ...(description ? { description } : {}), ...(unit !== undefined ? { unit } : {}), ...(range ? { range } : {}) };
    });
    return out;
  }

  /** Reads the values of nodes that may be missing (missing → undefined). */
  async readOptional(nodes: readonly (NodeId | undefined)[]): Promise<(DataValue | undefined)[]> {
    const present = nodes.filter((n): n is NodeId => n !== undefined);
    const values = await this.t.read(present);
    let k = 0;
    return nodes.map((n) => (n ? values[k++] : undefined));
  }

  /** Browse names of the state nodes listed in an AvailableStates value. */
  private async stateNames(dv: DataValue | undefined): Promise<string[]> {
    const ids = dv?.value.value as unknown;
    if (!Array.isArray(ids) || ids.length === 0) return [];
    const names = await this.t.readAttribute(ids as NodeId[], AttributeIds.BrowseName);
    return names.map((n) => textOf(n) ?? '').filter(Boolean);
  }
}

function parameter(name: string, info: VariableInfo | undefined): LadsParameter {
  return {
    name,
    dataType: info?.dataType ?? 'String',
    ...(info?.unit ? { unit: info.unit } : {}),
    ...(info?.range ? { range: info.range } : {}),
    ...(info && info.value !== null ? { default: info.value } : {}),
    ...(info?.description ? { description: info.description } : {}),
  };
}

function dropEmpty<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;
}

