import { DataType, NodeClass, NodeId } from 'node-opcua';
import { DeviceError, silentLogger, type FailureCode, type Logger } from '../../src/domain/index.ts';
import type { BrowsedNode, CallOutcome, OpcuaClientTransport } from '../transport/opcua-client.ts';
import { LadsBrowser, pathOf, type UnitNodes } from './lads-browser.ts';
import type { LadsResult } from './lads-model.ts';
import { readResult, type ReadResultOptions } from './lads-results.ts';
import { plainValue, textOf } from './lads-values.ts';
import { ARGUMENT_LIMITS, LADS_BINARY_ENCODINGS, LADS_NAMESPACES, LADS_TYPES, LOCK_STATUS, NOT_IMPLEMENTED, STATUS_TO_FAILURE, isBusyState, unitReadiness } from './node-map.ts';

/** How long an idle unit's run may keep an open result (no Stopped time) before it is taken as over anyway. */
const OPEN_RESULT_GRACE_MS = 2000;

export interface KeyValue {
  key: string;
  value: string;
}
export interface SampleInfo {
  containerId: string;
  sampleId: string;
  position: string;
  customData: string;
}

export interface StartProgramRequest {
  templateId: string;
  properties: KeyValue[];
  /** SupervisoryJobId: the idempotency key (labloop's commandId). */
  jobId: string;
  taskId?: string;
  samples?: SampleInfo[];
}

export interface LadsUnitClientOptions {
  transport: OpcuaClientTransport;
  /** Device browse name; may be omitted when the unit name is unique on the server. */
  device?: string;
  unit: string;
  /** Refuse to run when the unit offers no working lock (default: use it when offered, warn and go on otherwise). */
  requireLock?: boolean;
  lockContext?: string;
  logger?: Logger;
}

export interface UnitState {
  state: string;
  runningState?: string;
  deviceState?: string;
  ready: boolean;
  busy: boolean;
  reason?: string;
  activeRunId?: string;
  lockOwner?: string;
}

export interface RunOutcome {
  runId: string;
  jobId: string;
  result: BrowsedNode;
  /** The unit's state once the run was over (Stopped, or Aborted after an abort). */
  finalState: string;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Longest wait, wall-clock s (default 3600). */
  timeout_s?: number;
  /** Longest interval between polls when notifications are late, ms (default 500). */
  poll_ms?: number;
  /** Wait for the run to end after an abort, s (default 10). */
  abortGrace_s?: number;
}

type LockMode = 'unknown' | 'offered' | 'absent';

/**
 * One LADS functional unit on any server, driven exactly as LADS defines it: the unit is located by type and name,
 * the DI lock is taken when offered (and skipped with one warning when absent or unimplemented, unless required),
 * an Aborted unit is cleared before a start, StartProgram carries the job id, the run is followed through
 * FunctionalUnitState (subscription plus polling), and its result is found in the ResultSet by DeviceProgramRunId,
 * SupervisoryJobId or browse name and read by browsing.
 */
export class LadsUnitClient {
  readonly browser: LadsBrowser;
  private readonly logger: Logger;
  private nodes: UnitNodes | undefined;
  private deviceStateNode: NodeId | undefined;
  private lockMode: LockMode = 'unknown';
  private lockCount = 0;
  private lockChain: Promise<unknown> = Promise.resolve();
  private readonly waiters = new Set<() => void>();
  private readonly known = new Map<string, { runId?: string; jobId?: string }>();
  /** Session generation of the transport the caches belong to (a new session: a restarted server, new result nodes). */
  private generation = -1;
  /** Runs started here: their request and the session generation they were started in (see `runOver`). */
  private readonly started = new Map<string, { req: StartProgramRequest; generation: number }>();
  private stopMonitor: (() => Promise<void>) | undefined;
  private sawBusy = new Set<string>();
  /** When a run's unit was first seen idle again with its result still open (see runOver). */
  private readonly idleSince = new Map<string, number>();
  private watching = new Set<string>();
  location: { device: string; unit: string } | undefined;
  private unitNamespace: string | undefined;

  constructor(private readonly o: LadsUnitClientOptions) {
    this.browser = new LadsBrowser(o.transport);
    this.logger = (o.logger ?? silentLogger).child({ unit: o.unit, ...(o.device ? { device: o.device } : {}) });
  }

  private get t(): OpcuaClientTransport {
    return this.o.transport;
  }

  get n(): UnitNodes {
    if (!this.nodes) throw DeviceError.of('DEVICE_LOST', `unit ${this.o.unit} not set up`);
    return this.nodes;
  }

  async setup(): Promise<void> {
    const { device, unit } = await this.browser.locateUnit({ ...(this.o.device ? { device: this.o.device } : {}), unit: this.o.unit });
    this.location = { device: device.name, unit: unit.name };
    this.unitNamespace = unit.namespaceUri || undefined;
    this.nodes = await this.browser.unitNodes(unit.nodeId);
    [this.deviceStateNode] = await this.t.translate([pathOf(['deviceState', 'currentState'])], device.nodeId);
    const n = this.n;
    if (!n.currentState) throw DeviceError.of('DEVICE_LOST', `unit ${unit.name} has no FunctionalUnitState.CurrentState`);
    if (!n.startProgram || !n.state) throw DeviceError.of('COMMAND_REJECTED', `unit ${unit.name} offers no StartProgram`);
    this.lockMode = n.initLock && n.exitLock && n.lock ? 'offered' : 'absent';
    this.checkLockPolicy();
    const watched = [n.currentState, ...(n.resultSetVersion ? [n.resultSetVersion] : [])];
    this.stopMonitor = await this.t.monitor(watched, (i, dv) => {
      if (i === 0 && isBusyState(textOf(dv) ?? '')) for (const id of this.watching) this.sawBusy.add(id);
      for (const w of this.waiters) w();
    });
  }

  async close(): Promise<void> {
    const stop = this.stopMonitor;
    this.stopMonitor = undefined;
    if (stop) await stop().catch(() => undefined);
    this.nodes = undefined;
  }

  async state(): Promise<UnitState> {
    const n = this.n;
    const [state, running, deviceState, runId, locked, client] = await this.browser.readOptional([n.currentState, n.runningState, this.deviceStateNode, n.activeRunId, n.locked, n.lockingClient]);
    const s = textOf(state) ?? '';
    const runningState = s === 'Running' ? textOf(running) : undefined;
    const ds = textOf(deviceState);
    const r = unitReadiness(s, ds, runningState);
    const active = textOf(runId);
    return {
      state: s,
      ...(runningState ? { runningState } : {}),
      ...(ds ? { deviceState: ds } : {}),
      ready: r.ready,
      busy: !r.ready && r.busy,
      ...(r.ready ? {} : { reason: r.reason }),
      ...(active ? { activeRunId: active } : {}),
      ...(plainValue(locked) === true && textOf(client) ? { lockOwner: textOf(client) } : {}),
    };
  }

  /** Lock (when offered) → clear an Aborted unit → StartProgram → follow the run → unlock. */
  async run(req: StartProgramRequest, w: WaitOptions = {}): Promise<RunOutcome> {
    await this.acquireLock();
    try {
      const runId = await this.startProgram(req);
      this.started.set(req.jobId, { req, generation: this.t.generation });
      return await this.waitForRun(runId, req.jobId, w);
    } finally {
      this.started.delete(req.jobId);
      await this.releaseLock().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'unlock failed'));
    }
  }

  /**
   * StartProgram (arguments checked against ARGUMENT_LIMITS first). A unit left Aborted answers BadInvalidState: the
   * client then clears it (when it offers Clear) and starts again, so the common path costs one call.
   */
  async startProgram(req: StartProgramRequest): Promise<string> {
    checkRequest(req);
    this.watching.add(req.jobId);
    let r = await this.callStartProgram(req);
    if (r.statusCode.name === 'BadInvalidState' && this.n.clear) {
      const st = await this.state();
      if (st.state === 'Aborted') {
        await this.clear();
        r = await this.callStartProgram(req);
      }
    }
    if (!r.statusCode.isGood()) {
      this.watching.delete(req.jobId);
      throw statusError(r.statusCode.name, `StartProgram(${req.templateId}) on ${this.o.unit}`);
    }
    const runId = r.outputs[0];
    if (typeof runId !== 'string' || runId.length === 0) throw DeviceError.of('INTERNAL', 'StartProgram returned no DeviceProgramRunId');
    return runId;
  }

  private callStartProgram(req: StartProgramRequest): Promise<CallOutcome> {
    const n = this.n;
    const lads = LADS_NAMESPACES.LADS;
    const properties = req.properties.map((kv) => this.t.stringStructure(lads, LADS_BINARY_ENCODINGS.KeyValueType, [kv.key, kv.value]));
    const samples = (req.samples ?? []).map((s) => this.t.stringStructure(lads, LADS_BINARY_ENCODINGS.SampleInfoType, [s.containerId, s.sampleId, s.position, s.customData]));
    return this.t.call(n.state as NodeId, n.startProgram as NodeId, [
      { dataType: DataType.String, value: req.templateId },
      { dataType: DataType.ExtensionObject, arrayType: 1, value: properties },
      { dataType: DataType.String, value: req.jobId },
      { dataType: DataType.String, value: req.taskId ?? '' },
      { dataType: DataType.ExtensionObject, arrayType: 1, value: samples },
    ]);
  }

  /**
   * Waits until the run is over: its result exists in the ResultSet and the unit has left Running/Stopping/Aborting,
   * after having been seen busy or with a result whose Stopped time is set (a result created at start is not final).
   */
  waitForRun(runId: string, jobId: string, w: WaitOptions = {}): Promise<RunOutcome> {
    const timeout_ms = (w.timeout_s ?? 3600) * 1000;
    this.watching.add(jobId);
    return new Promise<RunOutcome>((resolve, reject) => {
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
        this.waiters.delete(notified);
        this.watching.delete(jobId);
        this.sawBusy.delete(jobId);
        this.idleSince.delete(jobId);
        w.signal?.removeEventListener('abort', onAbort);
        f();
      };
      const check = (): void => {
        if (done) return;
        if (busy) {
          again = true;
          return;
        }
        busy = true;
        this.runOver(runId, jobId)
          .then((outcome) => {
            if (outcome) finish(() => resolve(outcome));
          })
          .catch((err: unknown) => this.logger.debug({ err: String(err) }, 'run state not readable yet'))
          .finally(() => {
            busy = false;
            if (again && !done) {
              again = false;
              check();
            }
          });
      };
      const onAbort = (): void => {
        void this.abort().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'abort failed'));
        abortTimer = setTimeout(() => finish(() => reject(DeviceError.of('ABORTED', `run ${runId} aborted; it did not end in time`))), (w.abortGrace_s ?? 10) * 1000);
      };
      // Polls start one publishing interval after the start (a sooner poll only duplicates what the subscription
      // delivers within that cycle; 2 ms before it exists) and double; once the subscription has delivered a change
      // during this wait it is known to work, and polls drop to the longest interval.
      const longest = w.poll_ms ?? 500;
      let delay = Math.max(2, this.t.publishingInterval_ms ?? 2);
      let poll: NodeJS.Timeout;
      const notified = (): void => {
        delay = longest;
        check();
      };
      const schedule = (): void => {
        poll = setTimeout(() => {
          check();
          delay = Math.min(2 * delay, longest);
          if (!done) schedule();
        }, delay);
      };
      schedule();
      const deadline = setTimeout(() => finish(() => reject(DeviceError.of('COMMAND_TIMEOUT', `run ${runId} not over after ${timeout_ms / 1000} s`))), timeout_ms);
      this.waiters.add(notified);
      w.signal?.addEventListener('abort', onAbort, { once: true });
      if (w.signal?.aborted) onAbort();
      check();
    });
  }

  private async runOver(runId: string, jobId: string): Promise<RunOutcome | undefined> {
    if (this.generation !== this.t.generation) {
      this.generation = this.t.generation;
      this.known.clear();
    }
    const [stateDv] = await this.browser.readOptional([this.n.currentState]);
    const state = textOf(stateDv) ?? '';
    if (isBusyState(state)) {
      this.sawBusy.add(jobId);
      this.idleSince.delete(jobId);
      return undefined;
    }
    const found = await this.resultWithStopped(runId, jobId);
    if (!found) {
      await this.reissueAfterRestart(jobId);
      return undefined;
    }
    const { result, stopped } = found;
    const [dv] = await this.browser.readOptional([stopped]);
    if (typeof plainValue(dv) !== 'string') {
      // A result opened at start and not closed yet. Once the unit was seen busy and is idle again, a server that never
      // fills Stopped is accepted after a grace period; before that an idle unit may simply not have started yet (the
      // busy state can be notified before the start took effect on the server).
      if (!this.sawBusy.has(jobId)) return undefined;
      const idleSince = this.idleSince.get(jobId) ?? Date.now();
      this.idleSince.set(jobId, idleSince);
      if (Date.now() - idleSince < OPEN_RESULT_GRACE_MS) return undefined;
    }
    this.idleSince.delete(jobId);
    return { runId, jobId, result, finalState: state };
  }

  /**
   * The server restarted (a new session) while the run was followed, the unit is idle and the run's result is not in
   * its ResultSet: StartProgram again with the same SupervisoryJobId. The server de-duplicates on it (DEVICES.md):
   * a run it finished is not run again, its result is published; a run it still has is answered with its id.
   */
  private async reissueAfterRestart(jobId: string): Promise<void> {
    const s = this.started.get(jobId);
    if (!s || s.generation === this.t.generation) return;
    s.generation = this.t.generation;
    const r = await this.callStartProgram(s.req);
    this.logger.info({ jobId, status: r.statusCode.name }, 'server restarted during the run: StartProgram re-sent with the same jobId');
  }

  /**
   * The run's result and its Stopped variable. A result named after its run in the unit's namespace (the usual case)
   * and its Stopped are found by one translate request; otherwise as `findResult` finds it, then Stopped by another.
   */
  private async resultWithStopped(runId: string, jobId: string): Promise<{ result: BrowsedNode; stopped: NodeId | undefined } | undefined> {
    const n = this.n;
    if (!n.resultSet) return undefined;
    if (this.unitNamespace) {
      const named = [this.unitNamespace, runId] as const;
      const [id, stopped] = await this.t.translate([[named], [named, ...pathOf(['stopped'])]], n.resultSet);
      if (id) return { result: this.namedResult(id, runId), stopped };
    }
    const result = await this.findResult({ jobId, runId }, { byRunName: false });
    if (!result) return undefined;
    const [stopped] = await this.t.translate([pathOf(['stopped'])], result.nodeId);
    return { result, stopped };
  }

  private namedResult(nodeId: NodeId, runId: string): BrowsedNode {
    return { nodeId, namespaceUri: this.unitNamespace ?? '', name: runId, displayName: runId, nodeClass: NodeClass.Object, typeDefinition: undefined, referenceTypeId: NodeId.resolveNodeId('HasComponent') };
  }

  /**
   * The result of a run, by DeviceProgramRunId, SupervisoryJobId or browse name (newest results first).
   * `byRunName: false` skips the first try, a translate of the run id as a browse name (the caller just did it).
   */
  async findResult(by: { runId?: string; jobId?: string }, o: { byRunName?: boolean } = {}): Promise<BrowsedNode | undefined> {
    const n = this.n;
    if (!n.resultSet) return undefined;
    // Servers usually name a result after its run, in their own namespace: one translate instead of a browse.
    if (by.runId && this.unitNamespace && o.byRunName !== false) {
      const [id] = await this.t.translate([[[this.unitNamespace, by.runId]]], n.resultSet);
      if (id) return this.namedResult(id, by.runId);
    }
    const results = await this.browser.childrenOfType(n.resultSet, this.browser.lads(LADS_TYPES.ResultType));
    const byName = by.runId ? results.find((r) => r.name === by.runId) : undefined;
    if (byName) return byName;
    const unknown = results.filter((r) => !this.known.has(r.nodeId.toString()));
    if (unknown.length > 0) {
      const ids = await this.t.translateFrom(unknown.flatMap((r) => [{ start: r.nodeId, path: pathOf(['deviceProgramRunId']) }, { start: r.nodeId, path: pathOf(['supervisoryJobId']) }]));
      const values = await this.browser.readOptional(ids);
      unknown.forEach((r, i) => {
        const runId = textOf(values[2 * i]);
        const jobId = textOf(values[2 * i + 1]);
        this.known.set(r.nodeId.toString(), { ...(runId ? { runId } : {}), ...(jobId ? { jobId } : {}) });
      });
    }
    for (const r of [...results].reverse()) {
      const k = this.known.get(r.nodeId.toString());
      if ((by.runId && k?.runId === by.runId) || (by.jobId && k?.jobId === by.jobId)) return r;
    }
    return undefined;
  }

  readResult(result: BrowsedNode, o: ReadResultOptions = {}): Promise<LadsResult> {
    return readResult(this.t, this.browser, result, o);
  }

  async abort(): Promise<void> {
    await this.callUnitMethod('abort', 'Abort', true);
  }

  async stop(): Promise<void> {
    await this.callUnitMethod('stop', 'Stop', true);
  }

  /** Clear: Aborted → Clearing → Stopped (waits briefly for Stopped). */
  async clear(): Promise<void> {
    await this.callUnitMethod('clear', 'Clear', false);
    for (let i = 0; i < 200; i++) {
      const [dv] = await this.browser.readOptional([this.n.currentState]);
      if (textOf(dv) !== 'Clearing') return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async callUnitMethod(key: 'abort' | 'stop' | 'clear', name: string, tolerateInvalidState: boolean): Promise<void> {
    const n = this.n;
    const method = n[key];
    if (!method) throw DeviceError.of('COMMAND_REJECTED', `unit ${this.o.unit} offers no ${name}`);
    const r = await this.t.call(n.state as NodeId, method, []);
    if (r.statusCode.isGood() || (tolerateInvalidState && r.statusCode.name === 'BadInvalidState')) return;
    throw statusError(r.statusCode.name, name);
  }

  /** Re-entrant per client: the first in-flight run takes the unit's DI lock, the last one returns it. */
  acquireLock(): Promise<void> {
    const step = this.lockChain.then(async () => {
      if (this.lockCount === 0 && this.lockMode === 'offered') await this.initLock();
      this.lockCount++;
    });
    this.lockChain = step.catch(() => undefined);
    return step;
  }

  releaseLock(): Promise<void> {
    const step = this.lockChain.then(async () => {
      this.lockCount = Math.max(0, this.lockCount - 1);
      if (this.lockCount === 0 && this.lockMode === 'offered') {
        const n = this.n;
        await this.t.call(n.lock as NodeId, n.exitLock as NodeId, []);
      }
    });
    this.lockChain = step.catch(() => undefined);
    return step;
  }

  private async initLock(): Promise<void> {
    const n = this.n;
    const context = this.o.lockContext ?? `labloop:${this.location?.device ?? ''}/${this.o.unit}`;
    const r = await this.t.call(n.lock as NodeId, n.initLock as NodeId, [{ dataType: DataType.String, value: context.slice(0, ARGUMENT_LIMITS.lockContext) }]);
    if (NOT_IMPLEMENTED.has(r.statusCode.name)) {
      if (this.o.requireLock) throw DeviceError.of('COMMAND_REJECTED', `unit ${this.o.unit}: InitLock is not implemented (${r.statusCode.name}), and a lock is required`);
      this.lockMode = 'absent';
      this.logger.warn({ status: r.statusCode.name }, 'the unit does not implement locking; running without the lock (set requireLock to refuse this)');
      return;
    }
    if (!r.statusCode.isGood()) throw statusError(r.statusCode.name, 'InitLock');
    if (r.outputs[0] !== LOCK_STATUS.ok) throw DeviceError.of('LOCK_HELD', `${this.o.unit} is locked by another client`);
  }

  /** Warns once when the unit offers no lock, or refuses when one is required. */
  private checkLockPolicy(): void {
    if (this.lockMode !== 'absent') return;
    if (this.o.requireLock) throw DeviceError.of('COMMAND_REJECTED', `unit ${this.o.unit} offers no lock, and a lock is required`);
    this.logger.warn({}, 'the unit offers no lock (DI LockingServices); running without it (set requireLock to refuse this)');
  }
}

/** Client-side check of StartProgram's arguments against ARGUMENT_LIMITS (the server checks again). */
export function checkRequest(req: StartProgramRequest): void {
  const issues: string[] = [];
  const L = ARGUMENT_LIMITS;
  if (req.templateId.length === 0 || req.templateId.length > L.templateId) issues.push(`template id must be 1-${L.templateId} characters`);
  if (req.jobId.length === 0 || req.jobId.length > L.jobId) issues.push(`job id must be 1-${L.jobId} characters`);
  if ((req.taskId ?? '').length > L.taskId) issues.push(`task id longer than ${L.taskId} characters`);
  if (req.properties.length > L.properties) issues.push(`${req.properties.length} properties (at most ${L.properties})`);
  for (const p of req.properties) {
    if (p.key.length === 0 || p.key.length > L.propertyKey) issues.push(`property key "${p.key.slice(0, 80)}" must be 1-${L.propertyKey} characters`);
    if (p.value.length > L.propertyValue) issues.push(`property ${p.key} value longer than ${L.propertyValue} characters`);
  }
  if ((req.samples ?? []).length > L.samples) issues.push(`${req.samples?.length} samples (at most ${L.samples})`);
  for (const s of req.samples ?? []) if (Object.values(s).some((v) => v.length > L.sampleField)) issues.push(`a sample field longer than ${L.sampleField} characters`);
  if (issues.length > 0) throw DeviceError.of('PARAMETER_OUT_OF_LIMITS', issues.join('; '));
}

export function statusError(statusName: string, what: string): DeviceError {
  const code: FailureCode = STATUS_TO_FAILURE[statusName] ?? 'COMMAND_REJECTED';
  return DeviceError.of(code, `${what}: ${statusName}`, { vendorCode: statusName });
}

/** Any error from the session becomes a DeviceError (transport failures are retryable). */
export function asDeviceError(err: unknown): DeviceError {
  if (err instanceof DeviceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  for (const [name, code] of Object.entries(STATUS_TO_FAILURE)) if (message.includes(name)) return DeviceError.of(code, message, { vendorCode: name });
  if (/timed out|timeout/i.test(message)) return DeviceError.of('COMMAND_TIMEOUT', message);
  // The server offers no endpoint for this identity (anonymous disabled, no username policy): not a transport fault.
  if (/user token policy/i.test(message)) return DeviceError.of('ACCESS_DENIED', message);
  return DeviceError.of('DEVICE_LOST', message);
}
