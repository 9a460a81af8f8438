import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repositoryRoot } from '../domain/index.ts';

/** The drizzle-kit output folder shipped with labloop (`migrations/` at the repository root). */
export const DEFAULT_MIGRATIONS_FOLDER = fileURLToPath(new URL('migrations', repositoryRoot(import.meta.url, 2)));

/**
 * A short hash of every migration file (journal + SQL). It names cached PGlite templates, so a template made before a
 * schema change is never loaded after it.
 */
export function migrationsHash(folder: string = DEFAULT_MIGRATIONS_FOLDER): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(folder, 'meta', '_journal.json')));
  for (const name of readdirSync(folder).filter((f) => f.endsWith('.sql')).sort()) {
    hash.update(name);
    hash.update(readFileSync(join(folder, name)));
  }
  return hash.digest('hex').slice(0, 16);
}
