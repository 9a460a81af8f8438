import {
  DataType,
  StatusCodes,
  Variant,
  coerceLocalizedText,
  type AddressSpace,
  type BaseNode,
  type CallMethodResultOptions,
  type ExtensionObject,
  type INamespace,
  type ISessionContext,
  type UAMethod,
  type UAObject,
  type UAVariable,
} from 'node-opcua';
import { DeviceError, TECHNIQUES, techniqueSchema, type Clock, type Logger, type TechniqueRun } from '../../src/domain/index.ts';
import { LOCK_STATUS, NAMESPACES, UNIT_STATES, decodeProperties, type KeyValue } from '../../drivers/electrochem/node-map.ts';
import type { CoreRun, EchemStationCore, StationEvent } from '../echem/station-core.ts';

export type Role = 'observer' | 'operator';

/** What a functional unit needs from its server. */
export interface UnitContext {
  addressSpace: AddressSpace;
  namespace: INamespace;
  clock: Clock;
  logger: Logger;
  /** Role of the caller (undefined: not allowed at all). */
  roleOf(context: ISessionContext): Role | undefined;
  retainResults: number;
}

const sessionIdOf = (context: ISessionContext): string => context.session?.getSessionId().toString() ?? 'local';

/**
 * One LADS functional unit (a cell of a station) in the twin's address space, driven by a transport-free
 * EchemStationCore: StartProgram/Stop/Abort, the DI lock, CurrentState, ActiveProgram and the ResultSet.
 */
export class OpcuaStationUnit {
  private readonly ns: number;
  private readonly nsLads: number;
  private readonly nsDi: number;
  private readonly nsUa = 0;
  private node!: UAObject;
  private currentState!: UAVariable;
  private resultSet!: UAObject;
  private resultSetVersion: UAVariable | null = null;
  private active: { runId: UAVariable | null; step: UAVariable | null; runtime: UAVariable | null; estimated: UAVariable | null } = {
    runId: null,
    step: null,
    runtime: null,
    estimated: null,
  };
  private lockVars: { locked: UAVariable | null; client: UAVariable | null; user: UAVariable | null } = { locked: null, client: null, user: null };
  private lockOwner: string | undefined;
  private readonly results: { runId: string; node: BaseNode }[] = [];
  private readonly inputs = new Map<string, { properties: ExtensionObject[]; samples: ExtensionObject[]; taskId: string; user: string }>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: UnitContext,
    readonly deviceId: string,
    readonly unit: string,
    readonly core: EchemStationCore,
  ) {
    const as = ctx.addressSpace;
    this.ns = ctx.namespace.index;
    this.nsLads = as.getNamespaceIndex(NAMESPACES.LADS);
    this.nsDi = as.getNamespaceIndex(NAMESPACES.DI);
  }

  /** Instantiates the unit under a device's FunctionalUnitSet and binds its methods. */
  build(functionalUnitSet: UAObject): void {
    const as = this.ctx.addressSpace;
    const type = as.findObjectType('FunctionalUnitType', this.nsLads);
    if (!type) throw new Error('LADS FunctionalUnitType not loaded');
    this.node = type.instantiate({
      browseName: { name: this.unit, namespaceIndex: this.ns },
      componentOf: functionalUnitSet,
      optionals: [
        'FunctionalUnitState.StartProgram',
        'FunctionalUnitState.Stop',
        'FunctionalUnitState.Abort',
        'ProgramManager',
        'ProgramManager.ActiveProgram.DeviceProgramRunId',
        'ProgramManager.ActiveProgram.CurrentStepName',
        'ProgramManager.ActiveProgram.CurrentRuntime',
        'ProgramManager.ActiveProgram.EstimatedRuntime',
      ],
    }) as UAObject;
    const state = this.child(this.node, 'FunctionalUnitState', this.nsLads) as UAObject;
    this.currentState = this.child(state, 'CurrentState', this.nsUa) as UAVariable;
    this.setState(UNIT_STATES.stopped);
    this.method(state, 'StartProgram', this.nsLads).bindMethod((args: Variant[], c: ISessionContext) => this.startProgram(args, c));
    this.method(state, 'Stop', this.nsLads).bindMethod((_a: Variant[], c: ISessionContext) => this.abort(c));
    this.method(state, 'Abort', this.nsLads).bindMethod((_a: Variant[], c: ISessionContext) => this.abort(c));

    const pm = this.child(this.node, 'ProgramManager', this.nsLads) as UAObject;
    const ap = this.child(pm, 'ActiveProgram', this.nsLads) as UAObject;
    this.active = {
      runId: ap.getChildByName('DeviceProgramRunId', this.nsLads) as UAVariable | null,
      step: ap.getChildByName('CurrentStepName', this.nsLads) as UAVariable | null,
      runtime: ap.getChildByName('CurrentRuntime', this.nsLads) as UAVariable | null,
      estimated: ap.getChildByName('EstimatedRuntime', this.nsLads) as UAVariable | null,
    };
    this.active.runtime?.bindVariable(
      {
        get: () => {
          const run = this.core.activeRun;
          return new Variant({ dataType: DataType.Double, value: run ? (this.ctx.clock.now() - run.startedAt) * 1000 : 0 });
        },
      },
      true,
    );
    this.writeActive(undefined);
    this.resultSet = this.child(pm, 'ResultSet', this.nsLads) as UAObject;
    this.resultSetVersion = this.resultSet.getPropertyByName('NodeVersion', this.nsUa);
    this.resultSetVersion?.setValueFromSource({ dataType: DataType.String, value: '0' });
    const templates = this.child(pm, 'ProgramTemplateSet', this.nsLads) as UAObject;
    templates.getPropertyByName('NodeVersion', this.nsUa)?.setValueFromSource({ dataType: DataType.String, value: '0' });
    this.buildTemplates(templates);
    this.buildLock(this.child(this.node, 'Lock', this.nsDi) as UAObject);
    this.unsubscribe = this.core.onEvent((e) => this.onStationEvent(e));
  }

  dispose(): void {
    this.unsubscribe?.();
  }

  /** A session went away: its lock goes with it. */
  releaseSession(sessionId: string): void {
    if (this.lockOwner === sessionId) this.setLock(undefined, '', '');
  }

  private child(parent: BaseNode, name: string, ns: number): BaseNode {
    const c = parent.getChildByName(name, ns);
    if (!c) throw new Error(`${parent.browseName.toString()} has no child ${ns}:${name}`);
    return c;
  }

  private method(parent: BaseNode, name: string, ns: number): UAMethod {
    return this.child(parent, name, ns) as UAMethod;
  }

  private setState(text: string): void {
    this.currentState.setValueFromSource({ dataType: DataType.LocalizedText, value: coerceLocalizedText(text) });
  }

  private writeActive(run: CoreRun | undefined): void {
    this.active.runId?.setValueFromSource({ dataType: DataType.String, value: run?.runId ?? '' });
    this.active.step?.setValueFromSource({ dataType: DataType.LocalizedText, value: coerceLocalizedText(run?.step ?? '') });
    this.active.estimated?.setValueFromSource({ dataType: DataType.Double, value: (run?.estimatedDuration_s ?? 0) * 1000 });
  }

  private buildTemplates(set: UAObject): void {
    const type = this.ctx.addressSpace.findObjectType('ProgramTemplateType', this.nsLads);
    if (!type) return;
    for (const technique of TECHNIQUES) {
      const t = type.instantiate({ browseName: { name: technique, namespaceIndex: this.ns }, componentOf: set }) as UAObject;
      const put = (name: string, dataType: DataType, value: unknown): void =>
        (t.getChildByName(name, this.nsLads) as UAVariable | null)?.setValueFromSource({ dataType, value });
      put('DeviceTemplateId', DataType.String, technique);
      put('Author', DataType.String, 'labloop');
      put('Version', DataType.String, '1');
      put('Description', DataType.LocalizedText, coerceLocalizedText(technique === 'OER_Screen_v1' ? 'OCP → CV → PEIS → LSV (→ CP)' : technique));
    }
  }

  private buildLock(lock: UAObject): void {
    this.lockVars = {
      locked: lock.getChildByName('Locked', this.nsDi) as UAVariable | null,
      client: lock.getChildByName('LockingClient', this.nsDi) as UAVariable | null,
      user: lock.getChildByName('LockingUser', this.nsDi) as UAVariable | null,
    };
    const remaining = lock.getChildByName('RemainingLockTime', this.nsDi) as UAVariable | null;
    remaining?.setValueFromSource({ dataType: DataType.Double, value: 0 });
    this.setLock(undefined, '', '');
    const status = (value: number): CallMethodResultOptions => ({ statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.Int32, value }] });
    this.method(lock, 'InitLock', this.nsDi).bindMethod(async (args: Variant[], c: ISessionContext) => {
      if (this.ctx.roleOf(c) !== 'operator') return { statusCode: StatusCodes.BadUserAccessDenied };
      const me = sessionIdOf(c);
      if (this.lockOwner !== undefined && this.lockOwner !== me) return status(LOCK_STATUS.alreadyLocked);
      this.setLock(me, String(args[0]?.value ?? ''), c.getUserName() ?? '');
      return status(LOCK_STATUS.ok);
    });
    this.method(lock, 'ExitLock', this.nsDi).bindMethod(async (_a: Variant[], c: ISessionContext) => {
      if (this.lockOwner !== sessionIdOf(c)) return status(LOCK_STATUS.notLocked);
      this.setLock(undefined, '', '');
      return status(LOCK_STATUS.ok);
    });
    this.method(lock, 'RenewLock', this.nsDi).bindMethod(async (_a: Variant[], c: ISessionContext) =>
      status(this.lockOwner === sessionIdOf(c) ? LOCK_STATUS.ok : LOCK_STATUS.notLocked),
    );
    this.method(lock, 'BreakLock', this.nsDi).bindMethod(async (_a: Variant[], c: ISessionContext) => {
      if (this.ctx.roleOf(c) !== 'operator') return { statusCode: StatusCodes.BadUserAccessDenied };
      if (this.lockOwner === undefined) return status(LOCK_STATUS.notLocked);
      this.setLock(undefined, '', '');
      return status(LOCK_STATUS.ok);
    });
  }

  private setLock(owner: string | undefined, client: string, user: string): void {
    this.lockOwner = owner;
    this.lockVars.locked?.setValueFromSource({ dataType: DataType.Boolean, value: owner !== undefined });
    this.lockVars.client?.setValueFromSource({ dataType: DataType.String, value: client });
    this.lockVars.user?.setValueFromSource({ dataType: DataType.String, value: user });
  }

  /** Checks role and lock for a state-changing call; returns a refusal or undefined. */
  private refuse(c: ISessionContext): CallMethodResultOptions | undefined {
    if (this.ctx.roleOf(c) !== 'operator') return { statusCode: StatusCodes.BadUserAccessDenied };
    if (this.lockOwner !== undefined && this.lockOwner !== sessionIdOf(c)) return { statusCode: StatusCodes.BadLocked };
    return undefined;
  }

  private async startProgram(args: Variant[], c: ISessionContext): Promise<CallMethodResultOptions> {
    const refusal = this.refuse(c);
    if (refusal) return refusal;
    const template = techniqueSchema.safeParse(args[0]?.value);
    const jobId = args[2]?.value;
    if (!template.success || typeof jobId !== 'string' || jobId.length === 0) return { statusCode: StatusCodes.BadInvalidArgument };
    const properties = (Array.isArray(args[1]?.value) ? args[1].value : []) as ExtensionObject[];
    let decoded: Pick<TechniqueRun, 'params' | 'sample'>;
    try {
      decoded = decodeProperties(properties.map((p) => toKeyValue(p)));
    } catch {
      return { statusCode: StatusCodes.BadInvalidArgument };
    }
    const run: TechniqueRun = { technique: template.data, cell: this.unit, ...decoded };
    try {
      const record = this.core.start(run, jobId);
      if (!this.inputs.has(record.runId))
        this.inputs.set(record.runId, {
          properties,
          samples: (Array.isArray(args[4]?.value) ? args[4].value : []) as ExtensionObject[],
          taskId: typeof args[3]?.value === 'string' ? args[3].value : '',
          user: c.getUserName() ?? '',
        });
      if (record.result) this.addResult(record); // a finished duplicate whose result node was pruned
      return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.String, value: record.runId }] };
    } catch (err) {
      const code = err instanceof DeviceError ? err.failure.code : 'INTERNAL';
      this.ctx.logger.info({ unit: this.unit, code, err: (err as Error).message }, 'StartProgram refused');
      if (code === 'BAD_INVALID_STATE') return { statusCode: StatusCodes.BadInvalidState };
      if (code === 'PARAMETER_OUT_OF_LIMITS') return { statusCode: StatusCodes.BadOutOfRange };
      return { statusCode: StatusCodes.BadInternalError };
    }
  }

  private async abort(c: ISessionContext): Promise<CallMethodResultOptions> {
    const refusal = this.refuse(c);
    if (refusal) return refusal;
    return { statusCode: this.core.abort() ? StatusCodes.Good : StatusCodes.BadInvalidState };
  }

  private onStationEvent(e: StationEvent): void {
    if (e.type === 'started') {
      this.setState(UNIT_STATES.running);
      this.writeActive(e.run);
    } else if (e.type === 'step') {
      this.active.step?.setValueFromSource({ dataType: DataType.LocalizedText, value: coerceLocalizedText(e.run.step) });
    } else {
      // The result exists before the state leaves Running, so a client that sees the state change can read it.
      this.addResult(e.run);
      this.writeActive(undefined);
      this.setState(e.run.status === 'cancelled' ? UNIT_STATES.aborted : UNIT_STATES.stopped);
    }
  }

  private addResult(run: CoreRun): void {
    if (!run.result || this.results.some((r) => r.runId === run.runId)) return;
    const as = this.ctx.addressSpace;
    const type = as.findObjectType('ResultType', this.nsLads);
    if (!type) return;
    const node = type.instantiate({ browseName: { name: run.runId, namespaceIndex: this.ns }, componentOf: this.resultSet, optionals: ['DeviceProgramRunId', 'TotalRuntime'] }) as UAObject;
    const input = this.inputs.get(run.runId);
    const put = (name: string, dataType: DataType, value: unknown, arrayType?: 'Array'): void => {
      const v = node.getChildByName(name, this.nsLads) as UAVariable | null;
      v?.setValueFromSource(arrayType ? ({ dataType, value, arrayType: 1 } as Variant) : { dataType, value });
    };
    put('SupervisoryJobId', DataType.String, run.commandId);
    put('SupervisoryTaskId', DataType.String, input?.taskId ?? '');
    put('DeviceProgramRunId', DataType.String, run.runId);
    put('Started', DataType.DateTime, new Date());
    put('Stopped', DataType.DateTime, new Date());
    put('TotalRuntime', DataType.Double, (run.result.duration_s ?? 0) * 1000);
    put('User', DataType.String, input?.user ?? '');
    put('ApplicationUri', DataType.String, NAMESPACES.LABLOOP);
    put('Description', DataType.LocalizedText, coerceLocalizedText(`${run.run.technique} ${run.status}`));
    if (input?.properties.length) put('Properties', DataType.ExtensionObject, input.properties, 'Array');
    if (input?.samples.length) put('Samples', DataType.ExtensionObject, input.samples, 'Array');
    const variableSet = node.getComponentByName('VariableSet', this.nsLads) as UAObject;
    this.ctx.namespace.addVariable({
      componentOf: variableSet,
      browseName: { name: 'EchemResult', namespaceIndex: this.ns },
      dataType: 'String',
      value: { dataType: DataType.String, value: JSON.stringify(run.result) },
    });
    this.inputs.delete(run.runId);
    this.results.push({ runId: run.runId, node });
    while (this.results.length > this.ctx.retainResults) {
      const old = this.results.shift();
      if (old) as.deleteNode(old.node);
    }
    // node-opcua bumps ResultSet.NodeVersion itself when a child is added or deleted (clients subscribe to it).
  }
}

function toKeyValue(e: ExtensionObject): KeyValue {
  const o = e as unknown as Record<string, unknown>;
  const key = o['key'] ?? o['Key'];
  const value = o['value'] ?? o['Value'];
  if (typeof key !== 'string' || typeof value !== 'string') throw new Error('KeyValueType expected');
  return { key, value };
}
