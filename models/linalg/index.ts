export * from './matrix.ts';
export * from './cholesky.ts';
