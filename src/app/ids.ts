import { monotonicFactory } from 'ulid';

/** ULID factory (sortable, unique across processes) for command, trial, run and suggestion ids. */
export function createIdFactory(): () => string {
  const next = monotonicFactory();
  return () => next();
}
