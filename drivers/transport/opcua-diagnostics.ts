import { format } from 'node:util';
import { setDebugLogger, setErrorLogger, setWarningLogger } from 'node-opcua';
import type { Logger } from '../../src/domain/index.ts';

const ANSI = /\u001b\[[0-9;]*m/g;
/** Longest message kept (node-opcua dumps whole reference tables in some warnings). */
const MAX_CHARS = 2000;

/**
 * Routes node-opcua's own diagnostics (warnings, errors and debug traces it would print to stdout with
 * console.log) into `logger` at debug level, tagged `{ lib: 'node-opcua', source, line, kind }`. Errors the library
 * logs are its internal view of conditions our drivers already turn into typed failures (a closed session, a refused
 * certificate), so they too are debug lines, not operator warnings.
 *
 * node-opcua keeps one set of log sinks per process, so this is called once by each composition root that loads
 * node-opcua (the last call wins); nothing else in the project writes these sinks.
 */
export function routeOpcuaDiagnostics(logger: Logger): void {
  const child = logger.child({ lib: 'node-opcua' });
  const sink =
    (kind: 'warning' | 'error' | 'debug') =>
    (context?: unknown, ...args: unknown[]): void => {
      const ctx = (context ?? {}) as { filename?: unknown; callerline?: unknown };
      const text = format(...args).replace(ANSI, '').trim();
      child.debug(
        {
          kind,
          source: typeof ctx.filename === 'string' ? ctx.filename : undefined,
          line: typeof ctx.callerline === 'number' ? ctx.callerline : undefined,
        },
        text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)} … (${text.length} characters)` : text,
      );
    };
  setWarningLogger(sink('warning'));
  setErrorLogger(sink('error'));
  setDebugLogger(sink('debug'));
}
