import { pino, destination } from 'pino';
import type { Logger } from '../domain/index.ts';
import type { Config } from '../config/index.ts';

/** Structured JSON logs on stderr (stdout stays for command output and the progress bar's summary). */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({ level, base: { app: 'labloop' }, redact: { paths: ['token', '*.token', 'password', '*.password'], censor: '[redacted]' } }, destination(2)) as unknown as Logger;
}
