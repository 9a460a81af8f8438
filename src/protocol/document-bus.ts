import type { DocumentPayload, DocumentType, LabDocument } from './documents.ts';
import { payloadSchema } from './documents.ts';

export type DocumentListener = (doc: LabDocument) => void | Promise<void>;

/**
 * Assigns per-campaign gapless sequence numbers and fans documents out to subscribers. Subscribers never block a
 * run: each is called in order of subscription; async ones are chained per subscriber so each sees documents in
 * sequence order. `flush()` waits until every subscriber has processed everything published so far.
 */
export class DocumentBus {
  private readonly seqs = new Map<string, number>();
  private readonly listeners: { fn: DocumentListener; tail: Promise<void>; onError: (e: unknown, doc: LabDocument) => void }[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Continue numbering after a restart from the last stored sequence number. */
  resumeSequence(campaignId: string, lastSeq: number): void {
    this.seqs.set(campaignId, lastSeq);
  }

  subscribe(fn: DocumentListener, onError: (e: unknown, doc: LabDocument) => void = () => {}): () => void {
    const entry = { fn, tail: Promise.resolve(), onError };
    this.listeners.push(entry);
    return () => {
      const i = this.listeners.indexOf(entry);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  publish<T extends DocumentType>(campaignId: string, type: T, payload: DocumentPayload<T>): LabDocument {
    const parsed = payloadSchema(type).parse(payload) as DocumentPayload<T>;
    const seq = (this.seqs.get(campaignId) ?? 0) + 1;
    this.seqs.set(campaignId, seq);
    const doc = { v: 1, campaignId, seq, time: this.now().toISOString(), type, payload: parsed } as LabDocument;
    for (const l of this.listeners) {
      l.tail = l.tail.then(
        () => l.fn(doc),
      ).catch((e: unknown) => l.onError(e, doc));
    }
    return doc;
  }

  async flush(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.tail));
  }
}
