import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the stub answers to one chat-completions request: message content, a tool call (arguments as the raw string
 * the model produced), an HTTP error, a raw (broken) body, or a delay before another reply.
 */
export type StubReply =
  | { content: string }
  | { toolCall: { name: string; arguments: string } }
  | { status: number; message?: string }
  | { rawBody: string }
  | { delay_ms: number; then: StubReply };

export interface StubRequest {
  body: { model?: string; messages: { role: string; content: string }[]; [k: string]: unknown };
  authorization?: string;
}

export type StubResponder = (req: StubRequest) => StubReply;

export interface OpenAiStub {
  /** Base URL for the client (`http://127.0.0.1:<port>/v1`). */
  baseUrl: string;
  requests: StubRequest[];
  /** Replace the script: a queue (an exhausted queue answers 500) or a responder. */
  script(replies: StubReply[] | StubResponder): void;
  close(): Promise<void>;
}

/**
 * An OpenAI-compatible chat-completions server on a free loopback port, for tests: the real @langchain/openai client
 * talks HTTP to it. It scripts replies, tool calls, 429/500, slow answers and truncated or broken JSON.
 */
export async function startOpenAiStub(initial: StubReply[] | StubResponder = []): Promise<OpenAiStub> {
  let script: StubReply[] | StubResponder = initial;
  const requests: StubRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      let body: StubRequest['body'];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as StubRequest['body'];
      } catch {
        res.writeHead(400).end();
        return;
      }
      const request: StubRequest = { body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) };
      requests.push(request);
      const reply = typeof script === 'function' ? script(request) : (script.shift() ?? { status: 500, message: 'stub: no scripted reply left' });
      void send(res, reply, body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script(next) {
      script = next;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function send(res: http.ServerResponse, reply: StubReply, body: StubRequest['body']): Promise<void> {
  if ('delay_ms' in reply) {
    await new Promise((r) => setTimeout(r, reply.delay_ms));
    if (res.destroyed || res.socket?.destroyed) return;
    return send(res, reply.then, body);
  }
  if ('status' in reply) {
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: reply.message ?? `status ${reply.status}`, type: 'stub' } }));
    return;
  }
  if ('rawBody' in reply) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(reply.rawBody);
    return;
  }
  const prompt = body.messages.reduce((n, m) => n + String(m.content).length, 0);
  const content = 'content' in reply ? reply.content : null;
  const completion = Math.ceil((content ?? ('toolCall' in reply ? reply.toolCall.arguments : '')).length / 4);
  const message =
    'toolCall' in reply
      ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: reply.toolCall.name, arguments: reply.toolCall.arguments } }] }
      : { role: 'assistant', content };
  const payload = {
    id: 'chatcmpl-stub',
    object: 'chat.completion',
    created: 1_767_225_600,
    model: body.model ?? 'stub',
    choices: [{ index: 0, message, finish_reason: 'toolCall' in reply ? 'tool_calls' : 'stop' }],
    usage: { prompt_tokens: Math.ceil(prompt / 4), completion_tokens: completion, total_tokens: Math.ceil(prompt / 4) + completion },
  };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
}
