import { describe, expect, it } from 'vitest';
import { limitRepeats, type Logger } from '../../../src/domain/index.ts';

function recorder(): { logger: Logger; lines: { level: string; obj: unknown; msg: string }[] } {
  const lines: { level: string; obj: unknown; msg: string }[] = [];
  const at = (level: string) => (a: object | string, b?: string) => lines.push({ level, obj: typeof a === 'string' ? undefined : a, msg: typeof a === 'string' ? a : (b ?? '') });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return { logger, lines };
}

describe('limitRepeats', () => {
  it('writes the first line of a kind, counts repeats, and writes one summary per interval', () => {
    let t = 0;
    const { logger, lines } = recorder();
    const log = limitRepeats(logger, { interval_ms: 10_000, now: () => t });
    for (let i = 0; i < 10_000; i++) log.child({ socket: `s${i % 7}` }).warn({ i }, 'console: malformed command refused');
    log.warn('something else');
    expect(lines.map((l) => l.msg)).toEqual(['console: malformed command refused', 'something else']);
    t = 10_001;
    log.warn({ i: -1 }, 'console: malformed command refused');
    expect(lines.map((l) => l.msg)).toEqual([
      'console: malformed command refused',
      'something else',
      'console: malformed command refused (repeated 9999 times in the last 10 s)',
      'console: malformed command refused',
    ]);
    expect(lines[2]?.obj).toEqual({ repeated: 9999, interval_s: 10 });
    log.warn('console: malformed command refused');
    log.flush();
    expect(lines.at(-1)?.msg).toBe('console: malformed command refused (repeated 1 times in the last 10 s)');
  });

  it('keeps levels apart and passes levels it does not limit straight through', () => {
    const { logger, lines } = recorder();
    const log = limitRepeats(logger, { levels: ['warn'], now: () => 0 });
    for (let i = 0; i < 5; i++) {
      log.info('trial completed');
      log.warn('trial completed');
    }
    expect(lines.filter((l) => l.level === 'info')).toHaveLength(5);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  it('stays bounded under a flood of distinct messages', () => {
    const { logger, lines } = recorder();
    const log = limitRepeats(logger, { now: () => 0 });
    for (let i = 0; i < 5000; i++) log.warn(`distinct ${i}`);
    expect(lines).toHaveLength(2001);
    log.flush();
    expect(lines.at(-1)?.msg).toBe("log messages of too many distinct kinds (repeated 2999 times in the last 10 s)");
  });
});
