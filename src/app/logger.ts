import { pino, destination, type DestinationStream } from 'pino';
import type { Logger } from '../domain/index.ts';
import type { Config } from '../config/index.ts';

export type LogFormat = 'pretty' | 'json';

export interface LogOutput {
  /** `json`: one JSON object a line; `pretty`: one readable line. Default: pretty on a terminal, JSON otherwise. */
  format?: LogFormat | undefined;
  /** `--quiet`: errors only. */
  quiet?: boolean | undefined;
  /** Where logs go (default stderr; stdout carries only what a command produces). */
  stream?: (NodeJS.WritableStream & { isTTY?: boolean }) | undefined;
}

const LEVEL_RANK: Record<Config['logLevel'], number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** The level actually used: `--quiet` raises anything below `error` to `error`. */
export function effectiveLevel(level: Config['logLevel'], quiet = false): Config['logLevel'] {
  return quiet && LEVEL_RANK[level] < LEVEL_RANK.error ? 'error' : level;
}

/** Structured logs on stderr: readable lines on a terminal, JSON when piped or with `--log-format json`. */
export function createLogger(level: Config['logLevel'], out: LogOutput = {}): Logger {
  const stream = out.stream ?? process.stderr;
  const format = out.format ?? (stream.isTTY ? 'pretty' : 'json');
  const dest: DestinationStream = format === 'pretty' ? prettyDestination(stream) : out.stream ? (out.stream as DestinationStream) : destination(2);
  return pino(
    { level: effectiveLevel(level, out.quiet), base: { app: 'labloop' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    dest,
  ) as unknown as Logger;
}

/** Fields that may hold a secret, at the top level or one level down. */
const SECRET_FIELDS = ['token', 'tokens', 'password', 'apiKey', 'api_key', 'authorization', 'secret', 'privateKey'];
export const REDACTED_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]);

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const OMITTED = new Set(['level', 'time', 'msg', 'app', 'pid', 'hostname']);

/** `12:00:01.234 WARN  message key=value …`; on a terminal the line first clears a progress bar drawn on it. */
export function formatPrettyLine(json: string, tty: boolean): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof rec['time'] === 'number' ? new Date(rec['time']).toISOString().slice(11, 23) : '';
  const level = LEVEL_NAMES[rec['level'] as number] ?? String(rec['level']);
  const fields = Object.entries(rec)
    .filter(([k]) => !OMITTED.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/[\s"=]/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(' ');
  return `${tty ? '\r\u001b[K' : ''}${time} ${level} ${String(rec['msg'] ?? '')}${fields ? `  ${fields}` : ''}\n`;
}

function prettyDestination(stream: NodeJS.WritableStream & { isTTY?: boolean }): DestinationStream {
  const tty = stream.isTTY === true;
  return { write: (line: string) => void stream.write(formatPrettyLine(line, tty)) };
}
