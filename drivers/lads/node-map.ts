import type { FailureCode } from '../../src/domain/index.ts';

/**
 * The parts of OPC 30500 (LADS), OPC 10000-100 (DI) and OPC 10000-5 (UA) a generic LADS client relies on: namespace
 * URIs, the normative numeric ids of the types it recognises, standard browse names, state names and the limits both
 * sides apply to method arguments. Nothing here belongs to one vendor: instance names (devices, units, functions,
 * templates, results) are discovered by type definition, never assumed. Shared by the client (drivers/lads) and the
 * servers that speak LADS (the station twin, test servers).
 */
export const LADS_NAMESPACES = {
  UA: 'http://opcfoundation.org/UA/',
  DI: 'http://opcfoundation.org/UA/DI/',
  MACHINERY: 'http://opcfoundation.org/UA/Machinery/',
  LADS: 'http://opcfoundation.org/UA/LADS/',
} as const;
export type LadsNamespaceKey = keyof typeof LADS_NAMESPACES;

/** Object and variable types (numeric ids are normative in each companion specification's nodeset). */
export const LADS_TYPES = {
  LADSDeviceType: 1002,
  FunctionalUnitType: 1003,
  FunctionType: 1004,
  BaseSensorFunctionType: 1005,
  BaseControlFunctionType: 1007,
  ProgramTemplateType: 1018,
  ResultType: 1021,
  ResultFileType: 1001,
  VariableSetType: 1041,
  SupportedPropertyType: 1035,
  FunctionalUnitStateMachineType: 1043,
  LADSDeviceStateMachineType: 1039,
  RunningStateMachineType: 1036,
} as const;
export const UA_TYPES = { FileType: 11575, AnalogItemType: 2368, AnalogUnitType: 17497, AnalogUnitRangeType: 17570, FolderType: 61, ObjectsFolder: 85 } as const;

/** Default Binary encodings of StartProgram's argument structures (LADS namespace). */
export const LADS_BINARY_ENCODINGS = { KeyValueType: 5045, SampleInfoType: 5042 } as const;

/** Standard browse names: [namespace, name]. */
export const NAME = {
  deviceSet: ['DI', 'DeviceSet'],
  functionalUnitSet: ['LADS', 'FunctionalUnitSet'],
  functionSet: ['LADS', 'FunctionSet'],
  deviceState: ['LADS', 'DeviceState'],
  functionalUnitState: ['LADS', 'FunctionalUnitState'],
  runningStateMachine: ['LADS', 'RunningStateMachine'],
  controlFunctionState: ['LADS', 'ControlFunctionState'],
  currentState: ['UA', 'CurrentState'],
  availableStates: ['UA', 'AvailableStates'],
  startProgram: ['LADS', 'StartProgram'],
  stop: ['LADS', 'Stop'],
  abort: ['LADS', 'Abort'],
  clear: ['LADS', 'Clear'],
  lock: ['DI', 'Lock'],
  initLock: ['DI', 'InitLock'],
  exitLock: ['DI', 'ExitLock'],
  renewLock: ['DI', 'RenewLock'],
  breakLock: ['DI', 'BreakLock'],
  locked: ['DI', 'Locked'],
  lockingClient: ['DI', 'LockingClient'],
  programManager: ['LADS', 'ProgramManager'],
  programTemplateSet: ['LADS', 'ProgramTemplateSet'],
  activeProgram: ['LADS', 'ActiveProgram'],
  resultSet: ['LADS', 'ResultSet'],
  supportedPropertiesSet: ['LADS', 'SupportedPropertiesSet'],
  nodeVersion: ['UA', 'NodeVersion'],
  sensorValue: ['LADS', 'SensorValue'],
  currentValue: ['LADS', 'CurrentValue'],
  targetValue: ['LADS', 'TargetValue'],
  engineeringUnits: ['UA', 'EngineeringUnits'],
  euRange: ['UA', 'EURange'],
  deviceProgramRunId: ['LADS', 'DeviceProgramRunId'],
  currentStepName: ['LADS', 'CurrentStepName'],
  currentRuntime: ['LADS', 'CurrentRuntime'],
  estimatedRuntime: ['LADS', 'EstimatedRuntime'],
  supervisoryJobId: ['LADS', 'SupervisoryJobId'],
  supervisoryTaskId: ['LADS', 'SupervisoryTaskId'],
  started: ['LADS', 'Started'],
  stopped: ['LADS', 'Stopped'],
  variableSet: ['LADS', 'VariableSet'],
  fileSet: ['LADS', 'FileSet'],
  file: ['LADS', 'File'],
  mimeType: ['LADS', 'MimeType'],
  fileName: ['LADS', 'Name'],
  url: ['LADS', 'URL'],
  description: ['LADS', 'Description'],
  deviceTemplateId: ['LADS', 'DeviceTemplateId'],
  author: ['LADS', 'Author'],
  version: ['LADS', 'Version'],
  created: ['LADS', 'Created'],
  modified: ['LADS', 'Modified'],
  manufacturer: ['DI', 'Manufacturer'],
  model: ['DI', 'Model'],
  serialNumber: ['DI', 'SerialNumber'],
  softwareRevision: ['DI', 'SoftwareRevision'],
  fileOpen: ['UA', 'Open'],
  fileRead: ['UA', 'Read'],
  fileClose: ['UA', 'Close'],
  fileSize: ['UA', 'Size'],
} as const satisfies Record<string, readonly [LadsNamespaceKey, string]>;
export type StandardName = keyof typeof NAME;

/** States of FunctionalStateMachineType (the unit) — only `Stopped` accepts StartProgram. */
export const FUNCTIONAL_STATES = ['Stopped', 'Running', 'Stopping', 'Aborting', 'Aborted', 'Clearing'] as const;
export type FunctionalState = (typeof FUNCTIONAL_STATES)[number];
/** Sub-states of Running (RunningStateMachineType, optional on a server). */
export const RUNNING_STATES = ['Idle', 'Starting', 'Execute', 'Completing', 'Complete', 'Resetting', 'Holding', 'Held', 'Unholding', 'Suspending', 'Suspended', 'Unsuspending'] as const;
export type RunningState = (typeof RUNNING_STATES)[number];
/** States of LADSDeviceStateMachineType (the device) — programs run only in `Operate`. */
export const DEVICE_STATES = ['Initialization', 'Operate', 'Sleep', 'Shutdown'] as const;
export type LadsDeviceState = (typeof DEVICE_STATES)[number];

/** What a unit's states mean for a client that wants to start a program. */
export type UnitReadiness =
  | { ready: true; needsClear: boolean }
  | { ready: false; reason: string; busy: boolean };

/**
 * Readiness of a functional unit from its state machines, exactly as LADS defines them: only `Stopped` accepts
 * StartProgram; `Aborted` does after `Clear` (Aborted → Clearing → Stopped); Running (any sub-state, Held and
 * Suspended included), Stopping, Aborting and Clearing are busy; a device outside `Operate` runs nothing. Unknown state
 * names (a server's own) are not ready.
 */
export function unitReadiness(unitState: string, deviceState?: string, runningState?: string): UnitReadiness {
  if (deviceState !== undefined && deviceState !== '' && deviceState !== 'Operate') return { ready: false, reason: `device is in ${deviceState}, not Operate`, busy: false };
  switch (unitState) {
    case 'Stopped':
      return { ready: true, needsClear: false };
    case 'Aborted':
      return { ready: true, needsClear: true };
    case 'Running':
      return { ready: false, reason: runningState ? `running (${runningState})` : 'running', busy: true };
    case 'Stopping':
    case 'Aborting':
    case 'Clearing':
      return { ready: false, reason: unitState.toLowerCase(), busy: true };
    default:
      return { ready: false, reason: unitState === '' ? 'unit state unknown' : `unit state ${unitState} is not a LADS state`, busy: false };
  }
}

/** True while a run is still in progress on the unit (its result may not be final yet). */
export const isBusyState = (unitState: string): boolean => unitState === 'Running' || unitState === 'Stopping' || unitState === 'Aborting' || unitState === 'Clearing';

/** Results of the DI locking methods (Int32). */
export const LOCK_STATUS = { ok: 0, alreadyLocked: -1, notLocked: -1, invalid: -2 } as const;

/**
 * Size limits of method arguments, applied by the client before it calls and by our servers before they act (a
 * longer or larger argument answers BadOutOfRange / BadTooManyArguments and changes nothing).
 */
export const ARGUMENT_LIMITS = {
  templateId: 128,
  jobId: 128,
  taskId: 128,
  lockContext: 256,
  properties: 64,
  propertyKey: 64,
  propertyValue: 1024,
  samples: 16,
  sampleField: 256,
  /** Total encoded size of one StartProgram request's arguments, bytes. */
  startProgramBytes: 64 * 1024,
} as const;

/**
 * Transport limits our servers negotiate (OPC UA Hello/Acknowledge): 1 MiB per message in at most 64 chunks. Far
 * above any legitimate call, small enough that a hostile client cannot make a server buffer much.
 */
export const TRANSPORT_LIMITS = { maxMessageSize: 1024 * 1024, maxChunkCount: 64 } as const;

/** OPC UA status code names and the failure codes the drivers map them to. */
export const STATUS_TO_FAILURE: Readonly<Record<string, FailureCode>> = {
  BadInvalidState: 'BAD_INVALID_STATE',
  BadUserAccessDenied: 'ACCESS_DENIED',
  BadOutOfRange: 'PARAMETER_OUT_OF_LIMITS',
  BadInvalidArgument: 'PARAMETER_OUT_OF_LIMITS',
  BadTooManyArguments: 'PARAMETER_OUT_OF_LIMITS',
  BadTypeMismatch: 'PARAMETER_OUT_OF_LIMITS',
  BadArgumentsMissing: 'PARAMETER_OUT_OF_LIMITS',
  BadLocked: 'LOCK_HELD',
  BadSessionIdInvalid: 'SESSION_TIMEOUT',
  BadSessionClosed: 'SESSION_TIMEOUT',
  BadCertificateUntrusted: 'UNTRUSTED_CERTIFICATE',
  BadSecurityChecksFailed: 'UNTRUSTED_CERTIFICATE',
  BadIdentityTokenRejected: 'ACCESS_DENIED',
  BadIdentityTokenInvalid: 'ACCESS_DENIED',
  BadUserSignatureInvalid: 'ACCESS_DENIED',
};

/** Status codes that mean "this server does not implement that method" (locking is then skipped, with a warning). */
export const NOT_IMPLEMENTED = new Set(['BadNotImplemented', 'BadMethodInvalid', 'BadNotSupported', 'BadServiceUnsupported', 'BadNodeIdUnknown']);
