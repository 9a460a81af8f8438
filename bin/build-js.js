#!/usr/bin/env node
// Compiles labloop's TypeScript to dist/ (`npm run build:js`, also run by `npm install`/`npm ci`) so bin/labloop.js can
// start without tsx (ADR 0112). No type check here: `npm run typecheck` does that. dist/.built records when the
// build started; bin/labloop.js runs dist/ only while no source file is newer.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const started = new Date();
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // An install without development dependencies (npm ci --omit=dev) has no compiler: run from the sources.
  process.stderr.write('build:js skipped: TypeScript is not installed; bin/labloop.js runs the sources through tsx\n');
  process.exit(0);
}
const run = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (run.status !== 0) {
  process.stderr.write('build:js failed; bin/labloop.js keeps running the TypeScript sources through tsx\n');
  process.exit(run.status ?? 1);
}
mkdirSync(path.join(root, 'dist'), { recursive: true });
const stamp = path.join(root, 'dist', '.built');
writeFileSync(stamp, `${started.toISOString()}\n`);
utimesSync(stamp, started, started);
