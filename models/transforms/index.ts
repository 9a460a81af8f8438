export * from './search-space.ts';
export * from './outcome.ts';
export * from './scalarise.ts';
