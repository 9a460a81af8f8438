import type { LogFn, Logger } from './logger.ts';

export type LimitedLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLimiterOptions {
  /** Length of one aggregation interval, ms (default 10 000). */
  interval_ms?: number;
  /** Levels that are aggregated (default all four); the others pass straight through. */
  levels?: readonly LimitedLevel[];
  /** Wall clock, ms (tests inject one). */
  now?: () => number;
}

/** A logger whose repeated lines are aggregated; `flush()` writes the pending counts now (call it before exit). */
export interface LimitedLogger extends Logger {
  child(bindings: Record<string, unknown>): LimitedLogger;
  flush(): void;
}

interface Kind {
  until: number;
  suppressed: number;
  level: LimitedLevel;
  msg: string;
  logger: Logger;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Distinct kinds remembered at once; beyond it, expired kinds are forgotten (a flood of distinct messages stays bounded). */
const MAX_KINDS = 2000;
const OVERFLOW = 'log messages of too many distinct kinds';

/**
 * Bounded logs: the first line of a kind (level + message text) in an interval is written at once; repeats within
 * the interval are only counted, and when it ends one line `<message> (repeated N times in the last 10 s)` carries the
 * count and the fields of the last repeat. A client that sends 10 000 bad events thus writes two lines per kind, not
 * 10 000, while the first occurrence still shows when it started. Children share the counts.
 */
export function limitRepeats(logger: Logger, options: LogLimiterOptions = {}): LimitedLogger {
  const interval = options.interval_ms ?? 10_000;
  const levels = new Set<LimitedLevel>(options.levels ?? ['debug', 'info', 'warn', 'error']);
  const now = options.now ?? Date.now;
  const kinds = new Map<string, Kind>();

  const summarise = (kind: Kind): void => {
    if (kind.timer) clearTimeout(kind.timer);
    kind.timer = undefined;
    if (kind.suppressed === 0) return;
    const n = kind.suppressed;
    kind.suppressed = 0;
    kind.logger[kind.level]({ repeated: n, interval_s: interval / 1000 }, `${kind.msg} (repeated ${n} times in the last ${interval / 1000} s)`);
  };

  const forgetExpired = (t: number): void => {
    for (const [key, kind] of kinds)
      if (kind.until <= t) {
        summarise(kind);
        kinds.delete(key);
      }
  };

  const wrap = (target: Logger): LimitedLogger => {
    const at = (level: LimitedLevel): LogFn => {
      const write = target[level].bind(target) as (a: object | string, b?: string) => void;
      if (!levels.has(level)) return write as LogFn;
      return ((a: object | string, b?: string) => {
        let msg = typeof a === 'string' ? a : (b ?? '');
        let key = `${level}\u0000${msg}`;
        const t = now();
        if (!kinds.has(key) && kinds.size >= MAX_KINDS) {
          forgetExpired(t);
          // Still full: every further kind shares one overflow count.
          if (kinds.size >= MAX_KINDS) [msg, key] = [OVERFLOW, `${level}\u0000${OVERFLOW}`];
        }
        const kind = kinds.get(key);
        if (kind && t < kind.until) {
          kind.suppressed++;
          kind.timer ??= unrefTimer(() => summarise(kind), Math.max(0, kind.until - t));
          return;
        }
        if (kind) summarise(kind);
        kinds.set(key, { until: t + interval, suppressed: 0, level, msg, logger: target, timer: undefined });
        write(a, b);
      }) as LogFn;
    };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (bindings) => wrap(target.child(bindings)),
      flush: () => {
        for (const kind of kinds.values()) summarise(kind);
      },
    };
  };
  return wrap(logger);
}

function unrefTimer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(fn, ms);
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
