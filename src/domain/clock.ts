/**
 * Time source. `now()` is seconds since the clock's epoch; `sleep` may be virtual. Implementations live in
 * simulators/ (virtual) and src/app (wall).
 *
 * `join()` registers an actor (a running trial, the campaign loop while it decides): a discrete-event clock only
 * advances when every joined actor is asleep on it, so runs over real sockets stay deterministic. The returned
 * function leaves. Wall-clock implementations make it a no-op.
 */
export interface Clock {
  now(): number;
  sleep(seconds: number, signal?: AbortSignal): Promise<void>;
  join(): () => void;
}
