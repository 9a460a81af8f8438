import { MemorySaver, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph';
import type { RunnableConfig } from '@langchain/core/runnables';

type PendingWrite = Parameters<MemorySaver['putWrites']>[1][number];

/** One checkpointer operation as stored (a plannerCheckpoint document's payload). */
export type CheckpointRecord =
  | { op: 'put'; config: RunnableConfig; checkpoint: Checkpoint; metadata: CheckpointMetadata }
  | { op: 'writes'; config: RunnableConfig; writes: PendingWrite[]; taskId: string; taskPath?: string };

/** Only the thread keys of a config are stored (callbacks and other run options are not data). */
function keys(config: RunnableConfig): RunnableConfig {
  const c = config.configurable ?? {};
  const pick = Object.fromEntries(['thread_id', 'checkpoint_ns', 'checkpoint_id'].filter((k) => c[k] !== undefined).map((k) => [k, c[k] as unknown]));
  return { configurable: pick };
}

/**
 * A LangGraph checkpointer whose persistence is the campaign's document stream (ADR 0073): every `put` and
 * `putWrites` is handed to `persist` (the composition root publishes it as a plannerCheckpoint document, so it lands
 * in the campaign's PGlite or PostgreSQL database with everything else) and kept in memory for reads. `restore`
 * replays stored operations in order, so a resumed graph continues from its last checkpoint.
 */
export class DocumentCheckpointSaver extends MemorySaver {
  private restoring = false;

  constructor(private readonly persist: (record: CheckpointRecord) => void) {
    super();
  }

  static async restore(records: readonly CheckpointRecord[], persist: (record: CheckpointRecord) => void): Promise<DocumentCheckpointSaver> {
    const saver = new DocumentCheckpointSaver(persist);
    saver.restoring = true;
    try {
      for (const r of records) {
        if (r.op === 'put') await saver.put(r.config, r.checkpoint, r.metadata);
        else await saver.putWrites(r.config, r.writes, r.taskId, r.taskPath);
      }
    } finally {
      saver.restoring = false;
    }
    return saver;
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata): Promise<RunnableConfig> {
    const out = await super.put(config, checkpoint, metadata);
    if (!this.restoring) this.persist(structuredClone({ op: 'put', config: keys(config), checkpoint, metadata }) as CheckpointRecord);
    return out;
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    await super.putWrites(config, writes, taskId, taskPath);
    if (!this.restoring) this.persist(JSON.parse(JSON.stringify({ op: 'writes', config: keys(config), writes, taskId, ...(taskPath !== undefined ? { taskPath } : {}) })) as CheckpointRecord);
  }
}
