export { startConsoleServer, sameOrigin, type ConsoleServer, type ConsoleServerOptions, type ConsoleStats } from './console-server.ts';
export { startConsoleWorker, type ConsoleWorkerOptions } from './console-worker.ts';
export { busFeed, pollingFeed, type DocumentFeed, type PollingFeedOptions } from './document-feed.ts';
export { DocumentHub } from './document-hub.ts';
export { TokenAuth, tokenEntrySchema, bearerToken, isLoopbackHost, INSECURE_ACTOR, type Principal, type TokenEntry, type AuthResult } from './auth.ts';
export { ensureWebBuilt, webBuildIsFresh, WEB_DIR, WEB_DIST_DIR } from './web-build.ts';
export * from './console-protocol.ts';
export type * from './ports.ts';
