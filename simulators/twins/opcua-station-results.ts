import { stringify } from 'csv-stringify/sync';
import { DataType, VariantArrayType, coerceLocalizedText, type BaseNode, type ExtensionObject, type Namespace, type UAObject, type UAVariable } from 'node-opcua';
import type { Curve, EchemResult } from '../../src/domain/index.ts';
import { CONDITION_VARIABLES, LABLOOP_NAMESPACE, RESULT_NAMES, arrayUnit, segmentName } from '../../drivers/electrochem/node-map.ts';
import type { CoreRun } from '../echem/station-core.ts';
import { addMeasuredVariable, addPlainVariable, buildOnFirstLook, putValue } from './lads-address-space.ts';
import { ReadOnlyFileNode } from './opcua-file.ts';

/** What StartProgram received for a run (echoed into its result). */
export interface RunInput {
  properties: ExtensionObject[];
  samples: ExtensionObject[];
  taskId: string;
  user: string;
  /** Wall-clock start of the run. */
  started: Date;
}

/** A template's identity, copied into each result's ProgramTemplate. */
export interface TemplateInfo {
  created: Date;
}

/**
 * A station unit's ResultSet: one ResultType per finished run (created before the unit leaves Running), with
 * SupervisoryJobId/TaskId, DeviceProgramRunId, Started/Stopped (wall clock), Properties, Samples, its ProgramTemplate,
 * a typed VariableSet (status, failure, instrument flags, conditions, one object per measured segment with its arrays
 * and parameters, plus the whole result as labloop JSON) and a FileSet (the curves as one CSV file). The newest
 * `retain` results are kept; older nodes are deleted. The VariableSet's typed members (all but the JSON) and the
 * FileSet's file are built on the first Browse or TranslateBrowsePath that reaches them (`buildOnFirstLook`). Result
 * data are plain Double variables with an EngineeringUnits property (an AnalogItemType per array would cost several
 * times more to create, for every run).
 */
export class StationResults {
  private readonly results: { runId: string; node: BaseNode; files: ReadOnlyFileNode[] }[] = [];

  constructor(
    private readonly namespace: Namespace,
    private readonly nsLads: number,
    private readonly resultSet: UAObject,
    private readonly retain: number,
    private readonly template: TemplateInfo,
  ) {}

  has(runId: string): boolean {
    return this.results.some((r) => r.runId === runId);
  }

  releaseSession(sessionId: string): void {
    for (const r of this.results) for (const f of r.files) f.releaseSession(sessionId);
  }

  add(run: CoreRun, input: RunInput | undefined): void {
    const result = run.result;
    if (!result || this.has(run.runId)) return;
    const as = this.namespace.addressSpace;
    const type = as.findObjectType('ResultType', this.nsLads);
    if (!type) return;
    const ns = this.namespace;
    const node = type.instantiate({
      browseName: { name: run.runId, namespaceIndex: ns.index },
      componentOf: this.resultSet,
      optionals: ['DeviceProgramRunId', 'TotalRuntime', 'EstimatedRuntime'],
      namespace: ns,
    }) as UAObject;
    const put = (name: string, dataType: DataType, value: unknown, array = false): void => {
      const v = node.getChildByName(name, this.nsLads) as UAVariable | null;
      v?.setValueFromSource({ dataType, value, ...(array ? { arrayType: VariantArrayType.Array } : {}) });
    };
    const stopped = new Date();
    put('SupervisoryJobId', DataType.String, run.commandId);
    put('SupervisoryTaskId', DataType.String, input?.taskId ?? '');
    put('DeviceProgramRunId', DataType.String, run.runId);
    put('Started', DataType.DateTime, input?.started ?? stopped);
    put('Stopped', DataType.DateTime, stopped);
    put('TotalRuntime', DataType.Double, result.duration_s * 1000);
    put('EstimatedRuntime', DataType.Double, run.estimatedDuration_s * 1000);
    put('User', DataType.String, input?.user ?? '');
    put('ApplicationUri', DataType.String, LABLOOP_NAMESPACE);
    put('Description', DataType.LocalizedText, coerceLocalizedText(`${run.run.technique} ${result.status}`));
    put('Properties', DataType.ExtensionObject, input?.properties ?? [], true);
    put('Samples', DataType.ExtensionObject, input?.samples ?? [], true);
    const template = node.getComponentByName('ProgramTemplate', this.nsLads);
    if (template) {
      putValue(template, 'DeviceTemplateId', this.nsLads, DataType.String, run.run.technique);
      putValue(template, 'Author', this.nsLads, DataType.String, 'labloop');
      putValue(template, 'Version', this.nsLads, DataType.String, '1');
      putValue(template, 'Created', this.nsLads, DataType.DateTime, this.template.created);
      putValue(template, 'Modified', this.nsLads, DataType.DateTime, this.template.created);
      putValue(template, 'Description', this.nsLads, DataType.LocalizedText, coerceLocalizedText(run.run.technique));
    }
    // The whole result as labloop JSON is there at once (labloop's driver reads only that); the typed variables and
    // the CSV file are built when a client first browses the VariableSet or FileSet (most results are never browsed).
    const variableSet = node.getComponentByName('VariableSet', this.nsLads) as UAObject;
    addPlainVariable(ns, variableSet, RESULT_NAMES.json, 'String', JSON.stringify(result), { description: 'the whole result as labloop JSON (sdl.result.echem.v1)' });
    buildOnFirstLook(variableSet, () => this.addVariables(variableSet, result));
    const entry = { runId: run.runId, node, files: [] as ReadOnlyFileNode[] };
    const fileSet = node.getComponentByName('FileSet', this.nsLads) as UAObject;
    buildOnFirstLook(fileSet, () => entry.files.push(...this.addFiles(fileSet, result)));
    this.results.push(entry);
    while (this.results.length > this.retain) {
      const old = this.results.shift();
      if (old) as.deleteNode(old.node);
    }
    // node-opcua bumps ResultSet.NodeVersion itself when a child is added or deleted (clients subscribe to it).
  }

  /** The VariableSet after the JSON variable: status, failure, flags, duration, conditions, one object per segment. */
  private addVariables(set: UAObject, r: EchemResult): void {
    const ns = this.namespace;
    addPlainVariable(ns, set, RESULT_NAMES.status, 'String', r.status, { description: 'succeeded | failed | cancelled' });
    addPlainVariable(ns, set, RESULT_NAMES.failureCode, 'String', r.failure?.code ?? '', { description: 'labloop failure code (empty when the run succeeded)' });
    addPlainVariable(ns, set, RESULT_NAMES.failureMessage, 'String', r.failure?.message ?? '');
    addPlainVariable(ns, set, RESULT_NAMES.instrumentFlags, 'String', r.instrumentFlags, { array: true, description: 'flags raised by the instrument (overload, truncated, ...)' });
    addMeasuredVariable(ns, set, RESULT_NAMES.duration, 's', r.duration_s);
    const setType = ns.addressSpace.findObjectType('VariableSetType', this.nsLads);
    if (!setType) return;
    const object = (parent: BaseNode, name: string, description: string): UAObject =>
      setType.instantiate({ browseName: { name, namespaceIndex: ns.index }, componentOf: parent, description, namespace: ns }) as UAObject;
    const cond = object(set, RESULT_NAMES.conditions, 'measurement conditions');
    for (const [name, [key, unit]] of Object.entries(CONDITION_VARIABLES)) {
      const v = r.conditions[key];
      if (typeof v === 'string') addPlainVariable(ns, cond, name, 'String', v);
      else if (typeof v === 'number') addMeasuredVariable(ns, cond, name, unit, v);
    }
    r.curves.forEach((curve, k) => this.addSegment(object(set, segmentName(k, curve.technique), `segment ${k + 1}: ${curve.technique}`), object, curve));
  }

  private addSegment(seg: UAObject, object: (parent: BaseNode, name: string, description: string) => UAObject, curve: Curve): void {
    const ns = this.namespace;
    addPlainVariable(ns, seg, RESULT_NAMES.technique, 'String', curve.technique);
    for (const [key, values] of Object.entries(curve.arrays)) addMeasuredVariable(ns, seg, key, arrayUnit(key), values);
    const params = object(seg, RESULT_NAMES.segmentParameters, 'what the segment used (units in the names)');
    for (const [key, v] of Object.entries(curve.params)) addMeasuredVariable(ns, params, key, '', v);
  }

  private addFiles(fileSet: UAObject, r: EchemResult): ReadOnlyFileNode[] {
    const type = this.namespace.addressSpace.findObjectType('ResultFileType', this.nsLads);
    if (!type) return [];
    const add = (name: string, mimeType: string, content: () => Buffer): ReadOnlyFileNode => {
      const f = type.instantiate({ browseName: { name, namespaceIndex: this.namespace.index }, componentOf: fileSet, optionals: ['File'], namespace: this.namespace }) as UAObject;
      putValue(f, 'Name', this.nsLads, DataType.String, name);
      putValue(f, 'MimeType', this.nsLads, DataType.String, mimeType);
      return new ReadOnlyFileNode(f.getComponentByName('File', this.nsLads) as UAObject, content);
    };
    return r.curves.length > 0 ? [add(RESULT_NAMES.csvFile, 'text/csv', () => Buffer.from(curvesCsv(r.curves), 'utf8'))] : [];
  }
}

/**
 * The curves of a result as one CSV table: a `segment` column (`<n>_<technique>`, as in the VariableSet), then one
 * column per array key of any segment (SI units in the names), one row per point; cells a segment lacks are empty.
 */
export function curvesCsv(curves: readonly Curve[]): string {
  const keys = [...new Set(curves.flatMap((c) => Object.keys(c.arrays)))];
  const rows: (number | string)[][] = [['segment', ...keys]];
  curves.forEach((c, k) => {
    const n = Math.max(0, ...keys.map((key) => c.arrays[key]?.length ?? 0));
    const name = segmentName(k, c.technique);
    for (let i = 0; i < n; i++) rows.push([name, ...keys.map((key) => c.arrays[key]?.[i] ?? '')]);
  });
  return stringify(rows);
}
