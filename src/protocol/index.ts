export * from './documents.ts';
export * from './document-bus.ts';
export * from './msg.ts';
