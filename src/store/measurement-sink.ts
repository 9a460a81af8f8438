import { silentLogger, type Logger } from '../domain/index.ts';
import { BatchQueue, type BatchQueueStats } from './batch-queue.ts';
import { measurementRecordSchema, type MeasurementRecord } from './measurement-record.ts';
import type { Store } from './store.ts';

export { measurementRecordSchema, type MeasurementRecord, type StoredMeasurement } from './measurement-record.ts';

/**
 * Where the engine hands a technique run's arrays (the `event` document carries only features and the id).
 * Structurally a protocol `MeasurementWriter`.
 */
export interface MeasurementSink {
  /** Queues the record and resolves at once; it never rejects. Persistence is awaited with `flush()`. */
  write(m: MeasurementRecord): Promise<void>;
}

export interface StoreMeasurementSink extends MeasurementSink {
  /** Resolves when every record written so far is stored (or recorded as lost). Never rejects. */
  flush(): Promise<void>;
  stats(): BatchQueueStats & { invalid: number; lost: { id: string; error: string }[] };
}

export interface MeasurementSinkOptions {
  logger?: Logger | undefined;
  /** Records per insert (default 50: a record holds thousands of values). */
  batchSize?: number | undefined;
  attempts?: number | undefined;
  retryDelayMs?: number | undefined;
}

/**
 * A MeasurementSink backed by the store's measurements table, batched per tick like the document sink. An invalid
 * record is logged and counted, never thrown at the engine; ids already stored are skipped, so retries are safe.
 */
export function createMeasurementSink(store: Pick<Store, 'measurements'>, opts: MeasurementSinkOptions = {}): StoreMeasurementSink {
  const logger = (opts.logger ?? silentLogger).child({ component: 'measurement-sink' });
  let invalid = 0;
  const lost: { id: string; error: string }[] = [];
  const queue = new BatchQueue<MeasurementRecord>({
    logger,
    batchSize: opts.batchSize ?? 50,
    attempts: opts.attempts,
    retryDelayMs: opts.retryDelayMs,
    write: async (records) => {
      await store.measurements.insert(records);
    },
    onDropped: (m, error) => {
      lost.push({ id: m.id, error: String((error as Error | undefined)?.message ?? error) });
      logger.error({ err: error, measurementId: m.id, trialId: m.trialId }, 'measurement could not be stored');
    },
  });
  return {
    write(m) {
      const parsed = measurementRecordSchema.safeParse(m);
      if (!parsed.success) {
        invalid++;
        logger.error({ measurementId: (m as { id?: unknown } | undefined)?.id, issues: parsed.error.issues.slice(0, 5) }, 'invalid measurement record dropped');
        return Promise.resolve();
      }
      queue.push(parsed.data);
      return Promise.resolve();
    },
    flush: () => queue.flush(),
    stats: () => ({ ...queue.stats(), invalid, lost: [...lost] }),
  };
}
