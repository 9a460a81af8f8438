import { io as ioClient, type Socket } from 'socket.io-client';
import type { CampaignCommands, CampaignDetail, CommandOutcome, ConsoleCommand, ConsoleReader, DocsMessage, DocumentFeed, Reply } from '../../../src/console/index.ts';
import { busFeed, startConsoleServer, startConsoleWorker, type ConsoleServer } from '../../../src/console/index.ts';
import { silentLogger, type Logger } from '../../../src/domain/index.ts';
import type { DocumentBus, LabDocument } from '../../../src/protocol/index.ts';

export const TOKENS = {
  operator: 'operator-token-0123456789abcdef',
  viewer: 'viewer-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
};
export const TOKEN_ENTRIES = [
  { actor: 'ada', role: 'operator' as const, token: TOKENS.operator },
  { actor: 'vic', role: 'viewer' as const, token: TOKENS.viewer },
  { actor: 'root', role: 'admin' as const, token: TOKENS.admin },
];

/**
 * A documents table in memory that lags the bus by `lagMs` (like the store's batched sink), so replays really
 * have to wait for and stitch the database and the live stream together.
 */
export class MemoryReader implements ConsoleReader {
  readonly docs = new Map<string, LabDocument[]>();
  private chain: Promise<void> = Promise.resolve();

  constructor(bus?: DocumentBus, private readonly lagMs = 0) {
    bus?.subscribe((d) => {
      this.chain = this.chain.then(async () => {
        if (this.lagMs > 0) await new Promise((r) => setTimeout(r, this.lagMs));
        this.append(d);
      });
    });
  }

  append(d: LabDocument): void {
    const list = this.docs.get(d.campaignId) ?? [];
    list.push(d);
    this.docs.set(d.campaignId, list);
  }

  settled(): Promise<void> {
    return this.chain;
  }

  async listCampaigns() {
    const out = [];
    for (const id of this.docs.keys()) {
      const c = await this.getCampaign(id);
      if (c) out.push(c);
    }
    return out;
  }

  async getCampaign(campaignId: string): Promise<CampaignDetail | undefined> {
    const list = this.docs.get(campaignId);
    const start = list?.find((d) => d.type === 'campaignStart');
    if (!list || !start || start.type !== 'campaignStart') return undefined;
    return {
      id: campaignId,
      title: start.payload.spec.title,
      state: 'running',
      trialCounts: {},
      trialTotal: 0,
      lastSeq: list.at(-1)?.seq ?? 0,
      createdAt: start.time,
      updatedAt: start.time,
      spec: start.payload.spec,
      seed: start.payload.seed,
    };
  }

  async trials() {
    return [];
  }
  async stations() {
    return [];
  }
  async modelSnapshots() {
    return [];
  }
  async operatorActions() {
    return [];
  }
  async documentsAfter(campaignId: string, afterSeq: number, limit: number) {
    return (this.docs.get(campaignId) ?? []).filter((d) => d.seq > afterSeq).slice(0, limit);
  }
  async lastSeq(campaignId: string) {
    return this.docs.get(campaignId)?.at(-1)?.seq ?? 0;
  }
  async exportCampaign(campaignId: string) {
    return this.docs.has(campaignId) ? { csv: 'id\r\n', json: { campaignId } } : undefined;
  }
}

/** A command API that records what reached it; every command on `campaignId` is accepted unless `refuseWith` is set. */
export class RecordingCommands implements CampaignCommands {
  readonly executed: { cmd: ConsoleCommand; actor: string }[] = [];
  readonly refused: { cmd: ConsoleCommand; actor: string; reason: string }[] = [];
  refuseWith: string | undefined;

  constructor(readonly campaignId: string) {}

  controls(campaignId: string): boolean {
    return campaignId === this.campaignId;
  }
  async execute(cmd: ConsoleCommand, actor: string): Promise<CommandOutcome> {
    this.executed.push({ cmd, actor });
    return this.refuseWith ? { accepted: false, reason: this.refuseWith } : { accepted: true };
  }
  refuse(cmd: ConsoleCommand, actor: string, reason: string): void {
    this.refused.push({ cmd, actor, reason });
  }
  async pending() {
    return { approvals: [], recoveries: [] };
  }
}

/** Where startTestServer runs the console: on the test's thread, or in a worker thread (startConsoleWorker). */
export const harnessMode = { inWorker: false };

export async function startTestServer(opts: {
  reader: ConsoleReader;
  bus?: DocumentBus;
  feed?: DocumentFeed;
  commands?: CampaignCommands;
  insecureLocal?: boolean;
  staticDir?: string;
  logger?: Logger;
  hubWindow?: number;
  host?: string;
}): Promise<ConsoleServer> {
  const feed = opts.feed ?? (opts.bus ? busFeed(opts.bus) : undefined);
  if (!feed) throw new Error('a bus or a feed is needed');
  const start = harnessMode.inWorker ? startConsoleWorker : startConsoleServer;
  return start({
    controlled: opts.commands instanceof RecordingCommands ? [opts.commands.campaignId] : [],
    reader: opts.reader,
    feed,
    commands: opts.commands,
    tokens: TOKEN_ENTRIES,
    insecureLocal: opts.insecureLocal ?? false,
    logger: opts.logger ?? silentLogger,
    port: 0,
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    staticDir: opts.staticDir ?? '/nonexistent-console-dist',
    hubWindow: opts.hubWindow,
  });
}

/** A socket.io client that keeps every document it receives per campaign, in arrival order. */
export class TestClient {
  readonly socket: Socket;
  readonly received = new Map<string, number[]>();
  readonly messages: DocsMessage[] = [];
  readonly problems: Reply[] = [];

  constructor(url: string, token: string | undefined, extra: { headers?: Record<string, string> } = {}) {
    this.socket = ioClient(url, {
      auth: token === undefined ? {} : { token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders: extra.headers,
    });
    this.socket.on('docs', (m: DocsMessage) => {
      this.messages.push(m);
      const list = this.received.get(m.campaignId) ?? [];
      list.push(...m.docs.map((d) => d.seq));
      this.received.set(m.campaignId, list);
    });
    this.socket.on('problem', (r: Reply) => this.problems.push(r));
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', (e) => reject(e));
    });
  }

  request(event: string, payload: unknown, timeoutMs = 10_000): Promise<Reply & Record<string, unknown>> {
    return this.socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<Reply & Record<string, unknown>>;
  }

  subscribe(campaignId: string, afterSeq = 0) {
    return this.request('subscribe', { campaignId, afterSeq });
  }

  seqs(campaignId: string): number[] {
    return this.received.get(campaignId) ?? [];
  }

  close(): void {
    this.socket.close();
  }
}

export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
