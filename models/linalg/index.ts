export * from './matrix.ts';
export * from './cholesky.ts';
export * from './lower-factor.ts';
