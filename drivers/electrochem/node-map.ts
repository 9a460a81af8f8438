import { z } from 'zod';
import { echemResultSchema, type FailureCode, type TechniqueRun } from '../../src/domain/index.ts';

/**
 * Wire contract of the electrochemical station over OPC UA, shared by the driver (PotentiostatOpcuaBackend) and the
 * twin (simulators/twins/opcua-station.ts). The model follows LADS (OPC 30500) with the LADS, DI and Machinery
 * nodesets that node-opcua ships (ADR 0021):
 *
 * ```
 * Objects/2:DeviceSet/<L>:<deviceId>                          LADSDeviceType
 *   4:FunctionalUnitSet/<L>:<unit>                            FunctionalUnitType (one per cell)
 *     2:Lock                                                  DI LockingServicesType: InitLock(Context) / ExitLock / RenewLock / BreakLock
 *     4:FunctionalUnitState                                   FunctionalUnitStateMachineType
 *       CurrentState                                          Stopped | Running | Aborted
 *       4:StartProgram(ProgramTemplateId, Properties KeyValueType[], SupervisoryJobId, SupervisoryTaskId, Samples) → DeviceProgramRunId
 *       4:Stop() · 4:Abort()
 *     4:ProgramManager
 *       4:ProgramTemplateSet/<L>:<technique>                  ProgramTemplateType
 *       4:ActiveProgram                                       DeviceProgramRunId, CurrentStepName, CurrentRuntime, EstimatedRuntime (ms)
 *       4:ResultSet (NodeVersion bumps on every new result)
 *         <L>:<runId>                                         ResultType: SupervisoryJobId (= commandId), Started, Stopped, Properties
 *           4:VariableSet/<L>:EchemResult                     String: the EchemResult as JSON (sdl.result.echem.v1)
 * ```
 * `<L>` is the labloop namespace; `2`/`4` stand for the DI and LADS namespaces (indexes are resolved at run time from
 * the namespace URIs below). One server may host several stations; each station has one functional unit per cell.
 */
export const NAMESPACES = {
  UA: 'http://opcfoundation.org/UA/',
  DI: 'http://opcfoundation.org/UA/DI/',
  LADS: 'http://opcfoundation.org/UA/LADS/',
  LABLOOP: 'urn:labloop:echem-station',
} as const;
export type NamespaceKey = keyof typeof NAMESPACES;

/** One browse-path segment: namespace + name. */
export type Segment = readonly [NamespaceKey, string];

export const BROWSE = {
  deviceSet: ['DI', 'DeviceSet'],
  functionalUnitSet: ['LADS', 'FunctionalUnitSet'],
  lock: ['DI', 'Lock'],
  initLock: ['DI', 'InitLock'],
  exitLock: ['DI', 'ExitLock'],
  renewLock: ['DI', 'RenewLock'],
  breakLock: ['DI', 'BreakLock'],
  locked: ['DI', 'Locked'],
  lockingClient: ['DI', 'LockingClient'],
  functionalUnitState: ['LADS', 'FunctionalUnitState'],
  currentState: ['UA', 'CurrentState'],
  startProgram: ['LADS', 'StartProgram'],
  stop: ['LADS', 'Stop'],
  abort: ['LADS', 'Abort'],
  programManager: ['LADS', 'ProgramManager'],
  programTemplateSet: ['LADS', 'ProgramTemplateSet'],
  activeProgram: ['LADS', 'ActiveProgram'],
  deviceProgramRunId: ['LADS', 'DeviceProgramRunId'],
  currentStepName: ['LADS', 'CurrentStepName'],
  currentRuntime: ['LADS', 'CurrentRuntime'],
  estimatedRuntime: ['LADS', 'EstimatedRuntime'],
  resultSet: ['LADS', 'ResultSet'],
  nodeVersion: ['UA', 'NodeVersion'],
  supervisoryJobId: ['LADS', 'SupervisoryJobId'],
  variableSet: ['LADS', 'VariableSet'],
  echemResult: ['LABLOOP', 'EchemResult'],
} as const satisfies Record<string, Segment>;

/** Paths relative to a functional unit. */
export const UNIT_PATHS = {
  initLock: [BROWSE.lock, BROWSE.initLock],
  exitLock: [BROWSE.lock, BROWSE.exitLock],
  renewLock: [BROWSE.lock, BROWSE.renewLock],
  breakLock: [BROWSE.lock, BROWSE.breakLock],
  lock: [BROWSE.lock],
  locked: [BROWSE.lock, BROWSE.locked],
  lockingClient: [BROWSE.lock, BROWSE.lockingClient],
  state: [BROWSE.functionalUnitState],
  currentState: [BROWSE.functionalUnitState, BROWSE.currentState],
  startProgram: [BROWSE.functionalUnitState, BROWSE.startProgram],
  stop: [BROWSE.functionalUnitState, BROWSE.stop],
  abort: [BROWSE.functionalUnitState, BROWSE.abort],
  activeRunId: [BROWSE.programManager, BROWSE.activeProgram, BROWSE.deviceProgramRunId],
  activeStep: [BROWSE.programManager, BROWSE.activeProgram, BROWSE.currentStepName],
  resultSet: [BROWSE.programManager, BROWSE.resultSet],
  resultSetVersion: [BROWSE.programManager, BROWSE.resultSet, BROWSE.nodeVersion],
} as const satisfies Record<string, readonly Segment[]>;

/** Path from a functional unit to one result's variables. */
export const resultPath = (runId: string, leaf: 'echemResult' | 'supervisoryJobId'): Segment[] => [
  BROWSE.programManager,
  BROWSE.resultSet,
  ['LABLOOP', runId],
  ...(leaf === 'echemResult' ? [BROWSE.variableSet, BROWSE.echemResult] : [BROWSE.supervisoryJobId]),
];

/** Path from the Objects folder to a station's functional unit. */
export const unitPath = (deviceId: string, unit: string): Segment[] => [BROWSE.deviceSet, ['LABLOOP', deviceId], BROWSE.functionalUnitSet, ['LABLOOP', unit]];

/** Numeric ids of LADS data types used in StartProgram (namespace LADS), and of their Default Binary encodings. */
export const LADS_DATATYPES = { KeyValueType: 3003, SampleInfoType: 3002 } as const;
export const LADS_BINARY_ENCODINGS = { KeyValueType: 5045, SampleInfoType: 5042 } as const;

/** Values of FunctionalUnitState/CurrentState. */
export const UNIT_STATES = { stopped: 'Stopped', running: 'Running', aborted: 'Aborted' } as const;

/** Results of the DI locking methods (Int32). */
export const LOCK_STATUS = { ok: 0, alreadyLocked: -1, notLocked: -1, invalid: -2 } as const;

/**
 * StartProgram Properties: one KeyValueType per technique parameter (key = parameter name, value = JSON number)
 * and per sample meta-data entry (key = `sample.<name>`, value = JSON string or number).
 */
export interface KeyValue {
  key: string;
  value: string;
}
const SAMPLE_PREFIX = 'sample.';

export function encodeProperties(run: Pick<TechniqueRun, 'params' | 'sample'>): KeyValue[] {
  return [
    ...Object.entries(run.params).map(([key, v]) => ({ key, value: JSON.stringify(v) })),
    ...Object.entries(run.sample).map(([key, v]) => ({ key: SAMPLE_PREFIX + key, value: JSON.stringify(v) })),
  ];
}

const jsonNumber = z.string().transform((s, ctx) => {
  const v: unknown = JSON.parse(s);
  if (typeof v !== 'number') ctx.addIssue({ code: 'custom', message: 'not a JSON number' });
  return v as number;
});

/** Inverse of `encodeProperties`; throws on a malformed property (the twin answers BadInvalidArgument). */
export function decodeProperties(props: readonly KeyValue[]): Pick<TechniqueRun, 'params' | 'sample'> {
  const params: Record<string, number> = {};
  const sample: Record<string, string | number> = {};
  for (const p of props) {
    if (p.key.startsWith(SAMPLE_PREFIX)) {
      const v: unknown = JSON.parse(p.value);
      if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`sample property ${p.key} must be a string or a number`);
      sample[p.key.slice(SAMPLE_PREFIX.length)] = v;
    } else params[p.key] = jsonNumber.parse(p.value);
  }
  return { params, sample };
}

/** Parses the EchemResult JSON of a result node (zod at the wire boundary). */
export function parseResultJson(text: string): z.infer<typeof echemResultSchema> {
  return echemResultSchema.parse(JSON.parse(text));
}

/** OPC UA status code names the twin answers with, and the failure codes the driver maps them to. */
export const STATUS_TO_FAILURE: Readonly<Record<string, FailureCode>> = {
  BadInvalidState: 'BAD_INVALID_STATE',
  BadUserAccessDenied: 'ACCESS_DENIED',
  BadOutOfRange: 'PARAMETER_OUT_OF_LIMITS',
  BadInvalidArgument: 'PARAMETER_OUT_OF_LIMITS',
  BadLocked: 'LOCK_HELD',
  BadSessionIdInvalid: 'SESSION_TIMEOUT',
  BadSessionClosed: 'SESSION_TIMEOUT',
  BadCertificateUntrusted: 'UNTRUSTED_CERTIFICATE',
  BadSecurityChecksFailed: 'UNTRUSTED_CERTIFICATE',
  BadIdentityTokenRejected: 'ACCESS_DENIED',
  BadIdentityTokenInvalid: 'ACCESS_DENIED',
};
