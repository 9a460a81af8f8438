export * from './backends.ts';
export * from './labware.ts';
export * from './liquid-handler.ts';
export * from './liquid-handler-codes.ts';
export * from './operation-records.ts';
export * from './potentiostat.ts';
export * from './sample-preparation.ts';
export * from './volume-tracker.ts';
