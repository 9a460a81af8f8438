import { DataType, StatusCodes, type NodeId } from 'node-opcua';
import {
  DeviceError,
  makeFailure,
  silentLogger,
  techniqueRunSchema,
  type DeviceStatus,
  type EchemResult,
  type FailureCode,
  type Logger,
  type TechniqueRun,
} from '../../src/domain/index.ts';
import type { CommandOptions, PotentiostatBackend } from '../../src/devices/backends.ts';
import { OpcuaClientTransport, type OpcuaConnectionOptions, type PathElement } from '../transport/opcua-client.ts';
import {
  LADS_BINARY_ENCODINGS,
  LOCK_STATUS,
  NAMESPACES,
  STATUS_TO_FAILURE,
  UNIT_PATHS,
  UNIT_STATES,
  encodeProperties,
  parseResultJson,
  resultPath,
  unitPath,
  type Segment,
} from './node-map.ts';
import { checkTechniqueParams } from './technique-params.ts';

export interface PotentiostatOpcuaOptions {
  /** Station (LADS device browse name under DeviceSet). */
  deviceId: string;
  /** Functional unit (cell) of that station. */
  unit: string;
  /** A connection of its own ... */
  connection?: OpcuaConnectionOptions;
  /** ... or a transport shared with other backends (connected and closed by its owner). */
  transport?: OpcuaClientTransport;
  timeouts?: {
    /** Longest wait for a run's result, wall-clock s (default 3600). */
    run_s?: number;
    /**
     * Longest interval between result polls when notifications are late, ms (default 500). Polls start 2 ms after
     * StartProgram and double up to this, so short runs (instant clocks) finish without waiting for a publish cycle.
     */
    poll_ms?: number;
    /** Wait for the cancelled result after an abort, s (default 10). */
    abortGrace_s?: number;
  };
  /** Context string written to the unit's lock (default `labloop:<deviceId>`). */
  lockContext?: string;
  logger?: Logger;
}

type UnitNodes = Record<keyof typeof UNIT_PATHS, NodeId>;

/**
 * PotentiostatBackend over OPC UA (LADS): session → translate browse paths → lock → StartProgram(jobId = commandId)
 * → follow the result set by subscription (with a polling fallback and a timeout) → read the result → unlock.
 * The station de-duplicates on jobId, so resending a command returns the same run. Status codes map to failure codes
 * as in node-map.ts; a failed run throws the DeviceError its result carries.
 */
export class PotentiostatOpcuaBackend implements PotentiostatBackend {
  readonly deviceId: string;
  private readonly t: OpcuaClientTransport;
  private readonly ownsTransport: boolean;
  private readonly logger: Logger;
  private nodes: UnitNodes | undefined;
  private unitNode: NodeId | undefined;
  private readonly waiters = new Set<() => void>();
  private stopMonitor: (() => Promise<void>) | undefined;
  private lockCount = 0;
  private lockChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: PotentiostatOpcuaOptions) {
    this.deviceId = options.deviceId;
    if (options.transport) {
      this.t = options.transport;
      this.ownsTransport = false;
    } else if (options.connection) {
      this.t = new OpcuaClientTransport(options.connection);
      this.ownsTransport = true;
    } else throw new Error('PotentiostatOpcuaBackend needs a connection or a transport');
    this.logger = (options.logger ?? silentLogger).child({ device: options.deviceId, unit: options.unit });
  }

  async setup(): Promise<void> {
    try {
      if (this.ownsTransport) await this.t.connect();
      const [unit] = await this.t.translate([this.path(unitPath(this.deviceId, this.options.unit))]);
      if (!unit) throw DeviceError.of('DEVICE_LOST', `no functional unit ${this.options.unit} on station ${this.deviceId}`);
      this.unitNode = unit;
      const keys = Object.keys(UNIT_PATHS) as (keyof typeof UNIT_PATHS)[];
      const ids = await this.t.translate(keys.map((k) => this.path(UNIT_PATHS[k])), unit);
      const nodes = {} as UnitNodes;
      keys.forEach((k, i) => {
        const id = ids[i];
        if (!id) throw DeviceError.of('DEVICE_LOST', `functional unit ${this.options.unit} lacks ${k}`);
        nodes[k] = id;
      });
      this.nodes = nodes;
      this.stopMonitor = await this.t.monitor([nodes.resultSetVersion, nodes.currentState], () => {
        for (const w of this.waiters) w();
      });
    } catch (err) {
      throw asDeviceError(err);
    }
  }

  private path(segments: readonly Segment[]): PathElement[] {
    return segments.map(([ns, name]) => [NAMESPACES[ns], name] as const);
  }

  private get n(): UnitNodes {
    if (!this.nodes) throw DeviceError.of('DEVICE_LOST', `backend ${this.deviceId} not set up`);
    return this.nodes;
  }

  async runTechnique(raw: TechniqueRun, opts: CommandOptions): Promise<EchemResult> {
    const parsed = techniqueRunSchema.safeParse(raw);
    if (!parsed.success) throw DeviceError.of('PARAMETER_OUT_OF_LIMITS', parsed.error.message);
    const run = parsed.data;
    const issues = checkTechniqueParams(run);
    if (issues.length > 0) throw DeviceError.of('PARAMETER_OUT_OF_LIMITS', issues.join('; '));
    if (opts.signal.aborted) throw DeviceError.of('ABORTED', 'aborted before start');
    await this.acquireLock();
    try {
      const runId = await this.startProgram(run, opts.commandId);
      this.logger.debug({ runId, commandId: opts.commandId }, 'program started');
      const result = await this.waitForResult(runId, opts);
      if (result.status === 'succeeded') return result;
      throw new DeviceError(result.failure ?? makeFailure('INTERNAL', `run ${runId} ${result.status} without a failure`));
    } catch (err) {
      throw asDeviceError(err);
    } finally {
      await this.releaseLock().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'unlock failed'));
    }
  }

  private async startProgram(run: TechniqueRun, commandId: string): Promise<string> {
    const n = this.n;
    const properties = encodeProperties(run).map((kv) => this.t.stringStructure(NAMESPACES.LADS, LADS_BINARY_ENCODINGS.KeyValueType, [kv.key, kv.value]));
    const trial = run.sample['trialId'];
    const samples = [this.t.stringStructure(NAMESPACES.LADS, LADS_BINARY_ENCODINGS.SampleInfoType, [run.cell, typeof trial === 'string' ? trial : '', run.cell, ''])];
    const r = await this.t.call(n.state, n.startProgram, [
      { dataType: DataType.String, value: run.technique },
      { dataType: DataType.ExtensionObject, arrayType: 1, value: properties },
      { dataType: DataType.String, value: commandId },
      { dataType: DataType.String, value: typeof trial === 'string' ? trial : '' },
      { dataType: DataType.ExtensionObject, arrayType: 1, value: samples },
    ]);
    if (!r.statusCode.isGood()) throw statusError(r.statusCode.name, `StartProgram on ${this.deviceId}/${this.options.unit}`);
    const runId = r.outputs[0];
    if (typeof runId !== 'string' || runId.length === 0) throw DeviceError.of('INTERNAL', 'StartProgram returned no run id');
    return runId;
  }

  /** Reads a run's result; undefined while it is not there yet. */
  private async readResult(runId: string): Promise<EchemResult | undefined> {
    const [id] = await this.t.translate([this.path(resultPath(runId, 'echemResult'))], this.unitNode);
    if (!id) return undefined;
    const [dv] = await this.t.read([id]);
    const text = dv?.value.value as unknown;
    if (typeof text !== 'string' || text.length === 0) return undefined;
    return parseResultJson(text);
  }

  private waitForResult(runId: string, opts: CommandOptions): Promise<EchemResult> {
    const to = this.options.timeouts ?? {};
    const timeout_ms = (opts.timeout_s ?? to.run_s ?? 3600) * 1000;
    return new Promise<EchemResult>((resolve, reject) => {
      let done = false;
      let busy = false;
      let again = false;
      let abortTimer: NodeJS.Timeout | undefined;
      const finish = (f: () => void): void => {
        if (done) return;
        done = true;
        clearTimeout(poll);
        clearTimeout(deadline);
        if (abortTimer) clearTimeout(abortTimer);
        this.waiters.delete(check);
        opts.signal.removeEventListener('abort', onAbort);
        f();
      };
      const check = (): void => {
        if (done) return;
        if (busy) {
          again = true;
          return;
        }
        busy = true;
        this.readResult(runId)
          .then((r) => {
            if (r) finish(() => resolve(r));
          })
          .catch((err: unknown) => {
            if (err instanceof Error && err.name === 'ZodError') finish(() => reject(DeviceError.of('INTERNAL', `malformed result of ${runId}: ${err.message}`)));
            else this.logger.debug({ err: String(err) }, 'result not readable yet');
          })
          .finally(() => {
            busy = false;
            if (again && !done) {
              again = false;
              check();
            }
          });
      };
      const onAbort = (): void => {
        void this.abort();
        abortTimer = setTimeout(() => finish(() => reject(DeviceError.of('ABORTED', `run ${runId} aborted; no cancelled result in time`))), (to.abortGrace_s ?? 10) * 1000);
      };
      let delay = 2;
      let poll: NodeJS.Timeout;
      const schedule = (): void => {
        poll = setTimeout(() => {
          check();
          delay = Math.min(2 * delay, to.poll_ms ?? 500);
          if (!done) schedule();
        }, delay);
      };
      schedule();
      const deadline = setTimeout(
        () => finish(() => reject(DeviceError.of('COMMAND_TIMEOUT', `no result for run ${runId} after ${timeout_ms / 1000} s`))),
        timeout_ms,
      );
      this.waiters.add(check);
      opts.signal.addEventListener('abort', onAbort, { once: true });
      if (opts.signal.aborted) onAbort();
      check();
    });
  }

  /** Re-entrant lock per backend: the first in-flight command takes the unit's DI lock, the last one returns it. */
  private acquireLock(): Promise<void> {
    const step = this.lockChain.then(async () => {
      if (this.lockCount === 0) {
        const r = await this.t.call(this.n.lock, this.n.initLock, [{ dataType: DataType.String, value: this.options.lockContext ?? `labloop:${this.deviceId}` }]);
        if (!r.statusCode.isGood()) throw statusError(r.statusCode.name, 'InitLock');
        if (r.outputs[0] !== LOCK_STATUS.ok) throw DeviceError.of('LOCK_HELD', `${this.deviceId}/${this.options.unit} is locked by another client`);
      }
      this.lockCount++;
    });
    this.lockChain = step.catch(() => undefined);
    return step;
  }

  private releaseLock(): Promise<void> {
    const step = this.lockChain.then(async () => {
      this.lockCount = Math.max(0, this.lockCount - 1);
      if (this.lockCount === 0) await this.t.call(this.n.lock, this.n.exitLock, []);
    });
    this.lockChain = step.catch(() => undefined);
    return step;
  }

  async lookup(commandId: string): Promise<EchemResult | undefined> {
    try {
      const runs = await this.t.children(this.n.resultSet);
      const jobIds = await this.t.translate(runs.map((r) => this.path(resultPath(r.name, 'supervisoryJobId'))), this.unitNode);
      const present = jobIds.map((id, i) => ({ id, run: runs[i] })).filter((x): x is { id: NodeId; run: { name: string; nodeId: NodeId } } => !!x.id && !!x.run);
      const values = await this.t.read(present.map((x) => x.id));
      const hit = present.find((_, i) => values[i]?.value.value === commandId);
      return hit ? await this.readResult(hit.run.name) : undefined;
    } catch (err) {
      throw asDeviceError(err);
    }
  }

  async status(): Promise<DeviceStatus> {
    if (!this.nodes || !this.t.connected) return { deviceId: this.deviceId, state: 'disconnected', detail: {} };
    try {
      const n = this.n;
      const [state, runId, step, locked, lockingClient] = await this.t.read([n.currentState, n.activeRunId, n.activeStep, n.locked, n.lockingClient]);
      const text = (state?.value.value as { text?: string } | null)?.text ?? '';
      const active = typeof runId?.value.value === 'string' && runId.value.value.length > 0 ? runId.value.value : undefined;
      return {
        deviceId: this.deviceId,
        state: text === UNIT_STATES.running ? 'busy' : 'ready',
        ...(active ? { activeRunId: active } : {}),
        ...(locked?.value.value === true && typeof lockingClient?.value.value === 'string' ? { lockOwner: lockingClient.value.value } : {}),
        detail: { unit: this.options.unit, unitState: text, step: (step?.value.value as { text?: string } | null)?.text ?? '' },
      };
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'status read failed');
      return { deviceId: this.deviceId, state: 'disconnected', detail: {} };
    }
  }

  async abort(): Promise<void> {
    const n = this.n;
    const r = await this.t.call(n.state, n.abort, []);
    if (!r.statusCode.isGood() && r.statusCode.value !== StatusCodes.BadInvalidState.value) throw statusError(r.statusCode.name, 'Abort');
  }

  async stop(): Promise<void> {
    const stop = this.stopMonitor;
    this.stopMonitor = undefined;
    if (stop) await stop().catch(() => undefined);
    if (this.ownsTransport) await this.t.close();
    this.nodes = undefined;
  }
}

function statusError(statusName: string, what: string): DeviceError {
  const code: FailureCode = STATUS_TO_FAILURE[statusName] ?? 'COMMAND_REJECTED';
  return DeviceError.of(code, `${what}: ${statusName}`, { vendorCode: statusName });
}

/** Any error from the session becomes a DeviceError (transport failures are retryable). */
function asDeviceError(err: unknown): DeviceError {
  if (err instanceof DeviceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  for (const [name, code] of Object.entries(STATUS_TO_FAILURE)) if (message.includes(name)) return DeviceError.of(code, message, { vendorCode: name });
  if (/timed out|timeout/i.test(message)) return DeviceError.of('COMMAND_TIMEOUT', message);
  return DeviceError.of('DEVICE_LOST', message);
}
