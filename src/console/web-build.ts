import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repositoryRoot, type Logger } from '../domain/index.ts';

/** The console's source folder (src/console/ of the repository, also when this module runs compiled; ADR 0112). */
const CONSOLE_SOURCES = fileURLToPath(new URL('src/console/', repositoryRoot(import.meta.url, 2)));
export const WEB_DIR = path.join(CONSOLE_SOURCES, 'web');
export const WEB_DIST_DIR = path.join(WEB_DIR, 'dist');

/** Files outside web/ whose code the bundle contains: the wire contract and the planner's counters (shared shapes). */
const SHARED_SOURCES = [path.join(CONSOLE_SOURCES, 'console-protocol.ts'), path.join(CONSOLE_SOURCES, '..', 'protocol', 'planner-stats.ts')];

/** Newest modification time (ms) of the front end's sources (web/ without dist/). */
async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name.startsWith('dist.') || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestSource(full) : (await stat(full)).mtimeMs);
  }
  return newest;
}

/** True when dist/index.html exists and is newer than every source file. */
export async function webBuildIsFresh(): Promise<boolean> {
  const built = await stat(path.join(WEB_DIST_DIR, 'index.html')).catch(() => undefined);
  if (!built) return false;
  const shared = await Promise.all(SHARED_SOURCES.map(async (f) => (await stat(f)).mtimeMs));
  const sources = Math.max(await newestSource(WEB_DIR), ...shared);
  return built.mtimeMs >= sources;
}

/**
 * Builds the front end with Vite's JavaScript API when dist/ is missing or older than its sources (`npm run
 * build:console` does the same from the command line). Builds into a private folder and renames it into place, so
 * concurrent test processes never serve a half-written dist/. Vite is a development dependency: an installed
 * package ships a built dist/ and never gets here.
 */
export async function ensureWebBuilt(opts: { logger: Logger; force?: boolean }): Promise<{ built: boolean; ms: number }> {
  const started = performance.now();
  if (!opts.force && (await webBuildIsFresh())) return { built: false, ms: 0 };
  const tmp = `${WEB_DIST_DIR}.${process.pid}-${Date.now()}`;
  opts.logger.info({ outDir: WEB_DIST_DIR }, 'console: building the web front end with Vite');
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new Error(`the console front end is not built (${WEB_DIST_DIR}) and Vite is not installed: run \`npm run build:console\` in a development checkout`);
  }
  try {
    await mkdir(tmp, { recursive: true });
    await vite.build({
      configFile: path.join(WEB_DIR, 'vite.config.ts'),
      root: WEB_DIR,
      logLevel: 'warn',
      build: { outDir: tmp, emptyOutDir: true },
    });
    const old = `${tmp}.old`;
    await rename(WEB_DIST_DIR, old).catch(() => undefined);
    await rename(tmp, WEB_DIST_DIR);
    await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    // Another process may have won the race: its build is as good as ours.
    if (await webBuildIsFresh()) return { built: false, ms: performance.now() - started };
    throw e;
  }
  return { built: true, ms: performance.now() - started };
}
