/** Time source. `now()` is seconds since the clock's epoch; `sleep` may be virtual. Implementations live in simulators/ (virtual) and src/app (wall). */
export interface Clock {
  now(): number;
  sleep(seconds: number, signal?: AbortSignal): Promise<void>;
}
