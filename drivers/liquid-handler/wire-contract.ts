import { z } from 'zod';
import {
  describeSchemaIssues,
  schemaIssues,
  strictObject,
  aspirateOpSchema,
  deviceStateSchema,
  dispenseOpSchema,
  dropTipsOpSchema,
  failureSchema,
  homeOpSchema,
  operationResultSchema,
  pickUpTipsOpSchema,
  runProtocolOpSchema,
  transferOpSchema,
  washCellOpSchema,
  runStatusSchema,
  type DeviceState,
  type DeviceStatus,
  type Failure,
  type LiquidHandlerOperation,
  type OperationResult,
  type RunStatus,
} from '../../src/domain/index.ts';

/**
 * The MQTT wire contract of a labloop liquid handler (DEVICES.md, "MQTT"): topic tree and zod payload schemas,
 * imported by the driver (drivers/liquid-handler/mqtt-backend.ts) and by the twin
 * (simulators/twins/mqtt-liquid-handler.ts). Request/response works on MQTT 3.1.1: the JSON payload carries
 * `commandId` (correlation id), `replyTo` and `expiresAt`; on MQTT 5 the same values are also sent as properties.
 */

export const WIRE_VERSION = 'v1';
export const DEVICE_CLASS = 'liquid-handler';

/** Topic segment ids (lab, device, client): `[a-z0-9-]`. */
export const topicIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'ids are 1-64 characters of [a-z0-9-]');
/** Idempotency key of a command (a ULID in practice). */
export const commandIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,80}$/, 'commandId is 1-80 characters of [A-Za-z0-9._:-]');
const isoTime = z.iso.datetime({ offset: true });

export const LIQUID_HANDLER_COMMANDS = [
  'pick_up_tips',
  'drop_tips',
  'aspirate',
  'dispense',
  'transfer',
  'home',
  'wash_cell',
  'run_protocol',
  'get_state',
] as const;
export const commandNameSchema = z.enum(LIQUID_HANDLER_COMMANDS);
export type LiquidHandlerCommandName = z.infer<typeof commandNameSchema>;

export const LIQUID_HANDLER_EVENTS = ['run.accepted', 'run.started', 'run.step', 'run.completed', 'run.failed', 'run.cancelled', 'alarm'] as const;
export const eventNameSchema = z.enum(LIQUID_HANDLER_EVENTS);
export type LiquidHandlerEventName = z.infer<typeof eventNameSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Topics

export interface LiquidHandlerTopics {
  base: string;
  state: string;
  description: string;
  status: string;
  cmd(command: LiquidHandlerCommandName): string;
  /** Subscription filter of the device: every command. */
  cmdFilter: string;
  evt(event: LiquidHandlerEventName): string;
  evtFilter: string;
  result(runId: string): string;
  resultFilter: string;
  data(runId: string, stream: string): string;
  /** Subscription filter for live data: one run or all (`+`), one stream or all. */
  dataFilter(runId?: string, stream?: string): string;
}

export function liquidHandlerTopics(lab: string, deviceId: string): LiquidHandlerTopics {
  topicIdSchema.parse(lab);
  topicIdSchema.parse(deviceId);
  const base = `sdl/${WIRE_VERSION}/${lab}/${DEVICE_CLASS}/${deviceId}`;
  return {
    base,
    state: `${base}/$state`,
    description: `${base}/$description`,
    status: `${base}/status`,
    cmd: (command) => `${base}/cmd/${command}`,
    cmdFilter: `${base}/cmd/#`,
    evt: (event) => `${base}/evt/${event}`,
    evtFilter: `${base}/evt/#`,
    result: (runId) => `${base}/result/${runId}`,
    resultFilter: `${base}/result/+`,
    data: (runId, stream) => `${base}/data/${runId}/${stream}`,
    dataFilter: (runId, stream) => `${base}/data/${runId ?? '+'}/${stream ?? '+'}`,
  };
}

/** The agent's response topic (broker ACL: only that client subscribes). */
export function replyTopicFor(lab: string, clientId: string): string {
  topicIdSchema.parse(lab);
  topicIdSchema.parse(clientId);
  return `sdl/${WIRE_VERSION}/${lab}/_reply/${clientId}`;
}

/** Retained orchestrator state (LWT `lost`): devices finish the current step safely and hold when it is lost. */
export function orchestratorStateTopic(lab: string): string {
  topicIdSchema.parse(lab);
  return `sdl/${WIRE_VERSION}/${lab}/orchestrator/$state`;
}

/** The command segment of a `.../cmd/<command>` topic (not validated), or undefined if the topic is not a command. */
export function commandOfTopic(topics: LiquidHandlerTopics, topic: string): string | undefined {
  const prefix = `${topics.base}/cmd/`;
  return topic.startsWith(prefix) ? topic.slice(prefix.length) : undefined;
}

/** A reply topic a device may answer to: a concrete topic (no wildcards) under `sdl/v1/<lab>/_reply/`. */
export function isUsableReplyTopic(lab: string, topic: unknown): topic is string {
  if (typeof topic !== 'string' || topic.length > 256) return false;
  if (/[#+\u0000]/.test(topic)) return false;
  const prefix = `sdl/${WIRE_VERSION}/${lab}/_reply/`;
  return topic.startsWith(prefix) && topic.length > prefix.length;
}

// ---------------------------------------------------------------------------------------------------------------
// Payloads

/** Body of `get_state`: asks for the stored state (and result) of an earlier command. */
export const getStateBodySchema = strictObject({ kind: z.literal('get_state'), commandId: commandIdSchema });
export type GetStateBody = z.infer<typeof getStateBodySchema>;
export type CommandBody = LiquidHandlerOperation | GetStateBody;

/** The body schema of each command (validated per command, so an error names the bad field: `body.volume`). */
export const commandBodySchemas = {
  pick_up_tips: pickUpTipsOpSchema,
  drop_tips: dropTipsOpSchema,
  aspirate: aspirateOpSchema,
  dispense: dispenseOpSchema,
  transfer: transferOpSchema,
  home: homeOpSchema,
  wash_cell: washCellOpSchema,
  run_protocol: runProtocolOpSchema,
  get_state: getStateBodySchema,
} as const satisfies Record<LiquidHandlerCommandName, z.ZodType<CommandBody>>;

const commandEnvelopeSchema = strictObject({
  schema: z.literal('sdl.cmd.v1'),
  commandId: commandIdSchema,
  replyTo: z.string().min(1).max(256),
  issuedAt: isoTime,
  expiresAt: isoTime,
  command: commandNameSchema,
  body: strictObject({ kind: z.string() }).loose(),
  /** Who sent it (client id; also the lock owner shown in `status`). */
  sender: z.string().max(128).optional(),
});

export interface CommandPayload extends Omit<z.infer<typeof commandEnvelopeSchema>, 'body'> {
  body: CommandBody;
}

/** `sdl.cmd.v1`: the envelope, then the body against the schema of the named command. */
export const commandSchema = commandEnvelopeSchema.transform((cmd, ctx): CommandPayload => {
  if (cmd.body.kind !== cmd.command) {
    ctx.addIssue({ code: 'custom', path: ['body', 'kind'], message: `body.kind "${cmd.body.kind}" does not match command "${cmd.command}"` });
    return z.NEVER;
  }
  if (Date.parse(cmd.expiresAt) < Date.parse(cmd.issuedAt)) {
    ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'expiresAt is before issuedAt' });
    return z.NEVER;
  }
  const body = (commandBodySchemas[cmd.command] as z.ZodType<CommandBody>).safeParse(cmd.body);
  if (!body.success) {
    for (const issue of schemaIssues(body.error)) ctx.addIssue({ code: 'custom', path: ['body', ...issue.path.split('.').filter(Boolean)], message: issue.message });
    return z.NEVER;
  }
  return { ...cmd, body: body.data };
});

/** State of one command as the device knows it (answer of `get_state`). */
export const commandStateSchema = strictObject({
  commandId: commandIdSchema,
  runStatus: runStatusSchema,
  result: operationResultSchema.optional(),
});
export type CommandState = z.infer<typeof commandStateSchema>;

export const REPLY_STATUSES = ['accepted', 'rejected', 'succeeded', 'failed'] as const;
export const replySchema = strictObject({
    schema: z.literal('sdl.reply.v1'),
    /** Null when the command was too malformed to name one. */
    commandId: z.string().max(80).nullable(),
    deviceId: z.string(),
    status: z.enum(REPLY_STATUSES),
    reason: z.string().max(4000).optional(),
    result: operationResultSchema.optional(),
    /** Set on `rejected` when the refusal has a code of its own (e.g. COMMAND_EXPIRED). */
    failure: failureSchema.optional(),
    /** Answer of `get_state`. */
    state: commandStateSchema.optional(),
    /** True when this reply repeats a stored one (duplicate delivery or a retried commandId). */
    duplicate: z.boolean().default(false),
    repliedAt: isoTime,
  })
  .superRefine((r, ctx) => {
    if (r.status === 'rejected' && !r.reason) ctx.addIssue({ code: 'custom', path: ['reason'], message: 'a rejected reply needs a reason' });
    if ((r.status === 'succeeded' || r.status === 'failed') && !r.result && !r.state)
      ctx.addIssue({ code: 'custom', path: ['result'], message: `a ${r.status} reply needs a result or a state` });
  });
export type ReplyPayload = z.infer<typeof replySchema>;
export type ReplyStatus = ReplyPayload['status'];

export const limitsSchema = strictObject({
  channels: z.number().int().min(1).max(16),
  /** Smallest and largest single aspiration/dispense, µL. */
  minVolume: z.number().positive(),
  maxVolume: z.number().positive(),
  /** Largest `transfer` (split into tip-sized moves by the device), µL. */
  maxTransferVolume: z.number().positive(),
  cellCapacity: z.number().positive(),
});
export type LiquidHandlerLimits = z.infer<typeof limitsSchema>;

export const descriptionSchema = strictObject({
  schema: z.literal('sdl.description.v1'),
  deviceId: z.string(),
  deviceClass: z.literal(DEVICE_CLASS),
  model: z.string(),
  serial: z.string(),
  firmware: z.string(),
  simulated: z.boolean(),
  schemaVersion: z.literal(WIRE_VERSION),
  commands: z.array(commandNameSchema),
  limits: limitsSchema,
  units: strictObject({ volume: z.literal('uL'), time: z.literal('s') }),
});
export type DescriptionPayload = z.infer<typeof descriptionSchema>;

export const statusPayloadSchema = strictObject({
  schema: z.literal('sdl.status.v1'),
  deviceId: z.string(),
  state: deviceStateSchema,
  activeRunId: z.string().optional(),
  lockOwner: z.string().optional(),
  /** Channels that carry a tip. */
  tipsMounted: z.array(z.number().int().min(0).max(15)),
  tipsUsed: z.number().int().nonnegative(),
  commandsCompleted: z.number().int().nonnegative(),
  lastCommandId: z.string().optional(),
  /** Set while the device holds (orchestrator lost): it finished its current step and starts nothing new. */
  hold: strictObject({ reason: z.string().max(500), since: isoTime }).optional(),
  updatedAt: isoTime,
});
export type StatusPayload = z.infer<typeof statusPayloadSchema>;

export const eventPayloadSchema = strictObject({
  schema: z.literal('sdl.evt.v1'),
  deviceId: z.string(),
  event: eventNameSchema,
  runId: z.string().optional(),
  at: isoTime,
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type EventPayload = z.infer<typeof eventPayloadSchema>;

export const resultPayloadSchema = strictObject({
  schema: z.literal('sdl.result.liquid.v1'),
  deviceId: z.string(),
  runId: z.string(),
  result: operationResultSchema,
});
export type ResultPayload = z.infer<typeof resultPayloadSchema>;

/** Live data streams of a run (`data/<runId>/<stream>`). `progress`: one chunk per finished protocol step. */
export const DATA_STREAMS = ['progress'] as const;
export const dataStreamSchema = z.enum(DATA_STREAMS);
export type DataStream = z.infer<typeof dataStreamSchema>;

/**
 * A live data chunk (QoS 0: may be lost; the final result is authoritative). `seq` counts 0, 1, 2, ... per run and
 * stream, so a gap shows a lost chunk; `samples` is columnar (equal-length arrays, units in the keys).
 */
export const dataChunkSchema = strictObject({
    schema: z.literal('sdl.data.v1'),
    deviceId: z.string(),
    runId: z.string(),
    stream: dataStreamSchema,
    seq: z.number().int().nonnegative(),
    at: isoTime,
    samples: z.record(z.string(), z.array(z.union([z.number(), z.string()])).max(10_000)),
    /** True on the last chunk of a run (it may be lost too). */
    final: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    const lengths = new Set(Object.values(c.samples).map((a) => a.length));
    if (lengths.size > 1) ctx.addIssue({ code: 'custom', path: ['samples'], message: 'sample columns differ in length' });
  });
export type DataChunk = z.infer<typeof dataChunkSchema>;

/** Retained `$state` is a bare state word (LWT payload `lost`). */
export const statePayloadSchema = deviceStateSchema;

// ---------------------------------------------------------------------------------------------------------------
// Builders and helpers shared by driver and twin

export interface BuildCommandInput {
  commandId: string;
  replyTo: string;
  body: CommandBody;
  /** Wall-clock ms. */
  issuedAt_ms: number;
  ttl_s: number;
  sender?: string;
}

export function buildCommand(input: BuildCommandInput): CommandPayload {
  return commandSchema.parse({
    schema: 'sdl.cmd.v1',
    commandId: input.commandId,
    replyTo: input.replyTo,
    issuedAt: new Date(input.issuedAt_ms).toISOString(),
    expiresAt: new Date(input.issuedAt_ms + input.ttl_s * 1000).toISOString(),
    command: input.body.kind,
    body: input.body,
    ...(input.sender !== undefined ? { sender: input.sender } : {}),
  });
}

export interface ReplyInput {
  commandId: string | null;
  deviceId: string;
  status: ReplyStatus;
  reason?: string;
  result?: OperationResult;
  failure?: Failure;
  state?: CommandState;
  duplicate?: boolean;
  repliedAt_ms: number;
}

export function buildReply(input: ReplyInput): ReplyPayload {
  const reply: ReplyPayload = {
    schema: 'sdl.reply.v1',
    commandId: input.commandId,
    deviceId: input.deviceId,
    status: input.status,
    duplicate: input.duplicate ?? false,
    repliedAt: new Date(input.repliedAt_ms).toISOString(),
  };
  if (input.reason !== undefined) reply.reason = input.reason;
  if (input.result !== undefined) reply.result = input.result;
  if (input.failure !== undefined) reply.failure = input.failure;
  if (input.state !== undefined) reply.state = input.state;
  return reply;
}

/** `path: message; path: message` of a zod error, so a rejection names the bad field. */
export function describeIssues(error: z.ZodError): string {
  return describeSchemaIssues(error);
}

/** The run statuses after which a command will not change any more. */
export function isFinalRunStatus(status: RunStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

/** The device-status view of a status payload (what `LiquidHandlerBackend.status()` returns). */
export function deviceStatusOf(payload: StatusPayload, stateOverride?: DeviceState): DeviceStatus {
  const status: DeviceStatus = {
    deviceId: payload.deviceId,
    state: stateOverride ?? payload.state,
    detail: {
      tipsMounted: payload.tipsMounted,
      tipsUsed: payload.tipsUsed,
      commandsCompleted: payload.commandsCompleted,
      ...(payload.lastCommandId !== undefined ? { lastCommandId: payload.lastCommandId } : {}),
      ...(payload.hold !== undefined ? { hold: payload.hold } : {}),
      updatedAt: payload.updatedAt,
    },
  };
  if (payload.activeRunId !== undefined) status.activeRunId = payload.activeRunId;
  if (payload.lockOwner !== undefined) status.lockOwner = payload.lockOwner;
  return status;
}

/** Encodes any wire payload as UTF-8 JSON. */
export function encodePayload(payload: unknown): Buffer {
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** Largest payload either side sends or reads (DEVICES.md: messages stay below 256 KB; live arrays are chunked). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** Why a payload of this size is refused, or undefined when it fits. */
export function payloadSizeProblem(bytes: number): string | undefined {
  return bytes > MAX_PAYLOAD_BYTES ? `payload too large: ${bytes} bytes (at most ${MAX_PAYLOAD_BYTES})` : undefined;
}

/**
 * `commandId` and `replyTo` read from the head of a payload too large or too malformed to parse, so the refusal can
 * still be addressed to the sender (the values are validated by the caller like any other).
 */
export function peekEnvelope(payload: Buffer): { commandId?: string; replyTo?: string } {
  const head = payload.subarray(0, 4096).toString('utf8');
  const commandId = /"commandId"\s*:\s*"([A-Za-z0-9._:-]{1,80})"/.exec(head)?.[1];
  const replyTo = /"replyTo"\s*:\s*"([^"\\]{1,256})"/.exec(head)?.[1];
  return { ...(commandId !== undefined ? { commandId } : {}), ...(replyTo !== undefined ? { replyTo } : {}) };
}

/** Parses UTF-8 JSON; `ok: false` with a reason on oversized or malformed payloads (callers reject with it). */
export function decodeJson(payload: Buffer | string): { ok: true; value: unknown } | { ok: false; reason: string } {
  const tooLarge = payloadSizeProblem(typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length);
  if (tooLarge) return { ok: false, reason: tooLarge };
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `payload is not JSON: ${(err as Error).message}` };
  }
}
