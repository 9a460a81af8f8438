/// <reference lib="dom" />
import { io, type Socket } from 'socket.io-client';
import type { ConsoleCommand, DocsMessage, HelloMessage, Reply } from '../../console-protocol.ts';
import type { PendingDecisions } from '../../ports.ts';
import type { CampaignModel } from './campaign-model.ts';
import { tokenStore } from './api.ts';

export type ConnectionState = 'idle' | 'connecting' | 'live' | 'replaying' | 'offline' | 'refused';

export interface LiveHandlers {
  onState(state: ConnectionState, detail?: string): void;
  onHello(hello: HelloMessage): void;
  onDocs(model: CampaignModel): void;
  onSubscribed(reply: { controllable: boolean; pending?: PendingDecisions }): void;
}

/**
 * One socket.io connection following one campaign. On every (re)connect it subscribes with the last seq the model
 * holds, so the server replays exactly what was missed; documents are applied in order, duplicates are ignored and
 * a live gap triggers a fresh subscribe from the last seq.
 */
export class LiveConnection {
  readonly socket: Socket;
  private resubscribing = false;
  private stats = { applied: 0, duplicates: 0, gaps: 0, resubscribes: 0 };

  constructor(
    private readonly model: CampaignModel,
    private readonly handlers: LiveHandlers,
  ) {
    this.socket = io({ auth: (cb) => cb({ token: tokenStore.get() ?? '' }), transports: ['websocket'], reconnectionDelay: 500, reconnectionDelayMax: 3000 });
    this.socket.on('connect', () => this.subscribe());
    this.socket.on('disconnect', (reason) => handlers.onState('offline', reason));
    this.socket.on('connect_error', (err) => handlers.onState(/unauthorized/.test(err.message) ? 'refused' : 'offline', err.message));
    this.socket.on('hello', (hello: HelloMessage) => handlers.onHello(hello));
    this.socket.on('docs', (msg: DocsMessage) => this.receive(msg));
    this.socket.on('problem', (r: Reply) => handlers.onState(this.socket.connected ? 'live' : 'offline', r.ok ? undefined : r.error));
    handlers.onState('connecting');
  }

  counters(): Readonly<typeof this.stats> {
    return { ...this.stats };
  }

  private subscribe(): void {
    this.handlers.onState('replaying');
    this.stats.resubscribes++;
    this.socket.emit('subscribe', { campaignId: this.model.campaignId, afterSeq: this.model.lastSeq }, (reply: Reply<{ controllable: boolean; pending?: PendingDecisions }>) => {
      this.resubscribing = false;
      if (!reply.ok) {
        this.handlers.onState('offline', reply.error);
        return;
      }
      this.handlers.onState('live');
      this.handlers.onSubscribed(reply);
    });
  }

  private receive(msg: DocsMessage): void {
    if (msg.campaignId !== this.model.campaignId) return;
    let changed = false;
    for (const doc of msg.docs) {
      const r = this.model.apply(doc, msg.replay);
      if (r === 'applied') {
        this.stats.applied++;
        changed = true;
      } else if (r === 'duplicate') this.stats.duplicates++;
      else {
        this.stats.gaps++;
        if (!this.resubscribing) {
          this.resubscribing = true;
          this.subscribe();
        }
        break;
      }
    }
    if (changed) this.handlers.onDocs(this.model);
  }

  /** Sends a command; resolves with the server's reply (never rejects). */
  command(cmd: ConsoleCommand): Promise<Reply> {
    return new Promise((resolve) => {
      if (!this.socket.connected) {
        resolve({ ok: false, code: 'internal', error: 'not connected to the console server' });
        return;
      }
      this.socket.timeout(10_000).emit('command', cmd, (err: Error | null, reply: Reply) => {
        resolve(err ? { ok: false, code: 'internal', error: 'no reply from the server (timeout)' } : reply);
      });
    });
  }

  /** Drops the transport, as a network failure would (used by the end-to-end test); socket.io reconnects. */
  dropTransport(): void {
    this.socket.io.engine.close();
  }

  close(): void {
    this.socket.close();
  }
}
