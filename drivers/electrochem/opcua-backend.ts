import {
  DeviceError,
  makeFailure,
  silentLogger,
  techniqueRunSchema,
  type DeviceStatus,
  type EchemResult,
  type Logger,
  type TechniqueRun,
} from '../../src/domain/index.ts';
import type { CommandOptions, PotentiostatBackend } from '../../src/devices/backends.ts';
import { LadsUnitClient, asDeviceError, type RunOutcome } from '../lads/lads-unit.ts';
import { OpcuaClientTransport, type OpcuaConnectionOptions } from '../transport/opcua-client.ts';
import { echemResultFromLads } from './lads-echem-result.ts';
import { LABLOOP_NAMESPACE, RESULT_NAMES, parseResultJson } from './node-map.ts';
import { LADS_NAMESPACES } from '../lads/node-map.ts';
import { defaultMapping, startRequestOf, type EchemLadsMapping } from './program-mapping.ts';
import { checkTechniqueParams } from './technique-params.ts';

export interface PotentiostatOpcuaOptions {
  /** Station id in labloop (logs, documents); also the LADS device browse name unless `device` names another. */
  deviceId: string;
  /** LADS device browse name on the server (default: `deviceId`; `null`: whichever device has the unit). */
  device?: string | null;
  /** Functional unit (cell) of that device. */
  unit: string;
  /** A connection of its own ... */
  connection?: OpcuaConnectionOptions;
  /** ... or a transport shared with other backends (connected and closed by its owner). */
  transport?: OpcuaClientTransport;
  /** Technique → template/parameter/result mapping (default: labloop's own station). */
  mapping?: EchemLadsMapping;
  /** Refuse to run when the unit offers no working lock (default: use it when offered, warn otherwise). */
  requireLock?: boolean;
  timeouts?: {
    /** Longest wait for a run's result, wall-clock s (default 3600). */
    run_s?: number;
    /**
     * Longest interval between state polls when notifications are late, ms (default 500). Polls start 2 ms after
     * StartProgram and double up to this, so short runs (instant clocks) finish without waiting for a publish cycle;
     * once the subscription has delivered a change during the wait, polls come at this interval.
     */
    poll_ms?: number;
    /** Wait for the cancelled result after an abort, s (default 10). */
    abortGrace_s?: number;
  };
  /** Context string written to the unit's lock (default `labloop:<device>/<unit>`). */
  lockContext?: string;
  logger?: Logger;
}

/**
 * PotentiostatBackend over OPC UA LADS, through the generic LADS client (drivers/lads): the technique run becomes a
 * StartProgram request through the stations file's mapping (template, keys, units), SupervisoryJobId = commandId
 * (the server de-duplicates on it), the run is followed through the unit's state machine, and the result is read by
 * browsing the run's Result object (labloop JSON or typed arrays). Status codes map to failure codes; a failed run
 * throws the DeviceError its result carries.
 */
export class PotentiostatOpcuaBackend implements PotentiostatBackend {
  readonly deviceId: string;
  private readonly t: OpcuaClientTransport;
  private readonly ownsTransport: boolean;
  private readonly logger: Logger;
  private readonly mapping: EchemLadsMapping;
  private client: LadsUnitClient | undefined;

  constructor(private readonly options: PotentiostatOpcuaOptions) {
    this.deviceId = options.deviceId;
    if (options.transport) {
      this.t = options.transport;
      this.ownsTransport = false;
    } else if (options.connection) {
      this.t = new OpcuaClientTransport(options.connection);
      this.ownsTransport = true;
    } else throw new Error('PotentiostatOpcuaBackend needs a connection or a transport');
    this.mapping = options.mapping ?? defaultMapping();
    this.logger = (options.logger ?? silentLogger).child({ device: options.deviceId, unit: options.unit });
  }

  async setup(): Promise<void> {
    try {
      if (this.ownsTransport) await this.t.connect();
      const device = this.options.device === null ? undefined : (this.options.device ?? this.deviceId);
      const client = new LadsUnitClient({
        transport: this.t,
        ...(device !== undefined ? { device } : {}),
        unit: this.options.unit,
        ...(this.options.requireLock !== undefined ? { requireLock: this.options.requireLock } : {}),
        ...(this.options.lockContext ? { lockContext: this.options.lockContext } : {}),
        logger: this.logger,
      });
      await client.setup();
      this.client = client;
    } catch (err) {
      throw asDeviceError(err);
    }
  }

  private get c(): LadsUnitClient {
    if (!this.client) throw DeviceError.of('DEVICE_LOST', `backend ${this.deviceId} not set up`);
    return this.client;
  }

  async runTechnique(raw: TechniqueRun, opts: CommandOptions): Promise<EchemResult> {
    const parsed = techniqueRunSchema.safeParse(raw);
    if (!parsed.success) throw DeviceError.of('PARAMETER_OUT_OF_LIMITS', parsed.error.message);
    const run = parsed.data;
    const issues = checkTechniqueParams(run);
    if (issues.length > 0) throw DeviceError.of('PARAMETER_OUT_OF_LIMITS', issues.join('; '));
    if (opts.signal.aborted) throw DeviceError.of('ABORTED', 'aborted before start');
    const to = this.options.timeouts ?? {};
    try {
      const outcome = await this.c.run(startRequestOf(run, opts.commandId, this.mapping), {
        signal: opts.signal,
        timeout_s: opts.timeout_s ?? to.run_s ?? 3600,
        ...(to.poll_ms !== undefined ? { poll_ms: to.poll_ms } : {}),
        ...(to.abortGrace_s !== undefined ? { abortGrace_s: to.abortGrace_s } : {}),
      });
      this.logger.debug({ runId: outcome.runId, commandId: opts.commandId, state: outcome.finalState }, 'program over');
      const result = await this.resultOf(run, outcome);
      if (result.status === 'succeeded') return result;
      throw new DeviceError(result.failure ?? makeFailure('INTERNAL', `run ${outcome.runId} ${result.status} without a failure`));
    } catch (err) {
      throw asDeviceError(err);
    }
  }

  /**
   * Reads and converts a run's result: labloop's JSON variable straight away when the server has it (one translate,
   * one read), else the whole VariableSet, and the files only when the variables do not carry the result.
   */
  private async resultOf(run: TechniqueRun, outcome: RunOutcome): Promise<EchemResult> {
    const ctx = { run, runId: outcome.runId, commandId: outcome.jobId, finalState: outcome.finalState };
    if (this.mapping.results.format !== 'arrays' && this.t.hasNamespace(LABLOOP_NAMESPACE)) {
      const [id] = await this.t.translate([[[LADS_NAMESPACES.LADS, 'VariableSet'], [LABLOOP_NAMESPACE, RESULT_NAMES.json]]], outcome.result.nodeId);
      const [dv] = id ? await this.t.read([id]) : [];
      const text = dv?.value.value as unknown;
      if (typeof text === 'string' && text.length > 0) return parseResultJson(text);
    }
    const lean = await this.c.readResult(outcome.result, { fileContents: false });
    try {
      return echemResultFromLads(lean, ctx, this.mapping);
    } catch (err) {
      if (lean.files.length === 0) throw err;
      return echemResultFromLads(await this.c.readResult(outcome.result), ctx, this.mapping);
    }
  }

  async lookup(commandId: string): Promise<EchemResult | undefined> {
    try {
      const found = await this.c.findResult({ jobId: commandId });
      if (!found) return undefined;
      const r = await this.c.readResult(found, { fileContents: false });
      const technique = /^(\S+)/.exec(r.description ?? '')?.[1];
      const run = techniqueRunSchema.safeParse({ technique, cell: this.options.unit, params: {}, sample: {} });
      const ctx = { run: run.success ? run.data : { technique: 'LSV' as const, cell: this.options.unit, params: {}, sample: {} }, runId: r.runId ?? found.name, commandId, finalState: 'Stopped' };
      return echemResultFromLads(r, ctx, this.mapping);
    } catch (err) {
      throw asDeviceError(err);
    }
  }

  async status(): Promise<DeviceStatus> {
    if (!this.client || !this.t.connected) return { deviceId: this.deviceId, state: 'disconnected', detail: {} };
    try {
      const s = await this.client.state();
      return {
        deviceId: this.deviceId,
        state: s.ready ? 'ready' : s.busy ? 'busy' : s.deviceState && s.deviceState !== 'Operate' ? 'maintenance' : 'error',
        ...(s.activeRunId ? { activeRunId: s.activeRunId } : {}),
        ...(s.lockOwner ? { lockOwner: s.lockOwner } : {}),
        detail: { unit: this.options.unit, unitState: s.state, ...(s.runningState ? { runningState: s.runningState } : {}), ...(s.deviceState ? { deviceState: s.deviceState } : {}), ...(s.reason ? { reason: s.reason } : {}) },
      };
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'status read failed');
      return { deviceId: this.deviceId, state: 'disconnected', detail: {} };
    }
  }

  async abort(): Promise<void> {
    try {
      await this.c.abort();
    } catch (err) {
      throw asDeviceError(err);
    }
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.close().catch(() => undefined);
    if (this.ownsTransport) await this.t.close();
  }
}
