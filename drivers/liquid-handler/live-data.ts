import { silentLogger, type Logger } from '../../src/domain/index.ts';
import type { MqttInboundMessage, MqttTransport } from '../transport/mqtt.ts';
import { dataChunkSchema, decodeJson, describeIssues, type DataChunk, type DataStream, type LiquidHandlerTopics } from './wire-contract.ts';

/**
 * Live data of a liquid handler's runs (`data/<runId>/<stream>`, QoS 0): subscribed on demand, validated with zod,
 * handed to callbacks or to async iterators. Chunks may be lost (QoS 0, a subscriber that was away); the final
 * result of the run is what counts, so nothing here is needed to complete a command. Each listener gets a chunk at
 * most once and in `seq` order, whatever subscriptions overlap.
 */
export interface DataFilter {
  /** One run (its commandId), or every run of the device. */
  runId?: string;
  /** One stream, or every stream. */
  stream?: DataStream;
}

export type DataListener = (chunk: DataChunk) => void;

export interface LiveDataStreamOptions {
  /** Default `progress`. */
  stream?: DataStream;
  /** Ends the iteration. */
  signal?: AbortSignal;
  /** Chunks buffered for a slow consumer; beyond it the oldest are dropped (counted in `dropped`). Default 1000. */
  maxBuffered?: number;
}

/** An async iterator over the chunks of one run; ends on the run's final chunk or result, `return()`, or the signal. */
export interface LiveDataStream extends AsyncIterableIterator<DataChunk> {
  /** Chunks dropped because the consumer was too slow. */
  readonly dropped: number;
}

/** Per listener, the last `seq` delivered of each run/stream (so many remembered at most). */
const SEQ_MEMORY = 1000;

interface Entry {
  filter: DataFilter;
  listener: DataListener;
  lastSeq: Map<string, number>;
}

interface Subscription {
  count: number;
  ready: Promise<void>;
}

export class LiveDataFeed {
  private readonly transport: MqttTransport;
  private readonly topics: LiquidHandlerTopics;
  private readonly logger: Logger;
  private readonly listeners = new Set<Entry>();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly enders = new Map<string, Set<() => void>>();
  private detach: (() => void) | undefined;

  constructor(options: { transport: MqttTransport; topics: LiquidHandlerTopics; logger?: Logger }) {
    this.transport = options.transport;
    this.topics = options.topics;
    this.logger = (options.logger ?? silentLogger).child({ component: 'live-data' });
  }

  /** Calls `listener` with every valid chunk matching `filter`; resolves once subscribed; returns the unsubscribe. */
  async subscribe(filter: DataFilter, listener: DataListener): Promise<() => Promise<void>> {
    this.detach ??= this.transport.onMessage((m) => this.onMessage(m));
    const entry: Entry = { filter, listener, lastSeq: new Map() };
    this.listeners.add(entry);
    const topic = this.topics.dataFilter(filter.runId, filter.stream);
    let sub = this.subscriptions.get(topic);
    if (!sub) {
      sub = { count: 0, ready: this.transport.subscribe([topic], 0) };
      this.subscriptions.set(topic, sub);
    }
    sub.count++;
    try {
      await sub.ready;
    } catch (err) {
      this.listeners.delete(entry);
      void this.release(topic);
      throw err;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      this.listeners.delete(entry);
      await this.release(topic);
    };
  }

  /** The chunks of one run, in arrival order (subscribed before this resolves). */
  async stream(runId: string, options: LiveDataStreamOptions = {}): Promise<LiveDataStream> {
    const max = options.maxBuffered ?? 1000;
    const buffer: DataChunk[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    let dropped = 0;
    const end = (): void => {
      ended = true;
      wake?.();
    };
    const unsubscribe = await this.subscribe({ runId, stream: options.stream ?? 'progress' }, (chunk) => {
      if (ended) return;
      buffer.push(chunk);
      if (buffer.length > max) {
        buffer.shift();
        dropped++;
      }
      if (chunk.final) ended = true;
      wake?.();
    });
    let set = this.enders.get(runId);
    if (!set) this.enders.set(runId, (set = new Set()));
    const enders = set;
    enders.add(end);
    const onAbort = (): void => end();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) end();
    const cleanup = async (): Promise<void> => {
      end();
      enders.delete(end);
      if (enders.size === 0 && this.enders.get(runId) === enders) this.enders.delete(runId);
      options.signal?.removeEventListener('abort', onAbort);
      await unsubscribe();
    };
    const iterator: LiveDataStream = {
      get dropped() {
        return dropped;
      },
      async next(): Promise<IteratorResult<DataChunk>> {
        for (;;) {
          const chunk = buffer.shift();
          if (chunk) return { value: chunk, done: false };
          if (ended) {
            await cleanup();
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
      async return(): Promise<IteratorResult<DataChunk>> {
        buffer.length = 0;
        await cleanup();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return iterator;
  }

  /** The run is over (its result is in): its streams end once their buffered chunks are read. */
  finish(runId: string): void {
    for (const end of this.enders.get(runId) ?? []) end();
  }

  /** Ends every stream and drops every listener (the backend stops). */
  async close(): Promise<void> {
    for (const set of this.enders.values()) for (const end of set) end();
    this.listeners.clear();
    this.detach?.();
    this.detach = undefined;
    const topics = [...this.subscriptions.keys()];
    this.subscriptions.clear();
    if (topics.length > 0 && this.transport.connected) await this.transport.unsubscribe(topics).catch(() => undefined);
  }

  private async release(topic: string): Promise<void> {
    const sub = this.subscriptions.get(topic);
    if (!sub || --sub.count > 0) return;
    this.subscriptions.delete(topic);
    if (this.transport.connected) await this.transport.unsubscribe([topic]).catch((err: unknown) => this.logger.debug({ topic, err: (err as Error).message }, 'unsubscribe failed'));
  }

  private onMessage(message: MqttInboundMessage): void {
    const prefix = `${this.topics.base}/data/`;
    if (!message.topic.startsWith(prefix) || this.listeners.size === 0) return;
    const [runId, stream, ...rest] = message.topic.slice(prefix.length).split('/');
    const json = decodeJson(message.payload);
    if (!json.ok) return this.logger.warn({ topic: message.topic, reason: json.reason }, 'ignoring a malformed data chunk');
    const parsed = dataChunkSchema.safeParse(json.value);
    if (!parsed.success) return this.logger.warn({ topic: message.topic, reason: describeIssues(parsed.error) }, 'ignoring a malformed data chunk');
    const chunk = parsed.data;
    if (rest.length > 0 || chunk.runId !== runId || chunk.stream !== stream) {
      this.logger.warn({ topic: message.topic, runId: chunk.runId, stream: chunk.stream }, 'ignoring a data chunk whose topic does not match its payload');
      return;
    }
    // Overlapping subscriptions on one connection (`data/<run>/+` and `data/<run>/progress`) bring a chunk once per
    // subscription: each listener gets each chunk once, in `seq` order (a late, older chunk is dropped).
    const key = `${runId}/${stream}`;
    for (const entry of this.listeners) {
      const { filter } = entry;
      if ((filter.runId !== undefined && filter.runId !== runId) || (filter.stream !== undefined && filter.stream !== stream)) continue;
      const last = entry.lastSeq.get(key);
      if (last !== undefined && chunk.seq <= last) continue;
      entry.lastSeq.delete(key);
      entry.lastSeq.set(key, chunk.seq);
      if (entry.lastSeq.size > SEQ_MEMORY) entry.lastSeq.delete(entry.lastSeq.keys().next().value as string);
      entry.listener(chunk);
    }
  }
}
