import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { MAX_PAYLOAD_BYTES, commandSchema, peekEnvelope, eventPayloadSchema, replySchema } from '../../drivers/liquid-handler/wire-contract.ts';
import { parseStationsFile, StationsFileError } from '../../src/app/external-stations.ts';
import { CampaignFileError, parseCampaign } from '../../src/config/index.ts';
import { documentBytesProblem, DocumentFileError } from '../../src/config/document-file.ts';
import { consoleCommandSchema, subscribeSchema, unsubscribeSchema } from '../../src/console/console-protocol.ts';
import type { ConsoleServer } from '../../src/console/index.ts';
import { campaignSpecSchema, liquidHandlerOperationSchema, Rng, silentLogger } from '../../src/domain/index.ts';
import { DocumentBus } from '../../src/protocol/index.ts';
import { InstantClock } from '../../simulators/clock.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../simulators/embedded-broker.ts';
import { LiquidHandlerCore } from '../../simulators/liquid/liquid-handler-core.ts';
import { MqttLiquidHandlerTwin } from '../../simulators/twins/mqtt-liquid-handler.ts';
import { SimulatedWorld } from '../../simulators/world.ts';
import { CONTRACT_STOCKS } from '../contract/liquid-handler-backend.contract.ts';
import { MemoryReader, RecordingCommands, TestClient, TOKENS, startTestServer } from '../unit/console/server-harness.ts';
import { DEFAULT_CAMPAIGN_FILE } from './default-spec.ts';
import { rawClient } from './mqtt-brokers.ts';
import type { CaseOutcome } from './opcua-fuzz.ts';

/**
 * Fuzz surfaces of every input a user or a device writes (issue 15): campaign files, stations files, MQTT command
 * payloads to the liquid-handler twin, console socket events. Each surface draws inputs with fast-check and runs one
 * against a live target, classified as accepted, rejected (a typed refusal naming the problem), untyped (anything
 * else: a raw exception, no reply) or out-of-envelope (something reached the instrument or the engine that the strict
 * schemas refuse). tests/fuzz runs a fixed seed in CI; bench/fuzz-inputs.ts runs 10 000 cases per surface.
 */
export interface FuzzTarget<I> {
  run(input: I): Promise<CaseOutcome>;
  close(): Promise<void>;
}
export interface FuzzSurface<I> {
  name: string;
  description: string;
  arbitrary: fc.Arbitrary<I>;
  caseTimeout_ms: number;
  open(): Promise<FuzzTarget<I>>;
}

// ------------------------------------------------------------------------------------------------ documents

/** A document as bytes, and whether a mutation made it invalid for sure (an unknown key, a wrong type). */
export interface DocumentInput {
  bytes: Uint8Array;
  mustReject: boolean;
}

const anyJson = fc.jsonValue({ maxDepth: 3 });
const keyName = fc.oneof(fc.constantFrom('maxStokVolume', 'budgett', 'objective', 'saftey', '__proto__', 'constructor', 'toString'), fc.string({ minLength: 1, maxLength: 12 }));

type Mutation = { kind: 'delete' | 'replace' | 'add-unknown'; path: number[]; key: string; value: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<Mutation['kind']>('delete', 'replace', 'add-unknown'),
  path: fc.array(fc.nat(20), { maxLength: 4 }),
  key: keyName,
  value: anyJson,
});

/** Applies mutations to a copy of `base`, walking `path` by index into the keys/items; reports an unknown key added. */
function mutate(base: unknown, mutations: Mutation[]): { doc: unknown; added: string[] } {
  const doc = structuredClone(base) as Record<string, unknown>;
  const added: string[] = [];
  // Unknown keys last, so a later delete or replace cannot remove them again.
  const ordered = [...mutations.filter((m) => m.kind !== 'add-unknown'), ...mutations.filter((m) => m.kind === 'add-unknown')];
  for (const m of ordered) {
    let node: unknown = doc;
    for (const step of m.path) {
      if (typeof node !== 'object' || node === null) break;
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const next = (node as Record<string, unknown>)[keys[step % keys.length]!];
      if (typeof next !== 'object' || next === null) break;
      node = next;
    }
    if (typeof node !== 'object' || node === null) continue;
    const obj = node as Record<string, unknown>;
    const keys = Object.keys(obj);
    const target = keys[m.path.length % Math.max(1, keys.length)];
    if (m.kind === 'delete' && target !== undefined) delete obj[target];
    else if (m.kind === 'replace' && target !== undefined) obj[target] = m.value;
    else if (m.kind === 'add-unknown' && !Array.isArray(obj) && !(m.key in obj) && !isRecordField(obj)) {
      Object.defineProperty(obj, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      added.push(m.key);
    }
  }
  return { doc, added };
}

/** Free-form maps (per-stock limits, coefficients, sample metadata) take any key: adding one there is legitimate. */
function isRecordField(obj: Record<string, unknown>): boolean {
  return Object.values(obj).every((v) => typeof v === 'number') && !('low' in obj) && !('trials' in obj);
}

function documentArbitrary(base: unknown): fc.Arbitrary<DocumentInput> {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const mutated = fc.tuple(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([ms, asJson]): DocumentInput => {
    const { doc, added } = mutate(base, ms);
    // YAML output drops an own `__proto__` key; JSON keeps it (and the strict schemas refuse it).
    return { bytes: enc(asJson ? JSON.stringify(doc) : toYaml(doc)), mustReject: added.some((k) => asJson || k !== '__proto__') };
  });
  const text = fc.string({ unit: 'binary', maxLength: 400 }).map((s): DocumentInput => ({ bytes: enc(s), mustReject: false }));
  const bytes = fc.uint8Array({ maxLength: 400 }).map((b): DocumentInput => ({ bytes: b, mustReject: b.includes(0) }));
  const yamlBombs = fc.constantFrom(
    'a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    '!!binary AAAA',
    '--- 1\n--- 2\n',
  ).map((s): DocumentInput => ({ bytes: enc(s), mustReject: true }));
  return fc.oneof({ weight: 6, arbitrary: mutated }, { weight: 2, arbitrary: text }, { weight: 1, arbitrary: bytes }, { weight: 1, arbitrary: yamlBombs });
}

function documentSurface(name: string, description: string, base: unknown, parse: (text: string) => unknown, typed: (e: unknown) => boolean, check: (value: unknown) => string | undefined): FuzzSurface<DocumentInput> {
  return {
    name,
    description,
    arbitrary: documentArbitrary(base),
    caseTimeout_ms: 5_000,
    open: async () => ({
      run: async (input) => {
        const problem = documentBytesProblem(input.bytes);
        if (problem) return { kind: 'rejected', reason: 'not a text document' };
        try {
          const value = parse(new TextDecoder('utf-8', { fatal: true }).decode(input.bytes));
          if (input.mustReject) return { kind: 'out-of-envelope', detail: 'accepted a document with an unknown key' };
          const bad = check(value);
          return bad ? { kind: 'out-of-envelope', detail: bad } : { kind: 'accepted' };
        } catch (e) {
          if (!typed(e)) return { kind: 'untyped', detail: String(e).slice(0, 300) };
          const first = (e as DocumentFileError).issues[0];
          return { kind: 'rejected', reason: first ? first.message.replace(/"[^"]*"/g, '"…"').slice(0, 60) : 'rejected' };
        }
      },
      close: async () => {},
    }),
  };
}

export const campaignFileSurface = documentSurface(
  'campaign-files',
  'campaign files: mutated copies of examples/oer-screen.yaml (YAML and JSON), random text, random bytes, YAML bombs',
  parseYaml(readFileSync(DEFAULT_CAMPAIGN_FILE, 'utf8')),
  (text) => parseCampaign(text, 'fuzz.yaml'),
  (e) => e instanceof CampaignFileError,
  (value) => {
    // An accepted campaign is a fixed point of the schema and keeps its own invariants.
    const again = campaignSpecSchema.safeParse(value);
    if (!again.success) return 'an accepted campaign does not parse again';
    const [lo, hi] = again.data.safety.potentialWindow_V_RHE;
    return lo < hi && again.data.budget.trials > 0 ? undefined : 'an accepted campaign breaks its invariants';
  },
);

const STATIONS_BASE = {
  schema: 'labloop.stations.v1',
  lab: 'lab1',
  broker: { url: 'mqtt://127.0.0.1:1883', username: 'u', password: 'p', protocolVersion: 5 },
  pairs: [
    { id: 'p1', cell: 'cell1', liquidHandler: { id: 'lh1' }, echem: { endpoint: 'opc.tcp://127.0.0.1:4840', unit: 'cell1', requireLock: false } },
    { id: 'p2', liquidHandler: { id: 'lh2', lab: 'lab2' } },
  ],
};

export const stationsFileSurface = documentSurface(
  'stations-files',
  'stations files: mutated copies of a two-pair file (YAML and JSON), random text, random bytes, YAML bombs',
  STATIONS_BASE,
  (text) => parseStationsFile(text, 'fuzz.yaml'),
  (e) => e instanceof StationsFileError,
  () => undefined,
);

// ------------------------------------------------------------------------------------------------ MQTT

export interface MqttInput {
  command: string;
  payload: Buffer;
}

const LAB = 'fuzz';
const DEVICE = 'lh-fuzz';
const REPLY_TO = `sdl/v1/${LAB}/_reply/fuzzer`;
const COMMANDS = ['pick_up_tips', 'drop_tips', 'aspirate', 'dispense', 'transfer', 'home', 'wash_cell', 'run_protocol', 'get_state'] as const;

const bodyOf = (command: string): fc.Arbitrary<Record<string, unknown>> =>
  fc.record({
    kind: fc.oneof(fc.constant(command), fc.constantFrom(...COMMANDS)),
    channel: fc.oneof(fc.integer({ min: -2, max: 20 }), anyJson),
    channels: fc.array(fc.integer({ min: -1, max: 17 }), { maxLength: 20 }),
    source: fc.oneof(fc.constantFrom('stock:Ni', 'stock:Fe', 'cell:p1', 'waste'), fc.string({ maxLength: 300 })),
    target: fc.oneof(fc.constantFrom('cell:p1', 'waste', 'stock:Ni'), fc.string({ maxLength: 300 })),
    volume: fc.oneof(fc.double({ min: -10, max: 5000, noNaN: true }), fc.constantFrom(0, 1e9, -1, Number.MAX_VALUE), anyJson),
    tipRack: fc.constantFrom('tips:A', 'tips:B'),
    cell: fc.constantFrom('cell:p1', ''),
    steps: fc.array(fc.record({ kind: fc.constantFrom('home', 'aspirate', 'transfer'), channel: fc.integer({ min: 0, max: 3 }), source: fc.constant('stock:Ni'), target: fc.constant('cell:p1'), volume: fc.double({ min: 0, max: 500, noNaN: true }) }, { requiredKeys: ['kind'] }), { maxLength: 5 }),
    commandId: fc.string({ maxLength: 20 }),
    extra: anyJson,
  }, { requiredKeys: ['kind'] });

/** Bodies the contract accepts (the device may still refuse them: volumes, tips, stock). */
const validBody = (command: string): fc.Arbitrary<Record<string, unknown>> => {
  const channel = fc.integer({ min: 0, max: 3 });
  const volume = fc.double({ min: 0.5, max: 900, noNaN: true });
  switch (command) {
    case 'pick_up_tips':
      return fc.record({ kind: fc.constant(command), channels: fc.array(channel, { minLength: 1, maxLength: 2 }), tipRack: fc.constantFrom('tips:A', 'tips:B') });
    case 'drop_tips':
      return fc.record({ kind: fc.constant(command), channels: fc.array(channel, { minLength: 1, maxLength: 2 }) });
    case 'aspirate':
      return fc.record({ kind: fc.constant(command), channel, source: fc.constantFrom('stock:Ni', 'stock:Fe'), volume });
    case 'dispense':
      return fc.record({ kind: fc.constant(command), channel, target: fc.constantFrom('cell:p1', 'waste'), volume });
    case 'transfer':
      return fc.record({ kind: fc.constant(command), channel, source: fc.constantFrom('stock:Ni', 'stock:Fe'), target: fc.constant('cell:p1'), volume, newTip: fc.boolean() });
    case 'wash_cell':
      return fc.record({ kind: fc.constant(command), cell: fc.constant('cell:p1'), cycles: fc.integer({ min: 1, max: 3 }) });
    case 'get_state':
      return fc.record({ kind: fc.constant(command), commandId: fc.constantFrom('fz-1', 'nope') });
    default:
      return fc.record({ kind: fc.constant(command) });
  }
};

const mqttInput: fc.Arbitrary<MqttInput> = fc.constantFrom(...COMMANDS, 'explode', 'cmd/../x').chain((command) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.tuple(validBody(command), fc.nat()).map(([body, n]) => {
      const t = Date.now();
      const payload = { schema: 'sdl.cmd.v1', commandId: `ok-${n}-${randomBytes(4).toString('hex')}`, replyTo: REPLY_TO, issuedAt: new Date(t).toISOString(), expiresAt: new Date(t + 30_000).toISOString(), command, body };
      return { command, payload: Buffer.from(JSON.stringify(payload)) };
    }) },
    { weight: 6, arbitrary: fc.tuple(bodyOf(command), fc.record({ ttl: fc.integer({ min: -5, max: 60 }), replyTo: fc.oneof(fc.constant(REPLY_TO), fc.constant('sdl/v1/other/_reply/x'), fc.constant('#')), schema: fc.constantFrom('sdl.cmd.v1', 'sdl.cmd.v0'), sender: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }) }), fc.nat()).map(([body, env, n]) => {
      const t = Date.now();
      const payload = { schema: env.schema, commandId: `fz-${n}-${randomBytes(4).toString('hex')}`, replyTo: env.replyTo, issuedAt: new Date(t).toISOString(), expiresAt: new Date(t + env.ttl * 1000).toISOString(), command, body, ...(env.sender !== undefined ? { sender: env.sender } : {}) };
      return { command, payload: Buffer.from(JSON.stringify(payload)) };
    }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ command, payload: Buffer.from(b) })) },
    { weight: 1, arbitrary: fc.integer({ min: MAX_PAYLOAD_BYTES - 10, max: MAX_PAYLOAD_BYTES + 10_000 }).map((size) => ({ command, payload: Buffer.from(`{"schema":"sdl.cmd.v1","commandId":"big","replyTo":"${REPLY_TO}","pad":"${'x'.repeat(size)}"}`) })) },
  ),
);

/** Would the strict wire contract let this payload execute? (The twin's own checks may still refuse it.) */
function executable(input: MqttInput): boolean {
  return contractOk(input) && !input.payload.includes('"kind":"get_state"');
}

/** Does the strict wire contract accept this payload on this topic? */
function contractOk(input: MqttInput): boolean {
  if (input.payload.length > MAX_PAYLOAD_BYTES) return false;
  let json: unknown;
  try {
    json = JSON.parse(input.payload.toString('utf8'));
  } catch {
    return false;
  }
  const cmd = commandSchema.safeParse(json);
  return cmd.success && cmd.data.command === input.command && (cmd.data.body.kind === 'get_state' || liquidHandlerOperationSchema.safeParse(cmd.data.body).success);
}

async function openMqttTarget(): Promise<FuzzTarget<MqttInput>> {
  const broker: EmbeddedBroker = await startEmbeddedBroker();
  const core = new LiquidHandlerCore({ deviceId: DEVICE, world: new SimulatedWorld(CONTRACT_STOCKS), clock: new InstantClock(), rng: new Rng(7), wallClock: () => Date.now() });
  const twin = new MqttLiquidHandlerTwin({ lab: LAB, core, broker: { url: broker.url, protocolVersion: 4, clientId: `twin-${DEVICE}` }, logger: silentLogger });
  await twin.start();
  const client: MqttClient = await rawClient(broker.url, 'fuzzer');
  await client.subscribeAsync([REPLY_TO, twin.topics.evt('alarm')], { qos: 1 });
  let waiting: ((topic: string, payload: Buffer) => void) | undefined;
  client.on('message', (topic, payload) => waiting?.(topic, payload));
  // Runs are attributed by their commandId: an accepted command's run may start after its reply, while a later case
  // is already being answered, so a count of executions would blame the wrong case.
  const executableIds = new Set<string>();
  const strayRuns: string[] = [];
  core.onEvent((e) => {
    if (e.type === 'run.started' && !executableIds.has(e.runId)) strayRuns.push(e.runId);
  });
  return {
    run: async (input) => {
      const id = peekEnvelope(input.payload).commandId ?? null;
      if (id !== null && executable(input)) executableIds.add(id);
      const strayBefore = strayRuns.length;
      const answer = new Promise<{ topic: string; payload: Buffer }>((resolve) => {
        waiting = (topic, payload) => {
          // Finals of earlier accepted commands may arrive late: wait for this one's first answer.
          if (topic === REPLY_TO) {
            const reply = replySchema.safeParse(JSON.parse(payload.toString()));
            if (reply.success && reply.data.commandId !== id && reply.data.commandId !== null) return;
          }
          resolve({ topic, payload });
        };
      });
      await client.publishAsync(`${twin.topics.base}/cmd/${input.command}`, input.payload, { qos: 1 });
      const { topic, payload } = await answer;
      waiting = undefined;
      if (strayRuns.length > strayBefore) return { kind: 'out-of-envelope', detail: `a payload the strict contract refuses reached the device core (command ${strayRuns.slice(strayBefore).join(', ')})` };
      if (topic !== REPLY_TO) {
        const evt = eventPayloadSchema.safeParse(JSON.parse(payload.toString()));
        return evt.success && evt.data.event === 'alarm' ? { kind: 'rejected', reason: 'alarm: no usable replyTo' } : { kind: 'untyped', detail: payload.toString().slice(0, 200) };
      }
      const reply = replySchema.safeParse(JSON.parse(payload.toString()));
      if (!reply.success) return { kind: 'untyped', detail: 'reply does not match sdl.reply.v1' };
      if (reply.data.status === 'rejected') {
        if (!reply.data.reason) return { kind: 'untyped', detail: 'refusal without a reason' };
        return { kind: 'rejected', reason: (reply.data.reason ?? '').replace(/"[^"]*"|\d+/g, '…').slice(0, 60) };
      }
      return contractOk(input) ? { kind: 'accepted' } : { kind: 'out-of-envelope', detail: `accepted a payload the contract refuses: ${input.payload.toString().slice(0, 200)}` };
    },
    close: async () => {
      await client.endAsync(true);
      await twin.stop();
      await broker.close();
    },
  };
}

export const mqttPayloadSurface: FuzzSurface<MqttInput> = {
  name: 'mqtt-payloads',
  description: 'MQTT commands to the liquid-handler twin on an embedded broker: mutated envelopes and bodies, random bytes, payloads around 256 KB',
  arbitrary: mqttInput,
  caseTimeout_ms: 5_000,
  open: openMqttTarget,
};

// ------------------------------------------------------------------------------------------------ console

export interface ConsoleInput {
  event: string;
  payload: unknown;
}

/** Names socket.io clients may not emit. */
const RESERVED_EVENTS = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

const consoleInput: fc.Arbitrary<ConsoleInput> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ event: fc.constant('command'), payload: fc.oneof(
    fc.record({ action: fc.constantFrom('pause', 'resume', 'abort', 'approve', 'reject', 'recover', 'quarantine', 'release', 'explode'), campaignId: fc.constantFrom('camp-1', 'other', '', 'a b'), trialId: fc.string({ maxLength: 30 }), station: fc.constantFrom('pair1', '../x'), decision: fc.constantFrom('retry', 'skip', 'abandon', 'maybe'), reason: fc.string({ maxLength: 600 }), reasn: anyJson }, { requiredKeys: ['action'] }),
    anyJson,
  ) }) },
  { weight: 2, arbitrary: fc.record({ event: fc.constantFrom('subscribe', 'unsubscribe'), payload: fc.oneof(fc.record({ campaignId: fc.constantFrom('camp-1', 'nope', ''), afterSeq: fc.oneof(fc.integer({ min: -5, max: 100 }), anyJson) }, { requiredKeys: [] }), anyJson) }) },
  { weight: 1, arbitrary: fc.record({ event: fc.string({ maxLength: 80 }).map((e) => (RESERVED_EVENTS.has(e) ? `x-${e}` : e)), payload: anyJson }) },
);

async function openConsoleTarget(): Promise<FuzzTarget<ConsoleInput>> {
  const bus = new DocumentBus();
  const commands = new RecordingCommands('camp-1');
  const server: ConsoleServer = await startTestServer({ reader: new MemoryReader(bus, 0), bus, commands, logger: silentLogger });
  const client = new TestClient(server.url, TOKENS.operator);
  await client.connected();
  let paced = 0;
  return {
    run: async (input) => {
      // Stay inside the per-connection budget (50 events/s) so every event is judged on its content.
      if (++paced % 40 === 0) await new Promise((r) => setTimeout(r, 800));
      const executedBefore = commands.executed.length;
      const reply = await client.request(input.event, input.payload).catch((e: unknown) => ({ ok: false as const, code: 'timeout', error: String(e) }));
      const ran = commands.executed.length > executedBefore;
      const valid =
        input.event === 'command' ? consoleCommandSchema.safeParse(input.payload).success : input.event === 'subscribe' ? subscribeSchema.safeParse(input.payload).success : input.event === 'unsubscribe' ? unsubscribeSchema.safeParse(input.payload).success : false;
      if (ran && !valid) return { kind: 'out-of-envelope', detail: `executed an invalid command: ${JSON.stringify(input).slice(0, 200)}` };
      if (typeof reply !== 'object' || reply === null || typeof (reply as { ok?: unknown }).ok !== 'boolean') return { kind: 'untyped', detail: 'no reply' };
      if (reply.ok) return valid ? { kind: 'accepted' } : { kind: 'out-of-envelope', detail: `accepted an invalid event: ${JSON.stringify(input).slice(0, 200)}` };
      const code = (reply as { code?: unknown }).code;
      if (typeof code !== 'string' || code === 'internal' || code === 'timeout') return { kind: 'untyped', detail: `${String(code)}: ${(reply as { error?: string }).error ?? ''}`.slice(0, 200) };
      return { kind: 'rejected', reason: code };
    },
    close: async () => {
      client.close();
      await server.close();
    },
  };
}

export const consoleEventSurface: FuzzSurface<ConsoleInput> = {
  name: 'console-events',
  description: 'socket.io events to a console with a controllable campaign: commands with arbitrary fields, subscriptions, unknown events',
  arbitrary: consoleInput,
  caseTimeout_ms: 12_000,
  open: openConsoleTarget,
};

export const INPUT_SURFACES = [campaignFileSurface, stationsFileSurface, mqttPayloadSurface, consoleEventSurface] as const;
