import { z } from 'zod';
import { describeSchemaIssues, strictObject } from '../domain/index.ts';
import type { LabDocument } from '../protocol/index.ts';

/**
 * The console's wire contract: socket.io event names, the zod schemas of every client → server event, and the
 * shapes the server sends back. The web front end imports the types (never the schemas) from here.
 */

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** What a role may do: viewers watch; operators and admins act. */
export const ROLE_RANK: Readonly<Record<Role, number>> = { viewer: 0, operator: 1, admin: 2 };
export const mayAct = (role: Role, needed: Role): boolean => ROLE_RANK[role] >= ROLE_RANK[needed];

export const CLIENT_EVENTS = { subscribe: 'subscribe', unsubscribe: 'unsubscribe', command: 'command' } as const;
export const SERVER_EVENTS = { docs: 'docs', problem: 'problem', hello: 'hello' } as const;

const id = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(200, `${what} is too long`)
    .regex(/^[A-Za-z0-9._:-]+$/, `${what} may contain only letters, digits and . _ : -`);
export const campaignIdSchema = id('campaignId');
const text = (max: number) => z.string().max(max, `at most ${max} characters`);

export const subscribeSchema = strictObject({
  campaignId: campaignIdSchema,
  /** Highest sequence number the client already has; everything after it is sent, in order. */
  afterSeq: z.number().int().nonnegative().default(0),
});
export type SubscribeRequest = z.infer<typeof subscribeSchema>;

export const unsubscribeSchema = strictObject({ campaignId: campaignIdSchema });

const base = { campaignId: campaignIdSchema };
export const consoleCommandSchema = z.discriminatedUnion('action', [
  strictObject({ action: z.literal('pause'), ...base }),
  strictObject({ action: z.literal('resume'), ...base }),
  strictObject({ action: z.literal('abort'), ...base, reason: text(500).optional() }),
  strictObject({ action: z.literal('approve'), ...base, trialId: id('trialId') }),
  strictObject({ action: z.literal('reject'), ...base, trialId: id('trialId'), reason: text(500).optional() }),
  strictObject({ action: z.literal('recover'), ...base, trialId: id('trialId'), decision: z.enum(['retry', 'skip', 'abandon']) }),
  strictObject({ action: z.literal('quarantine'), ...base, station: id('station'), message: text(500).optional() }),
  strictObject({ action: z.literal('release'), ...base, station: id('station') }),
  /** Returns a quarantined region of the search space to the campaign's search (ADR 0106). */
  strictObject({ action: z.literal('lift-region'), ...base, regionId: id('regionId'), reason: text(500).optional() }),
  /** An operator refilled a stock solution (ADR 0113): by `volume_uL`, or up to its listed volume (`toListed`). */
  strictObject({
    action: z.literal('refill-stock'),
    ...base,
    stock: id('stock'),
    volume_uL: z.number({ error: 'volume_uL must be a number' }).positive('volume_uL must be positive').max(1e8, 'volume_uL is too large').optional(),
    toListed: z.literal(true, { error: 'toListed must be true when given' }).optional(),
    reason: text(500).optional(),
  }).refine((c) => (c.volume_uL === undefined) !== (c.toListed === undefined), { message: 'give either volume_uL or toListed: true', path: ['volume_uL'] }),
  /** An operator's answer to a planner question (ADR 0076): approve or reject what it asks. */
  strictObject({ action: z.literal('answer'), ...base, requestId: id('requestId'), approved: z.boolean({ error: 'approved must be true or false' }), reason: text(500).optional() }),
]);
export type ConsoleCommand = z.infer<typeof consoleCommandSchema>;
export type ConsoleAction = ConsoleCommand['action'];

/** Role each action needs. */
export const ACTION_ROLE: Readonly<Record<ConsoleAction, Role>> = {
  pause: 'operator',
  resume: 'operator',
  abort: 'operator',
  approve: 'operator',
  reject: 'operator',
  recover: 'operator',
  quarantine: 'operator',
  release: 'operator',
  'lift-region': 'operator',
  'refill-stock': 'operator',
  answer: 'operator',
};

/** The target an action names (trial, station, region, question), for the operatorAction document. */
export function commandTarget(cmd: ConsoleCommand): string | undefined {
  if ('trialId' in cmd) return cmd.trialId;
  if ('station' in cmd) return cmd.station;
  if ('regionId' in cmd) return cmd.regionId;
  if ('requestId' in cmd) return cmd.requestId;
  if ('stock' in cmd) return `stock:${cmd.stock}`;
  return undefined;
}

export type ProblemCode = 'invalid' | 'unauthorized' | 'forbidden' | 'not-found' | 'read-only' | 'refused' | 'rate-limited' | 'internal';

/** Reply to every client event (socket.io acknowledgement, or a `problem` event when the client gave no callback). */
export type Reply<T extends object = Record<string, unknown>> = ({ ok: true } & T) | { ok: false; code: ProblemCode; error: string; event?: string };

/** Server → client: documents of one campaign, in sequence order, never repeated on one subscription. */
export interface DocsMessage {
  campaignId: string;
  docs: LabDocument[];
  /** True while catching up from the database; false for live documents. */
  replay: boolean;
}

/** Server → client after the handshake. */
export interface HelloMessage {
  actor: string;
  role: Role;
  insecure: boolean;
}

/** Turns zod issues into one line naming each bad field. */
export function describeIssues(error: z.ZodError): string {
  return describeSchemaIssues(error, '(event)');
}
