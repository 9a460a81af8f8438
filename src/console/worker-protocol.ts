import type { TokenEntry } from './auth.ts';

/**
 * Messages between the thread that runs a campaign and the worker thread that serves its console (ADR 0031).
 * Both ends are our own code in one process, so messages are plain structured-clone values; the worker still checks
 * the kind of everything it receives and answers an unknown call with an error rather than crashing.
 */

/** Start-up settings of the console worker (`workerData`). Tokens stay in memory; they are never logged. */
export interface ConsoleWorkerData {
  tokens: readonly TokenEntry[];
  insecureLocal: boolean;
  host: string;
  port: number;
  staticDir?: string | undefined;
  hubWindow?: number | undefined;
  /** Campaigns the host process runs (their commands are forwarded); empty: a read-only console. */
  controlled: readonly string[];
  /** Whether a command API exists at all (false for `labloop serve`). */
  hasCommands: boolean;
}

/** Host-side objects the worker may call, and their methods (everything async). */
export type RemoteTarget = 'reader' | 'commands' | 'feed';

export type HostToWorker =
  | { kind: 'docs'; docs: unknown[] }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: string }
  | { kind: 'close' };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type WorkerToHost =
  | { kind: 'ready'; url: string; port: number }
  | { kind: 'failed'; error: string }
  | { kind: 'call'; id: number; target: RemoteTarget; method: string; args: unknown[] }
  | { kind: 'log'; level: LogLevel; bindings: Record<string, unknown>; obj: object; msg?: string | undefined }
  | { kind: 'closed' };

export const READER_METHODS = [
  'listCampaigns',
  'getCampaign',
  'trials',
  'stations',
  'modelSnapshots',
  'operatorActions',
  'documentsAfter',
  'lastSeq',
  'exportCampaign',
] as const;

export const COMMAND_METHODS = ['execute', 'refuse', 'pending'] as const;
/** `watch` returns a handle; `release` frees it. */
export const FEED_METHODS = ['watch', 'release'] as const;
