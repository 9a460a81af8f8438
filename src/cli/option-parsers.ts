import { InvalidArgumentError } from 'commander';

/** Commander argument parsers that name the option in their error. */
export const positiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

export const nonNegativeInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return n;
};

export const probability = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be a probability in [0, 1]`);
  return n;
};

/** How a command logs: `--log-format` (or LABLOOP_LOG_FORMAT) and `--quiet` (errors only). */
export function logOutputOf(raw: Record<string, unknown>, config: { logFormat?: 'pretty' | 'json' | undefined }): { format: 'pretty' | 'json' | undefined; quiet: boolean } {
  const format = raw['logFormat'];
  return { format: format === 'pretty' || format === 'json' ? format : config.logFormat, quiet: raw['quiet'] === true };
}
