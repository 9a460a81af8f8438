import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { formatZodIssues } from '../config/index.ts';
import { campaignSpecSchema, recipeKeys, type CampaignSpec, type Recipe } from '../domain/index.ts';
import { libraryIssues } from '../domain/recipe.ts';

/** Raised when a library file cannot be used; the message names the row and column of each problem. */
export class LibraryFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(`recipe library ${file}: ${problems.join('; ')}`);
    this.name = 'LibraryFileError';
  }
}

/**
 * The campaign with its recipe library read from a CSV file (ADR 0122): a header naming every parameter of the
 * campaign (simplex components by component; other columns, e.g. a well or plate id, are ignored), one recipe per
 * row. Nothing is skipped: a row that is not a recipe of the space (a missing or non-numeric value, a bound, a simplex
 * sum, a constraint) fails the whole file, naming its data row (1 = the first after the header) and column.
 */
export async function withLibraryFile(spec: CampaignSpec, file: string): Promise<CampaignSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new LibraryFileError(file, [(e as Error).message]);
  }
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (e) {
    throw new LibraryFileError(file, [`not a CSV file: ${(e as Error).message}`]);
  }
  const first = rows[0];
  if (!first) throw new LibraryFileError(file, ['no data rows']);
  const missing = recipeKeys(spec).filter((k) => !(k in first));
  if (missing.length > 0) throw new LibraryFileError(file, [`lacks the column(s) ${missing.join(', ')}`]);
  const problems: string[] = [];
  const library: Recipe[] = rows.map((row, i) => {
    const recipe: Recipe = {};
    for (const p of spec.parameters) {
      if (p.type === 'categorical') {
        recipe[p.name] = row[p.name] ?? '';
        continue;
      }
      for (const k of p.type === 'simplex' ? p.components : [p.name]) {
        const v = row[k] ?? '';
        const n = v === '' ? Number.NaN : Number(v);
        if (!Number.isFinite(n)) problems.push(`row ${i + 1}, ${k}: "${v}" is not a number`);
        recipe[k] = Number.isFinite(n) ? n : 0;
      }
    }
    return recipe;
  });
  if (problems.length > 0) throw new LibraryFileError(file, problems.slice(0, 10));
  const parsed = campaignSpecSchema.safeParse({ ...spec, library });
  if (!parsed.success) throw new LibraryFileError(file, formatZodIssues(parsed.error).map((p) => `${rowPath(p.path)}: ${p.message}`));
  const issues = libraryIssues(parsed.data);
  if (issues.length > 0) throw new LibraryFileError(file, issues.map((p) => `${rowPath(p.path)}: ${p.message}`));
  return parsed.data;
}

/** `library.4.Fe` → `row 5, Fe` (data rows counted from 1); other paths as they are. */
function rowPath(path: string): string {
  return path.replace(/^library\.(\d+)\.?/, (_, r: string) => `row ${Number(r) + 1}, `).replace(/, $/, '');
}
