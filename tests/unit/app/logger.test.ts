import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, formatPrettyLine } from '../../../src/app/logger.ts';

function sink(isTTY: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, text: () => text };
}

describe('createLogger', () => {
  it('writes JSON lines when not on a terminal, readable lines on one, and JSON on a terminal when asked', () => {
    const piped = sink(false);
    createLogger('info', { stream: piped.stream }).warn({ station: 'p1' }, 'station slow');
    expect(JSON.parse(piped.text())).toMatchObject({ level: 40, station: 'p1', msg: 'station slow' });

    const tty = sink(true);
    createLogger('info', { stream: tty.stream }).warn({ station: 'p1' }, 'station slow');
    expect(tty.text()).toMatch(/^\r\u001b\[K\d\d:\d\d:\d\d\.\d{3} WARN  station slow {2}station=p1\n$/);

    const forced = sink(true);
    createLogger('info', { stream: forced.stream, format: 'json' }).info('x');
    expect(JSON.parse(forced.text())).toMatchObject({ msg: 'x' });
  });

  it('--quiet keeps only errors', () => {
    const s = sink(false);
    const log = createLogger('debug', { stream: s.stream, quiet: true });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(s.text().trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['e']);
  });

  it('redacts secrets in fields', () => {
    const s = sink(false);
    createLogger('info', { stream: s.stream }).info({ token: 'tok-0123456789abcdef', mqtt: { password: 'hunter2hunter2' }, apiKey: 'sk-123' }, 'connect');
    expect(s.text()).not.toMatch(/tok-0123456789abcdef|hunter2|sk-123/);
  });

  it('formats odd values readably', () => {
    expect(formatPrettyLine('{"level":50,"time":0,"msg":"m","reason":"two words","n":3}', false)).toBe('00:00:00.000 ERROR m  reason="two words" n=3\n');
    expect(formatPrettyLine('not json', false)).toBe('not json\n');
  });
});
