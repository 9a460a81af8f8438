import { ulid } from 'ulid';
import { LadsBrowser, LadsDiscoveryError } from '../../drivers/lads/lads-browser.ts';
import type { LadsResult, LadsServerInfo } from '../../drivers/lads/lads-model.ts';
import { LadsUnitClient, asDeviceError, type KeyValue } from '../../drivers/lads/lads-unit.ts';
import { OpcuaClientTransport } from '../../drivers/transport/opcua-client.ts';
import { routeOpcuaDiagnostics } from '../../drivers/transport/opcua-diagnostics.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../domain/index.ts';
import { connectionOptions, type OpcuaEndpointSpec } from './opcua-connection.ts';

/**
 * `labloop devices`: the generic LADS client on its own, for commissioning any LADS instrument. `inspect` discovers
 * devices, units, functions (with current values and units), program templates (with parameters) and states;
 * `runProgram` starts one program, follows it to its end and returns its result.
 */
export interface DevicesContext {
  endpoint: OpcuaEndpointSpec;
  config: Pick<Config, 'pkiDir' | 'opcua'>;
  logger: Logger;
}

async function withTransport<T>(ctx: DevicesContext, f: (t: OpcuaClientTransport) => Promise<T>): Promise<T> {
  routeOpcuaDiagnostics(ctx.logger);
  const t = new OpcuaClientTransport(connectionOptions(ctx.endpoint, { config: ctx.config, logger: ctx.logger }));
  try {
    await t.connect();
    return await f(t);
  } finally {
    await t.close();
  }
}

export function inspectDevices(ctx: DevicesContext): Promise<LadsServerInfo> {
  return withTransport(ctx, (t) => new LadsBrowser(t).describe(ctx.endpoint.endpoint));
}

export interface RunProgramRequest {
  device?: string;
  unit: string;
  template: string;
  params: KeyValue[];
  jobId?: string;
  taskId?: string;
  requireLock?: boolean;
  timeout_s: number;
  /** Read the result's files (default true). */
  files?: boolean;
  signal?: AbortSignal;
}

export interface RunProgramOutput {
  endpoint: string;
  device: string;
  unit: string;
  template: string;
  jobId: string;
  runId: string;
  /** The unit's state after the run: Stopped, or Aborted. */
  finalState: string;
  result: LadsResult;
}

export function runProgram(ctx: DevicesContext, req: RunProgramRequest): Promise<RunProgramOutput> {
  return withTransport(ctx, async (t) => {
    const client = new LadsUnitClient({
      transport: t,
      ...(req.device ? { device: req.device } : {}),
      unit: req.unit,
      ...(req.requireLock !== undefined ? { requireLock: req.requireLock } : {}),
      lockContext: 'labloop devices run-program',
      logger: ctx.logger,
    });
    try {
      await client.setup();
      const jobId = req.jobId ?? ulid();
      const outcome = await client.run(
        { templateId: req.template, properties: req.params, jobId, ...(req.taskId ? { taskId: req.taskId } : {}) },
        { timeout_s: req.timeout_s, poll_ms: 250, ...(req.signal ? { signal: req.signal } : {}) },
      );
      const result = await client.readResult(outcome.result, { fileContents: req.files ?? true });
      return {
        endpoint: ctx.endpoint.endpoint,
        device: client.location?.device ?? req.device ?? '',
        unit: req.unit,
        template: req.template,
        jobId,
        runId: outcome.runId,
        finalState: outcome.finalState,
        result,
      };
    } catch (err) {
      throw err instanceof LadsDiscoveryError ? err : asDeviceError(err);
    } finally {
      await client.close();
    }
  });
}
