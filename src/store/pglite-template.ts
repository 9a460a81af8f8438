import { PGlite } from '@electric-sql/pglite';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../domain/index.ts';
import { migrationsHash } from './migrations.ts';

/**
 * A cache of one migrated, empty PGlite database, so a new database skips initdb. It is kept twice: as a data folder,
 * copied into a new folder database, and as a tarball, loaded into a `memory://` database. Measured on this 2-core
 * machine class: idle, initdb ≈ 4 s, folder copy + open ≈ 0.8–1.0 s, tarball into memory ≈ 1.1–1.9 s; under load
 * ≈ 9, initdb 9–26 s, folder 2.2–2.5 s, memory ≈ 3.5 s. Names carry the PGlite version and a hash of the migrations,
 * so a template made by another PGlite or before a schema change is never used.
 */
export interface PgliteTemplate {
  folder: string;
  tarball: string;
}

export function pgliteTemplate(cacheDir: string, migrationsFolder: string): PgliteTemplate {
  const base = join(resolve(cacheDir), `pglite-${pgliteVersion()}-${migrationsHash(migrationsFolder)}`);
  return { folder: base, tarball: `${base}.tar.gz` };
}

export function hasTemplate(t: PgliteTemplate): boolean {
  return existsSync(join(t.folder, 'PG_VERSION')) && existsSync(t.tarball);
}

export function readTemplateTarball(t: PgliteTemplate): Blob {
  return new Blob([readFileSync(t.tarball)]);
}

/** Copies the template folder into a new database folder (which must not hold a database yet). */
export function copyTemplateFolder(t: PgliteTemplate, dir: string): void {
  cpSync(t.folder, dir, { recursive: true, force: false, errorOnExist: false });
}

/**
 * Saves `client`'s database (just initialised and migrated, still empty) as the template. Concurrent writers each
 * build in a private temporary name and rename into place; the loser's copy is discarded. Failures only cost speed.
 */
export async function writeTemplate(client: PGlite, t: PgliteTemplate, logger: Logger): Promise<void> {
  const started = performance.now();
  const tmp = `${t.folder}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dirname(t.folder), { recursive: true });
    const dump = await client.dumpDataDir('gzip');
    writeFileSync(`${tmp}.tar.gz`, Buffer.from(await dump.arrayBuffer()));
    const copy = await PGlite.create({ dataDir: tmp, loadDataDir: dump });
    await copy.close();
    renameInto(tmp, t.folder);
    renameInto(`${tmp}.tar.gz`, t.tarball);
    logger.info({ template: t.folder, ms: Math.round(performance.now() - started) }, 'pglite template cached');
  } catch (e) {
    logger.warn({ err: e, template: t.folder }, 'could not cache the pglite template; new databases will run initdb');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(`${tmp}.tar.gz`, { force: true });
  }
}

function renameInto(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e; // another process won the race
  }
}

function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@electric-sql/pglite');
  const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
