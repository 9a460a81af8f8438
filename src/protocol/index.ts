export * from './documents.ts';
export * from './document-bus.ts';
export * from './msg.ts';
export * from './measurement.ts';
export * from './trial-outcome.ts';
export * from './region-quarantines.ts';
export * from './stock-ledger.ts';
