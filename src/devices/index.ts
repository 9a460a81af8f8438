export * from './backends.ts';
export * from './liquid-handler.ts';
export * from './potentiostat.ts';
export * from './sample-preparation.ts';
