#!/usr/bin/env node
// Entry point. Runs the compiled JavaScript under dist/ when `npm run build:js` made it and no source file changed
// since (ADR 0112); otherwise registers the TypeScript loader and runs the sources. LABLOOP_FROM_SOURCE=1 forces the
// sources.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';

// The old generation grows by 50 % of the live set after a full collection instead of V8's adaptive factor (up to 4×
// while collections are cheap), so a long campaign's peak RSS follows its live set (ADR 0114). Set before anything is
// allocated; LABLOOP_HEAP_GROWING_PERCENT overrides it (0 restores V8's own choice).
const heapGrowingPercent = Number(process.env.LABLOOP_HEAP_GROWING_PERCENT ?? 50);
if (Number.isInteger(heapGrowingPercent) && heapGrowingPercent >= 0) v8.setFlagsFromString(`--heap-growing-percent=${heapGrowingPercent}`);

const root = path.join(import.meta.dirname, '..');
const SOURCE_FOLDERS = ['src', 'agents', 'drivers', 'simulators', 'models'];

/** Newest modification time (ms) of a .ts file under `dir` (skipping the console's browser code and builds). */
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'dist' && e.name !== 'web') newest = Math.max(newest, newestSource(path.join(dir, e.name)));
    } else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(path.join(dir, e.name)).mtimeMs);
  }
  return newest;
}

function compiledIsFresh() {
  if (process.env.LABLOOP_FROM_SOURCE === '1') return false;
  let built;
  try {
    built = statSync(path.join(root, 'dist', '.built')).mtimeMs;
  } catch {
    return false;
  }
  return SOURCE_FOLDERS.every((f) => newestSource(path.join(root, f)) <= built);
}

let main;
if (compiledIsFresh()) ({ main } = await import('../dist/src/cli/main.js'));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
