/** Default time the first SIGINT/SIGTERM gives trials in flight to finish before the process exits anyway, s. */
export const DRAIN_TIMEOUT_S = 60;

export interface StopSignals {
  /** Fires on the first SIGINT/SIGTERM: stop proposing, let trials in flight finish, write outputs, pause. */
  pause: AbortSignal;
  dispose(): void;
}

/**
 * Graceful stop of a campaign process. The first SIGINT or SIGTERM pauses the campaign (`pause` fires); if the trials in
 * flight have not finished within `drainTimeout_s`, or on a second signal, the process exits at once (code 130). Either
 * way the campaign stays resumable: its documents are durable before every device step, and the devices de-duplicate
 * the steps a resume sends again.
 */
export function installStopSignals(opts: { campaignId: string; drainTimeout_s?: number | undefined; write?: (line: string) => void }): StopSignals {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const controller = new AbortController();
  const timeout_s = opts.drainTimeout_s ?? DRAIN_TIMEOUT_S;
  let timer: NodeJS.Timeout | undefined;
  const hint = `continue with \`labloop resume ${opts.campaignId}\``;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      write(`labloop: ${signal}: pausing — no new trials; waiting up to ${timeout_s} s for trials in flight, then writing the outputs (signal again to exit at once)`);
      controller.abort();
      timer = setTimeout(() => {
        write(`labloop: trials in flight did not finish within ${timeout_s} s; exiting — ${hint}`);
        process.exit(130);
      }, timeout_s * 1000);
      timer.unref();
      return;
    }
    write(`labloop: ${signal} again: exiting at once — ${hint}`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    pause: controller.signal,
    dispose: () => {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
