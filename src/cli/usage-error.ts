/** Exit codes: 0 success, 1 the run failed, 2 bad usage, input or configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** "This command cannot do that with this input": exit code 2 with a one-line reason. */
export class UsageError extends Error {
  override name = 'UsageError';
}
