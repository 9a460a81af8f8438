import fc from 'fast-check';
import { DataType, NodeId, type VariantLike } from 'node-opcua';
import { OpaqueStructure } from 'node-opcua-extension-object';
import type { TechniqueRun } from '../../src/domain/index.ts';
import { TECHNIQUE_PARAMS, checkTechniqueParams, type ParamSpec } from '../../drivers/electrochem/technique-params.ts';
import { LadsBrowser, type UnitNodes } from '../../drivers/lads/lads-browser.ts';
import { LADS_BINARY_ENCODINGS, LADS_NAMESPACES } from '../../drivers/lads/node-map.ts';
import { OpcuaClientTransport, withTimeout } from '../../drivers/transport/opcua-client.ts';
import { ZeroDelayClock } from '../../simulators/clock.ts';
import { fillCellWithRecipe, opcuaPkiFolder, startTwinFixture, type TwinFixture } from './opcua-station.ts';

/**
 * Fuzzing the station twin's OPC UA methods (issue 15): StartProgram, the DI lock methods and Stop/Abort/Clear, called
 * with arbitrary arguments — wrong types and counts, huge strings and arrays, KeyValue properties with hostile keys
 * and values, structures of random bytes under the KeyValueType encoding — and well-formed programs with parameters
 * at and beyond the instrument's limits. Each case is classified: accepted (Good), rejected (a Bad status code other
 * than an internal error: a typed refusal), untyped (BadInternalError or an error that is not an OPC UA status),
 * out-of-envelope (a run reached the station core with parameters it must refuse). Hangs and crashes are counted by
 * the runner. The shape matches the project's fuzz surfaces (name, description, arbitrary, open → run/close).
 */
export type CaseOutcome = { kind: 'accepted' } | { kind: 'rejected'; reason: string } | { kind: 'untyped'; detail: string } | { kind: 'out-of-envelope'; detail: string };

type Arg = { t: 'string'; v: string } | { t: 'double'; v: number } | { t: 'int'; v: number } | { t: 'bool'; v: boolean } | { t: 'props'; v: [string, string][] } | { t: 'samples'; v: string[][] } | { t: 'bytes'; v: number[] } | { t: 'null' };

export type OpcuaCall = { method: 'StartProgram' | 'InitLock' | 'ExitLock' | 'RenewLock' | 'BreakLock' | 'Stop' | 'Abort' | 'Clear'; args: Arg[] };

const TEMPLATES = ['OCP', 'CV', 'LSV', 'CA', 'CP', 'PEIS', 'OER_Screen_v1'] as const;
const PARAMS = ['duration', 'ocpDuration', 'sampleInterval', 'scanRate_V_s', 'lsvStart_V_RHE', 'lsvEnd_V_RHE', 'lsvStep_V', 'cvCycles', 'area', 'currentLimit_A', 'eisFreqHigh_Hz', 'eisFreqLow_Hz', 'withCp', 'cpCurrentDensity'];

const nastyString = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.constantFrom('', ' ', '\u0000', 'OCP\u0000', '../../x', '__proto__', 'constructor', 'NaN', 'Infinity', '1e999', '-0', '😀', '\u202e', 'sample.trialId', 'sample.'),
  fc.integer({ min: 60, max: 3000 }).map((n) => 'k'.repeat(n)),
  fc.integer({ min: 1000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);
/** A property value as the station expects it (a JSON number), or not. */
const propertyValue = fc.oneof(
  { weight: 3, arbitrary: fc.double({ noNaN: false }).map((x) => JSON.stringify(x) ?? 'null') },
  { weight: 2, arbitrary: fc.constantFrom('0', '-1', '1e308', '1e-320', '0.5', '100000', '"text"', 'null', 'true', '[]', '{}', '1e999', 'NaN') },
  { weight: 1, arbitrary: nastyString },
);
const property = fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...PARAMS) }, { weight: 1, arbitrary: nastyString }), propertyValue);
const anyArg: fc.Arbitrary<Arg> = fc.oneof(
  nastyString.map((v) => ({ t: 'string' as const, v })),
  fc.double().map((v) => ({ t: 'double' as const, v })),
  fc.integer().map((v) => ({ t: 'int' as const, v })),
  fc.boolean().map((v) => ({ t: 'bool' as const, v })),
  fc.array(property, { maxLength: 100 }).map((v) => ({ t: 'props' as const, v })),
  fc.array(fc.array(nastyString, { minLength: 0, maxLength: 5 }), { maxLength: 30 }).map((v) => ({ t: 'samples' as const, v })),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }).map((v) => ({ t: 'bytes' as const, v })),
  fc.constant({ t: 'null' as const }),
);
/** StartProgram with the right argument types: a template, fuzzed properties, a job id. */
const wellFormedStart: fc.Arbitrary<OpcuaCall> = fc
  .tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...TEMPLATES) }, { weight: 1, arbitrary: nastyString }), fc.array(property, { maxLength: 8 }), fc.oneof(fc.uuid(), nastyString), fc.option(nastyString, { nil: '' }))
  .map(([template, props, jobId, taskId]) => ({
    method: 'StartProgram' as const,
    args: [{ t: 'string', v: template }, { t: 'props', v: props }, { t: 'string', v: jobId }, { t: 'string', v: taskId }, { t: 'samples', v: [['cell1', 't', 'cell1', '']] }],
  }));
/** Properties at, inside and just beyond the instrument's limits (the envelope's edges). */
const edgeProperty = fc.constantFrom(...(Object.entries(TECHNIQUE_PARAMS) as [string, ParamSpec][])).chain(([key, spec]) =>
  fc.oneof(fc.constantFrom(spec.min, spec.max, spec.default), fc.double({ min: spec.min, max: spec.max, noNaN: true }), fc.constantFrom(spec.min - Math.abs(spec.min) * 1e-9 - 1e-12, spec.max * (1 + 1e-9) + 1e-12)).map((v) => [key, JSON.stringify(v)] as [string, string]),
);
const edgeStart: fc.Arbitrary<OpcuaCall> = fc.tuple(fc.constantFrom(...TEMPLATES), fc.array(edgeProperty, { maxLength: 4 }), fc.uuid()).map(([template, props, jobId]) => ({
  method: 'StartProgram' as const,
  args: [{ t: 'string', v: template }, { t: 'props', v: props }, { t: 'string', v: jobId }, { t: 'string', v: '' }, { t: 'samples', v: [] }],
}));
const anyCall: fc.Arbitrary<OpcuaCall> = fc.record({
  method: fc.constantFrom('StartProgram', 'InitLock', 'ExitLock', 'RenewLock', 'BreakLock', 'Stop', 'Abort', 'Clear'),
  args: fc.array(anyArg, { maxLength: 7 }),
});

export const opcuaCallArbitrary: fc.Arbitrary<OpcuaCall> = fc.oneof({ weight: 2, arbitrary: edgeStart }, { weight: 2, arbitrary: wellFormedStart }, { weight: 2, arbitrary: anyCall });

export interface OpcuaFuzzTarget {
  run(input: OpcuaCall): Promise<CaseOutcome>;
  close(): Promise<void>;
}

export const opcuaCallsSurface = {
  name: 'opcua-calls',
  description: 'OPC UA method calls to the station twin (StartProgram, lock, Stop/Abort/Clear) with arbitrary arguments',
  arbitrary: opcuaCallArbitrary,
  caseTimeout_ms: 10_000,
  open: openTarget,
};

async function openTarget(): Promise<OpcuaFuzzTarget> {
  const fx: TwinFixture = await startTwinFixture('fuzz', { clock: new ZeroDelayClock() });
  fillCellWithRecipe(fx.world, 'cell1', { Ni: 0.6, Fe: 0.2, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 50, complexant: 5 });
  // Every run that reaches the instrument is checked against its envelope.
  const core = fx.cores[0];
  if (!core) throw new Error('no station core');
  const reached: TechniqueRun[] = [];
  const seen = new Set<string>();
  const start = core.start.bind(core);
  core.start = (run, commandId) => {
    const record = start(run, commandId);
    if (!seen.has(record.runId)) {
      seen.add(record.runId);
      reached.push(record.run);
    }
    return record;
  };
  const connect = async (): Promise<{ t: OpcuaClientTransport; n: UnitNodes }> => {
    const t = new OpcuaClientTransport({ endpointUrl: fx.endpointUrl, pkiFolder: `${opcuaPkiFolder('fuzz')}/client`, acceptUnknownServerCertificate: true, requestTimeout_s: 8 });
    await t.connect();
    const browser = new LadsBrowser(t);
    const { unit } = await browser.locateUnit({ device: 'es1', unit: 'cell1' });
    return { t, n: await browser.unitNodes(unit.nodeId) };
  };
  let session = await connect();
  return {
    async run(call) {
      const { t, n } = session;
      const object = call.method.endsWith('Lock') ? n.lock : n.state;
      const key = (call.method.charAt(0).toLowerCase() + call.method.slice(1)) as 'startProgram' | 'initLock' | 'exitLock' | 'renewLock' | 'breakLock' | 'stop' | 'abort' | 'clear';
      const method = n[key];
      if (!object || !method) return { kind: 'untyped', detail: `unit has no ${call.method}` };
      const before = reached.length;
      let outcome: CaseOutcome;
      try {
        const args = call.args.map((a) => variantOf(a, t));
        const r = await withTimeout(t.call(object, method, args), 8000, call.method);
        const name = r.statusCode.name;
        outcome = r.statusCode.isGood() ? { kind: 'accepted' } : name === 'BadInternalError' || name === 'BadUnexpectedError' ? { kind: 'untyped', detail: name } : { kind: 'rejected', reason: name };
      } catch (err) {
        const message = (err as Error).message;
        // The transport refuses a request over the negotiated message size before sending it: a typed refusal.
        if (/Bad[A-Z][A-Za-z]+/.test(message)) outcome = { kind: 'rejected', reason: /Bad[A-Z][A-Za-z]+/.exec(message)?.[0] ?? message };
        else outcome = { kind: 'untyped', detail: message };
        if (!t.connected || /closed|disconnect|socket/i.test(message)) {
          await t.close().catch(() => undefined);
          session = await connect();
        }
      }
      for (const run of reached.slice(before)) {
        const issues = checkTechniqueParams(run);
        if (issues.length > 0) return { kind: 'out-of-envelope', detail: issues.join('; ') };
      }
      // Keep the unit usable for the next case: a run that was left Aborted is cleared, a running one aborted.
      await withTimeout(session.t.call(n.state as NodeId, n.clear as NodeId, []), 8000, 'clear').catch(() => undefined);
      return outcome;
    },
    async close() {
      await session.t.close();
      await fx.close();
    },
  };
}

function variantOf(a: Arg, t: OpcuaClientTransport): VariantLike {
  switch (a.t) {
    case 'string':
      return { dataType: DataType.String, value: a.v };
    case 'double':
      return { dataType: DataType.Double, value: a.v };
    case 'int':
      return { dataType: DataType.Int32, value: a.v | 0 };
    case 'bool':
      return { dataType: DataType.Boolean, value: a.v };
    case 'null':
      return { dataType: DataType.Null, value: null };
    case 'props':
      return { dataType: DataType.ExtensionObject, arrayType: 1, value: a.v.map(([k, v]) => t.stringStructure(LADS_NAMESPACES.LADS, LADS_BINARY_ENCODINGS.KeyValueType, [k, v])) };
    case 'samples':
      return { dataType: DataType.ExtensionObject, arrayType: 1, value: a.v.map((f) => t.stringStructure(LADS_NAMESPACES.LADS, LADS_BINARY_ENCODINGS.SampleInfoType, f)) };
    case 'bytes':
      // Random bytes under the KeyValueType encoding: the server must refuse what it cannot decode.
      return { dataType: DataType.ExtensionObject, arrayType: 1, value: [new OpaqueStructure(new NodeId(NodeId.NodeIdType.NUMERIC, LADS_BINARY_ENCODINGS.KeyValueType, t.namespaceIndex(LADS_NAMESPACES.LADS)), Buffer.from(a.v))] };
  }
}

