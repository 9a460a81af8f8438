import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** A repository-shaped folder with the real bin/labloop.js and stub entry modules that say which one ran. */
function fakeCheckout(): { dir: string; run: (env?: Record<string, string>) => string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'labloop-entry-'));
  mkdirSync(path.join(dir, 'bin'));
  copyFileSync(path.join(root, 'bin/labloop.js'), path.join(dir, 'bin/labloop.js'));
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const f of ['agents', 'drivers', 'simulators', 'models', 'src/cli', 'dist/src/cli']) mkdirSync(path.join(dir, f), { recursive: true });
  const stub = (which: string) => `export async function main(argv) { process.stdout.write('${which} ' + argv.slice(2).join(' ')); return 0; }\n`;
  writeFileSync(path.join(dir, 'src/cli/main.ts'), stub('source'));
  writeFileSync(path.join(dir, 'dist/src/cli/main.js'), stub('compiled'));
  const old = new Date(Date.now() - 60_000);
  utimesSync(path.join(dir, 'src/cli/main.ts'), old, old);
  writeFileSync(path.join(dir, 'dist/.built'), 'now\n');
  const run = (env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [path.join(dir, 'bin/labloop.js'), 'x'], { encoding: 'utf8', env: { ...process.env, LABLOOP_FROM_SOURCE: '', ...env }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };
  return { dir, run };
}

describe('bin/labloop.js', () => {
  it('runs the compiled JavaScript while no source is newer than the build, else the TypeScript sources', () => {
    const { dir, run } = fakeCheckout();
    expect(run()).toBe('compiled x');
    expect(run({ LABLOOP_FROM_SOURCE: '1' })).toBe('source x');
    writeFileSync(path.join(dir, 'models/edited.ts'), 'export {};\n'); // an edit after the build
    expect(run()).toBe('source x');
  });

  it('runs the sources when there is no build', () => {
    const { dir, run } = fakeCheckout();
    writeFileSync(path.join(dir, 'dist/.built'), '');
    const gone = new Date(0);
    utimesSync(path.join(dir, 'dist/.built'), gone, gone);
    expect(run()).toBe('source x');
  });
});
