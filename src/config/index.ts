export * from './campaign-file.ts';
export * from './config.ts';
