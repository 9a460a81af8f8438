/**
 * Where labloop's code runs from (ADR 0112). From source, TypeScript is loaded through tsx; after `npm run build:js`
 * bin/labloop.js runs the compiled JavaScript under dist/, which mirrors the repository one folder deeper
 * (src/store/migrations.ts → dist/src/store/migrations.js). Modules that find files or start workers relative to
 * themselves ask here instead of assuming either layout. Pure string work: no I/O.
 */

/** True when the module at `moduleUrl` is compiled JavaScript (under dist/). */
export function isCompiledModule(moduleUrl: string): boolean {
  return moduleUrl.endsWith('.js');
}

/**
 * The repository's root folder as a URL (with a trailing slash), for a module `depth` folders below it in the source
 * tree (src/store/migrations.ts: depth 2).
 */
export function repositoryRoot(moduleUrl: string, depth: number): URL {
  const up = depth + (isCompiledModule(moduleUrl) ? 1 : 0);
  return new URL('../'.repeat(up) || './', moduleUrl);
}

/**
 * The code a worker thread evaluates to load `entry` (a sibling module named by its TypeScript file, e.g.
 * `./console-worker-main.ts`) and call `then` (JavaScript receiving the module as `m`); a failure to load is posted
 * to the parent as `failure(error)`. From source the worker registers tsx itself (loader hooks are not inherited by
 * workers; `tsxApi` is `import.meta.resolve('tsx/esm/api')` of the caller); compiled, it imports the .js sibling.
 */
export function workerBootScript(moduleUrl: string, entry: string, tsxApi: string, then: string, failure: string): string {
  const compiled = isCompiledModule(moduleUrl);
  const href = new URL(compiled ? entry.replace(/\.ts$/, '.js') : entry, moduleUrl).href;
  const load = compiled ? `import(${JSON.stringify(href)})` : `import(${JSON.stringify(tsxApi)}).then((t) => { t.register(); return import(${JSON.stringify(href)}); })`;
  return `const { workerData, parentPort } = require('node:worker_threads');${load}.then((m) => { ${then} }).catch((e) => { parentPort.postMessage(${failure}); });`;
}
