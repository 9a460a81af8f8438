/** Exit codes: 0 success, 1 the run failed, 2 bad usage, input or configuration, 130 paused by a signal (resumable). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** "This command cannot do that with this input": exit code 2 with a one-line reason. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The campaign stopped on a signal (or waits for an operator) and is resumable: exit 130 with the resume hint. */
export class CampaignPausedError extends Error {
  constructor(
    readonly campaignId: string,
    reason: string | undefined,
  ) {
    super(`campaign ${campaignId} paused${reason ? ` (${reason})` : ''}: continue with \`labloop resume ${campaignId}\``);
    this.name = 'CampaignPausedError';
  }
}
