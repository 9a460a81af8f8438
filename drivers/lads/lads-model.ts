import type { PlainValue } from './lads-values.ts';

/**
 * What the generic LADS client discovers on a server, as plain JSON (`labloop devices inspect --json` prints it).
 * Node ids are strings in the server's own notation (`ns=7;i=1042`); names are browse names.
 */
export interface LadsServerInfo {
  endpointUrl: string;
  /** The LADS namespace index on this server (the client never assumes it). */
  ladsNamespaceIndex: number;
  namespaces: string[];
  devices: LadsDevice[];
}

export interface LadsDevice {
  nodeId: string;
  name: string;
  namespaceUri: string;
  /** Browse name of the type definition (LADSDeviceType or a vendor subtype). */
  type: string;
  identification: Record<string, string>;
  /** DeviceState.CurrentState (Initialization | Operate | Sleep | Shutdown), when the server exposes it. */
  state?: string;
  availableStates: string[];
  units: LadsUnit[];
}

export interface LadsUnit {
  nodeId: string;
  name: string;
  type: string;
  /** FunctionalUnitState.CurrentState. */
  state: string;
  /** RunningStateMachine.CurrentState while Running, when the server exposes it. */
  runningState?: string;
  availableStates: string[];
  ready: boolean;
  /** Why the unit would not accept StartProgram now. */
  notReadyReason?: string;
  methods: { startProgram: boolean; start: boolean; stop: boolean; abort: boolean; clear: boolean };
  lock: { offered: boolean; locked?: boolean; lockingClient?: string };
  functions: LadsFunction[];
  templates: LadsTemplate[];
  /** Keys of the unit's SupportedPropertiesSet (StartProgram Properties it declares). */
  supportedProperties: string[];
  activeProgram?: { runId?: string; step?: string; runtime_ms?: number; estimatedRuntime_ms?: number };
  results: { count: number; latest?: string };
}

export type LadsFunctionKind = 'sensor' | 'controller' | 'function';

export interface LadsFunction {
  nodeId: string;
  name: string;
  type: string;
  kind: LadsFunctionKind;
  enabled?: boolean;
  /** SensorValue (sensors) or CurrentValue (controllers). */
  value?: PlainValue;
  unit?: string;
  range?: [number, number];
  /** Controllers: TargetValue and ControlFunctionState.CurrentState. */
  targetValue?: PlainValue;
  state?: string;
  /** Functions of a nested FunctionSet. */
  functions?: LadsFunction[];
}

export interface LadsParameter {
  name: string;
  dataType: string;
  unit?: string;
  range?: [number, number];
  default?: PlainValue;
  description?: string;
}

export interface LadsTemplate {
  nodeId: string;
  name: string;
  templateId?: string;
  description?: string;
  author?: string;
  version?: string;
  /** From the template's own variable set or, failing that, the unit's SupportedPropertiesSet. */
  parameters: LadsParameter[];
}

/** A value of a result's VariableSet, with its unit when the server declares one. */
export interface LadsResultValue {
  value: PlainValue;
  dataType: string;
  unit?: string;
}
export interface LadsValueTree {
  [name: string]: LadsResultValue | LadsValueTree;
}

export interface LadsResultFile {
  name: string;
  mimeType?: string;
  url?: string;
  size?: number;
  /** Text content (text/*, JSON, CSV) ... */
  text?: string;
  /** ... or base64 for anything else. */
  base64?: string;
  /** Why the content could not be read. */
  error?: string;
}

export interface LadsResult {
  nodeId: string;
  name: string;
  runId?: string;
  jobId?: string;
  taskId?: string;
  started?: string;
  stopped?: string;
  description?: string;
  variables: LadsValueTree;
  files: LadsResultFile[];
}

export const isResultValue = (x: LadsResultValue | LadsValueTree | undefined): x is LadsResultValue =>
  x !== undefined && typeof (x as LadsResultValue).dataType === 'string' && 'value' in x;
