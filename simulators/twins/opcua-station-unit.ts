import {
  DataType,
  StatusCodes,
  Variant,
  coerceLocalizedText,
  type AddressSpace,
  type CallMethodResultOptions,
  type ExtensionObject,
  type Namespace,
  type ISessionContext,
  type StatusCode,
  type UAMethod,
  type UAObject,
  type UAVariable,
} from 'node-opcua';
import { DeviceError, techniqueSchema, type Clock, type Logger, type TechniqueRun } from '../../src/domain/index.ts';
import { ARGUMENT_LIMITS, LADS_NAMESPACES, LOCK_STATUS } from '../../drivers/lads/node-map.ts';
import { decodeProperties, type KeyValue } from '../../drivers/electrochem/node-map.ts';
import type { CoreRun, EchemStationCore, StationEvent } from '../echem/station-core.ts';
import { childOf, stateMachine } from './lads-address-space.ts';
import { StationFunctions } from './opcua-station-functions.ts';
import { StationResults, type RunInput } from './opcua-station-results.ts';
import { buildTemplates } from './opcua-station-templates.ts';

export type Role = 'observer' | 'operator';

/** What a functional unit needs from its server. */
export interface UnitContext {
  addressSpace: AddressSpace;
  namespace: Namespace;
  clock: Clock;
  logger: Logger;
  /** Role of the caller (undefined: not allowed at all). */
  roleOf(context: ISessionContext): Role | undefined;
  retainResults: number;
  /** When the server started (templates' Created/Modified). */
  started: Date;
}

const sessionIdOf = (context: ISessionContext): string => context.session?.getSessionId().toString() ?? 'local';
const refuse = (statusCode: StatusCode): CallMethodResultOptions => ({ statusCode });

/**
 * One LADS functional unit (a cell of a station) in the twin's address space, driven by a transport-free
 * EchemStationCore: the FunctionalUnitState machine exactly as LADS defines it (Stopped → Running → Stopping|Aborting →
 * Stopped|Aborted → Clearing → Stopped, with Execute as the running sub-state), StartProgram/Stop/Abort/Clear with
 * argument limits, the DI lock, FunctionSet, described templates, ActiveProgram and the ResultSet.
 */
export class OpcuaStationUnit {
  private readonly ns: number;
  private readonly nsLads: number;
  private readonly nsDi: number;
  private node!: UAObject;
  private fsm!: ReturnType<typeof stateMachine>;
  private running: ReturnType<typeof stateMachine> | undefined;
  private state = 'Stopped';
  private results!: StationResults;
  private functions!: StationFunctions;
  private active: Partial<Record<'runId' | 'step' | 'runtime' | 'estimated', UAVariable>> = {};
  private lockVars: Partial<Record<'locked' | 'client' | 'user', UAVariable>> = {};
  private lockOwner: string | undefined;
  private readonly inputs = new Map<string, RunInput>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: UnitContext,
    readonly deviceId: string,
    readonly unit: string,
    readonly core: EchemStationCore,
  ) {
    this.ns = ctx.namespace.index;
    this.nsLads = ctx.addressSpace.getNamespaceIndex(LADS_NAMESPACES.LADS);
    this.nsDi = ctx.addressSpace.getNamespaceIndex(LADS_NAMESPACES.DI);
  }

  /** Instantiates the unit under a device's FunctionalUnitSet and binds its methods. */
  build(functionalUnitSet: UAObject): void {
    const type = this.ctx.addressSpace.findObjectType('FunctionalUnitType', this.nsLads);
    if (!type) throw new Error('LADS FunctionalUnitType not loaded');
    this.node = type.instantiate({
      browseName: { name: this.unit, namespaceIndex: this.ns },
      componentOf: functionalUnitSet,
      namespace: this.ctx.namespace,
      optionals: [
        'FunctionalUnitState.StartProgram',
        'FunctionalUnitState.Stop',
        'FunctionalUnitState.Abort',
        'FunctionalUnitState.Clear',
        'FunctionalUnitState.RunningStateMachine',
        'FunctionSet',
        'SupportedPropertiesSet',
        'ProgramManager',
        'ProgramManager.ActiveProgram.DeviceProgramRunId',
        'ProgramManager.ActiveProgram.CurrentStepName',
        'ProgramManager.ActiveProgram.CurrentRuntime',
        'ProgramManager.ActiveProgram.EstimatedRuntime',
      ],
    }) as UAObject;
    const state = childOf(this.node, 'FunctionalUnitState', this.nsLads) as UAObject;
    this.fsm = stateMachine(state);
    this.fsm.setState('Stopped');
    const rsm = state.getComponentByName('RunningStateMachine', this.nsLads) as UAObject | null;
    if (rsm) {
      this.running = stateMachine(rsm);
      this.running.setState(null);
    }
    this.method(state, 'StartProgram', this.nsLads).bindMethod((args: Variant[], c: ISessionContext) => this.startProgram(args, c));
    this.method(state, 'Stop', this.nsLads).bindMethod((_a: Variant[], c: ISessionContext) => this.stop(c, 'Stopping'));
    this.method(state, 'Abort', this.nsLads).bindMethod((_a: Variant[], c: ISessionContext) => this.stop(c, 'Aborting'));
    this.method(state, 'Clear', this.nsLads).bindMethod((_a: Variant[], c: ISessionContext) => this.clear(c));

    this.functions = new StationFunctions(this.ctx.namespace, this.nsLads, this.core);
    this.functions.build(childOf(this.node, 'FunctionSet', this.nsLads) as UAObject);
    const pm = childOf(this.node, 'ProgramManager', this.nsLads) as UAObject;
    const ap = childOf(pm, 'ActiveProgram', this.nsLads) as UAObject;
    const activeVar = (name: string) => (ap.getChildByName(name, this.nsLads) as UAVariable | null) ?? undefined;
    this.active = { runId: activeVar('DeviceProgramRunId'), step: activeVar('CurrentStepName'), runtime: activeVar('CurrentRuntime'), estimated: activeVar('EstimatedRuntime') };
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
    const resultSet = childOf(pm, 'ResultSet', this.nsLads) as UAObject;
    resultSet.getPropertyByName('NodeVersion')?.setValueFromSource({ dataType: DataType.String, value: '0' });
    this.results = new StationResults(this.ctx.namespace, this.nsLads, resultSet, this.ctx.retainResults, { created: this.ctx.started });
    (childOf(pm, 'ProgramTemplateSet', this.nsLads) as UAObject).getPropertyByName('NodeVersion')?.setValueFromSource({ dataType: DataType.String, value: '1' });
    buildTemplates(this.ctx.namespace, this.nsLads, this.node, this.ctx.started);
    this.buildLock(childOf(this.node, 'Lock', this.nsDi) as UAObject);
    this.unsubscribe = this.core.onEvent((e) => this.onStationEvent(e));
  }

  dispose(): void {
    this.unsubscribe?.();
  }

  /** A session went away: its lock and open result files go with it. */
  releaseSession(sessionId: string): void {
    if (this.lockOwner === sessionId) this.setLock(undefined, '', '');
    this.results.releaseSession(sessionId);
  }

  private method(parent: UAObject, name: string, ns: number): UAMethod {
    return childOf(parent, name, ns) as UAMethod;
  }

  private setState(name: string): void {
    this.state = name;
    this.fsm.setState(name);
    if (!this.running) return;
    if (name === 'Running') this.running.setState('Execute');
    else this.running.setState(null);
  }

  private writeActive(run: CoreRun | undefined): void {
    this.active.runId?.setValueFromSource({ dataType: DataType.String, value: run?.runId ?? '' });
    this.active.step?.setValueFromSource({ dataType: DataType.LocalizedText, value: coerceLocalizedText(run?.step ?? '') });
    this.active.estimated?.setValueFromSource({ dataType: DataType.Double, value: (run?.estimatedDuration_s ?? 0) * 1000 });
  }

  private buildLock(lock: UAObject): void {
    const v = (name: string) => (lock.getChildByName(name, this.nsDi) as UAVariable | null) ?? undefined;
    this.lockVars = { locked: v('Locked'), client: v('LockingClient'), user: v('LockingUser') };
    v('RemainingLockTime')?.setValueFromSource({ dataType: DataType.Double, value: 0 });
    this.setLock(undefined, '', '');
    const status = (value: number): CallMethodResultOptions => ({ statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.Int32, value }] });
    this.method(lock, 'InitLock', this.nsDi).bindMethod(async (args: Variant[], c: ISessionContext) => {
      if (this.ctx.roleOf(c) !== 'operator') return refuse(StatusCodes.BadUserAccessDenied);
      const context = args[0]?.value;
      if (typeof context !== 'string') return refuse(StatusCodes.BadInvalidArgument);
      if (context.length > ARGUMENT_LIMITS.lockContext) return refuse(StatusCodes.BadOutOfRange);
      const me = sessionIdOf(c);
      if (this.lockOwner !== undefined && this.lockOwner !== me) return status(LOCK_STATUS.alreadyLocked);
      this.setLock(me, context, c.getUserName() ?? '');
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
      if (this.ctx.roleOf(c) !== 'operator') return refuse(StatusCodes.BadUserAccessDenied);
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
  private refusal(c: ISessionContext): CallMethodResultOptions | undefined {
    if (this.ctx.roleOf(c) !== 'operator') return refuse(StatusCodes.BadUserAccessDenied);
    if (this.lockOwner !== undefined && this.lockOwner !== sessionIdOf(c)) return refuse(StatusCodes.BadLocked);
    return undefined;
  }

  private async startProgram(args: Variant[], c: ISessionContext): Promise<CallMethodResultOptions> {
    const denied = this.refusal(c);
    if (denied) return denied;
    const input = parseStartProgram(args);
    if ('status' in input) return refuse(input.status);
    const known = this.core.findByCommand(input.jobId);
    if (!known && this.state !== 'Stopped') return refuse(StatusCodes.BadInvalidState);
    let decoded: Pick<TechniqueRun, 'params' | 'sample'>;
    try {
      decoded = decodeProperties(input.properties);
    } catch {
      return refuse(StatusCodes.BadInvalidArgument);
    }
    const run: TechniqueRun = { technique: input.template, cell: this.unit, ...decoded };
    try {
      const record = this.core.start(run, input.jobId);
      if (!this.inputs.has(record.runId) && !record.result)
        this.inputs.set(record.runId, { properties: input.rawProperties, samples: input.samples, taskId: input.taskId, user: c.getUserName() ?? '', started: new Date() });
      if (record.result) this.results.add(record, undefined); // a finished duplicate whose result node was pruned
      return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.String, value: record.runId }] };
    } catch (err) {
      const code = err instanceof DeviceError ? err.failure.code : 'INTERNAL';
      this.ctx.logger.info({ unit: this.unit, code, err: (err as Error).message }, 'StartProgram refused');
      if (code === 'BAD_INVALID_STATE') return refuse(StatusCodes.BadInvalidState);
      if (code === 'PARAMETER_OUT_OF_LIMITS') return refuse(StatusCodes.BadOutOfRange);
      return refuse(StatusCodes.BadInternalError);
    }
  }

  /** Stop (→ Stopping → Stopped) or Abort (→ Aborting → Aborted) the running program; it ends `cancelled`. */
  private async stop(c: ISessionContext, via: 'Stopping' | 'Aborting'): Promise<CallMethodResultOptions> {
    const denied = this.refusal(c);
    if (denied) return denied;
    const allowed = via === 'Stopping' ? this.state === 'Running' : this.state === 'Running' || this.state === 'Stopping';
    if (!allowed || !this.core.activeRun) return refuse(StatusCodes.BadInvalidState);
    this.setState(via);
    this.core.abort();
    return { statusCode: StatusCodes.Good };
  }

  /** Clear: Aborted → Clearing → Stopped. */
  private async clear(c: ISessionContext): Promise<CallMethodResultOptions> {
    const denied = this.refusal(c);
    if (denied) return denied;
    if (this.state !== 'Aborted') return refuse(StatusCodes.BadInvalidState);
    this.setState('Clearing');
    this.setState('Stopped');
    return { statusCode: StatusCodes.Good };
  }

  private onStationEvent(e: StationEvent): void {
    if (e.type === 'started') {
      this.setState('Running');
      this.writeActive(e.run);
      this.functions.onStep(e.run.step);
    } else if (e.type === 'step') {
      this.active.step?.setValueFromSource({ dataType: DataType.LocalizedText, value: coerceLocalizedText(e.run.step) });
      this.functions.onStep(e.run.step);
    } else {
      // The result exists before the state leaves Running, so a client that sees the state change can read it.
      try {
        this.results.add(e.run, this.inputs.get(e.run.runId));
      } catch (err) {
        this.ctx.logger.error({ unit: this.unit, runId: e.run.runId, err: String(err) }, 'could not publish the result');
      }
      this.inputs.delete(e.run.runId);
      this.writeActive(undefined);
      this.functions.onStep(undefined);
      this.setState(this.state === 'Aborting' ? 'Aborted' : 'Stopped');
    }
  }
}

interface StartProgramInput {
  template: TechniqueRun['technique'];
  properties: KeyValue[];
  rawProperties: ExtensionObject[];
  jobId: string;
  taskId: string;
  samples: ExtensionObject[];
}

/** StartProgram's arguments within ARGUMENT_LIMITS, or the status code that refuses them. */
function parseStartProgram(args: Variant[]): StartProgramInput | { status: StatusCode } {
  const [template, props, jobId, taskId, samples] = args.map((a) => a?.value as unknown);
  if (typeof template !== 'string' || typeof jobId !== 'string' || jobId.length === 0) return { status: StatusCodes.BadInvalidArgument };
  if (template.length > ARGUMENT_LIMITS.templateId || jobId.length > ARGUMENT_LIMITS.jobId) return { status: StatusCodes.BadOutOfRange };
  if (taskId !== undefined && taskId !== null && (typeof taskId !== 'string' || taskId.length > ARGUMENT_LIMITS.taskId)) return { status: StatusCodes.BadOutOfRange };
  const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
  const rawProperties = list(props) as ExtensionObject[];
  const rawSamples = list(samples) as ExtensionObject[];
  if (rawProperties.length > ARGUMENT_LIMITS.properties || rawSamples.length > ARGUMENT_LIMITS.samples) return { status: StatusCodes.BadOutOfRange };
  const properties: KeyValue[] = [];
  for (const p of rawProperties) {
    const kv = fields(p, ['key', 'value']);
    if (!kv) return { status: StatusCodes.BadInvalidArgument };
    const [key, value] = kv as [string, string];
    if (key.length > ARGUMENT_LIMITS.propertyKey || value.length > ARGUMENT_LIMITS.propertyValue) return { status: StatusCodes.BadOutOfRange };
    properties.push({ key, value });
  }
  for (const s of rawSamples) {
    const f = fields(s, ['containerId', 'sampleId', 'position', 'customData']);
    if (!f) return { status: StatusCodes.BadInvalidArgument };
    if (f.some((x) => x.length > ARGUMENT_LIMITS.sampleField)) return { status: StatusCodes.BadOutOfRange };
  }
  const technique = techniqueSchema.safeParse(template);
  if (!technique.success) return { status: StatusCodes.BadInvalidArgument };
  return { template: technique.data, properties, rawProperties, jobId, taskId: typeof taskId === 'string' ? taskId : '', samples: rawSamples };
}

/** String fields of a decoded LADS structure (camelCase or PascalCase names); undefined when one is not a string. */
function fields(e: unknown, names: readonly string[]): string[] | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const o = e as Record<string, unknown>;
  const out: string[] = [];
  for (const n of names) {
    const v = o[n] ?? o[n.charAt(0).toUpperCase() + n.slice(1)] ?? '';
    if (typeof v !== 'string') return undefined;
    out.push(v);
  }
  return out;
}
