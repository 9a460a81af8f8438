import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../domain/index.ts';
import { bearerToken, type Principal, type TokenAuth } from './auth.ts';
import { campaignIdSchema, describeIssues } from './console-protocol.ts';
import type { CommandGate } from './command-gate.ts';
import type { CampaignCommands, ConsoleReader } from './ports.ts';

export interface RestDeps {
  reader: ConsoleReader;
  commands: CampaignCommands | undefined;
  gate: CommandGate;
  auth: TokenAuth;
  logger: Logger;
  stats: () => Record<string, unknown>;
}

const afterQuerySchema = z.object({
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().positive().max(5000).default(1000),
});

const MAX_BODY = 16 * 1024;

/**
 * The small REST API (JSON): lists and exports for the views, and `POST /api/commands` for scripts. Every route but
 * `/api/health` needs a token (`Authorization: Bearer …`) unless the server runs `--insecure-local`.
 * Returns false when the path is not an API path (the static files handle it).
 */
export async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, deps: RestDeps): Promise<boolean> {
  const path = url.pathname;
  if (!path.startsWith('/api/')) return false;
  if (path === '/api/health') return sendJson(res, 200, { ok: true }), true;

  const auth = deps.auth.authenticate(bearerToken(req.headers.authorization));
  if (!auth.ok) {
    deps.logger.warn({ path, remote: req.socket.remoteAddress }, 'console: request refused (no or unknown token)');
    sendJson(res, 401, { ok: false, code: 'unauthorized', error: auth.reason });
    return true;
  }
  const principal = auth.principal;
  try {
    if (req.method === 'POST' && path === '/api/commands') {
      const body = await readJson(req);
      const reply = await deps.gate.run(body, principal);
      const status = reply.ok ? 200 : reply.code === 'invalid' ? 400 : reply.code === 'forbidden' ? 403 : reply.code === 'not-found' ? 404 : 409;
      sendJson(res, status, reply);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { ok: false, code: 'invalid', error: `${req.method} is not allowed on ${path}` });
      return true;
    }
    await get(res, path, url, principal, deps);
  } catch (e) {
    if (e instanceof BadRequest) sendJson(res, e.status, { ok: false, code: 'invalid', error: e.message });
    else {
      deps.logger.error({ path, err: (e as Error).message }, 'console: API request failed');
      sendJson(res, 500, { ok: false, code: 'internal', error: 'internal error' });
    }
  }
  return true;
}

async function get(res: ServerResponse, path: string, url: URL, principal: Principal, deps: RestDeps): Promise<void> {
  const { reader } = deps;
  if (path === '/api/me') return sendJson(res, 200, { ok: true, actor: principal.actor, role: principal.role, insecure: principal.insecure });
  if (path === '/api/stats') return sendJson(res, 200, { ok: true, ...deps.stats() });
  if (path === '/api/campaigns') {
    const campaigns = await reader.listCampaigns();
    return sendJson(res, 200, { ok: true, campaigns: campaigns.map((c) => ({ ...c, controllable: deps.commands?.controls(c.id) ?? false, dormant: deps.commands?.dormant?.(c.id) ?? null })) });
  }
  const m = /^\/api\/campaigns\/([^/]+)(?:\/([a-z.-]+))?$/.exec(path);
  if (!m) return sendJson(res, 404, { ok: false, code: 'not-found', error: `no API route ${path}` });
  const idCheck = campaignIdSchema.safeParse(decodeURIComponent(m[1] ?? ''));
  if (!idCheck.success) throw new BadRequest(describeIssues(idCheck.error));
  const id = idCheck.data;
  const campaign = await reader.getCampaign(id);
  if (!campaign) return sendJson(res, 404, { ok: false, code: 'not-found', error: `no campaign "${id}"` });
  const sub = m[2];
  switch (sub) {
    case undefined: {
      const controllable = deps.commands?.controls(id) ?? false;
      const pending = controllable && deps.commands ? await deps.commands.pending(id) : { approvals: [], recoveries: [] };
      return sendJson(res, 200, { ok: true, campaign: { ...campaign, controllable, dormant: deps.commands?.dormant?.(id) ?? null }, pending });
    }
    case 'trials':
      return sendJson(res, 200, { ok: true, trials: await reader.trials(id) });
    case 'stations':
      return sendJson(res, 200, { ok: true, stations: await reader.stations(id) });
    case 'snapshots':
      return sendJson(res, 200, { ok: true, snapshots: await reader.modelSnapshots(id) });
    case 'actions':
      return sendJson(res, 200, { ok: true, actions: await reader.operatorActions(id) });
    case 'documents': {
      const q = afterQuerySchema.safeParse(Object.fromEntries(url.searchParams));
      if (!q.success) throw new BadRequest(describeIssues(q.error));
      return sendJson(res, 200, { ok: true, documents: await reader.documentsAfter(id, q.data.after, q.data.limit) });
    }
    case 'export.csv':
    case 'export.json': {
      const exported = await reader.exportCampaign(id);
      if (!exported) return sendJson(res, 404, { ok: false, code: 'not-found', error: `no campaign "${id}"` });
      const csv = sub === 'export.csv';
      res.writeHead(200, {
        'content-type': csv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
        'content-disposition': `attachment; filename="${id}${csv ? '-results.csv' : '-campaign.json'}"`,
        'cache-control': 'no-store',
      });
      res.end(csv ? exported.csv : `${JSON.stringify(exported.json, null, 2)}\n`);
      return;
    }
    default:
      return sendJson(res, 404, { ok: false, code: 'not-found', error: `no API route ${path}` });
  }
}

class BadRequest extends Error {
  constructor(message: string, readonly status = 400) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) throw new BadRequest('send the command as application/json', 415);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new BadRequest(`request body over ${MAX_BODY} bytes`, 413);
    chunks.push(b);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new BadRequest('request body is not valid JSON');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
