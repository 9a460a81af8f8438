import type { Failure } from '../domain/index.ts';

/** How one execution of a trial on a station ended. */
export type TrialOutcome =
  | { status: 'completed'; runId: string; objectives: Record<string, number>; features: Record<string, number>; flags: string[] }
  | { status: 'failed'; runId: string; failure: Failure }
  | { status: 'aborted'; runId: string; failure: Failure };
