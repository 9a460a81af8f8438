import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { schemaIssues, strictObject } from '../../src/domain/index.ts';

/**
 * Pool benchmark specs: which CSV, which columns, the direction, simplex groups and categorical columns (the pool),
 * plus the campaign protocol (initial points, batch sizes, seeds, budget, when to stop, arms). A spec comes from a
 * JSON file (bench/specs/*.json or a user's own) or from CLI flags; both go through the same zod schema.
 */
const directionSchema = z.enum(['minimize', 'maximize']);

const poolSpecShape = strictObject({
  name: z.string().min(1),
  /** Absolute (or cwd-relative) path of the CSV. */
  file: z.string().min(1),
  inputs: z.array(z.string().min(1)).min(1),
  /** One objective: its column and direction (or `objectives` for several). */
  objective: z.string().min(1).optional(),
  direction: directionSchema.optional(),
  /**
   * Several objectives (2 or 3, for an exact hypervolume): the top set is then the pool's Pareto set (its
   * non-dominated points; `topFraction` does not apply) and the campaigns also report the hypervolume reached.
   */
  objectives: z.array(strictObject({ column: z.string().min(1), direction: directionSchema })).min(2).max(3).optional(),
  /** Groups of input columns that are mixture fractions (each row is renormalised to sum 1). */
  simplex: z.array(z.array(z.string().min(1)).min(2)).optional(),
  /** Input columns holding labels (one-hot encoded). */
  categorical: z.array(z.string().min(1)).optional(),
  /** Replicate handling: mean of distinct values per input vector (Liang et al.), plain mean, or keep every row. */
  replicates: z.enum(['mean-distinct', 'mean', 'none']).default('mean-distinct'),
  /** Fraction of the pool that forms the top set (0.05: the best ceil(0.05·N) points). */
  topFraction: z.number().gt(0).lt(1).default(0.05),
});

const oneObjectiveForm = (s: { objective?: string; direction?: unknown; objectives?: unknown }): boolean =>
  s.objectives === undefined ? s.objective !== undefined && s.direction !== undefined : s.objective === undefined && s.direction === undefined;
const OBJECTIVE_FORM = { message: 'give either "objective" with "direction", or "objectives" (2–3 of {column, direction}), not both', path: ['objective'] };

export const poolSpecSchema = poolSpecShape.refine(oneObjectiveForm, OBJECTIVE_FORM);
export type PoolSpec = z.infer<typeof poolSpecSchema>;

/** The spec's objectives as a list (one entry for a single-objective pool). */
export function specObjectives(spec: PoolSpec): { column: string; direction: 'minimize' | 'maximize' }[] {
  return spec.objectives ?? [{ column: spec.objective as string, direction: spec.direction as 'minimize' | 'maximize' }];
}

export const protocolSchema = strictObject({
  /** Random initial pool points per campaign (the same for every arm at a given seed). */
  init: z.number().int().positive().default(5),
  /** Batch sizes to run (experiments per round). */
  q: z.array(z.number().int().positive()).min(1).default([1]),
  /** Campaigns per arm and batch size (seeds 0 … seeds−1, offset by seedBase). */
  seeds: z.number().int().positive().default(50),
  seedBase: z.number().int().nonnegative().default(0),
  /** Evaluations per campaign, initial points included (default: the whole pool). */
  budget: z.number().int().positive().optional(),
  /** A campaign stops once Top% reaches this (1: all of the top set found; later Top% values cannot change). */
  stopAtTop: z.number().gt(0).max(1).default(1),
  /** Agent arms: snap each proposal to the nearest unevaluated row, or choose from the pool as a recipe library (ADR 0122). */
  agentSelect: z.enum(['snap', 'library']).default('library'),
  arms: z.array(z.string().min(1)).min(1).default(['default', 'random']),
  /** Also aggregate curves as Liang et al. (2021): median over 10 random five-fold splits of fold-averaged curves. */
  liang: z.boolean().default(false),
});
export type Protocol = z.infer<typeof protocolSchema>;

/** The JSON spec file format: a pool (with `dataset` = a file name in the datasets folder, or `file` relative to the spec) and a protocol. */
export const specFileSchema = poolSpecShape
  .omit({ file: true })
  .extend({
    dataset: z.string().optional(),
    file: z.string().optional(),
    description: z.string().optional(),
    protocol: protocolSchema.partial().optional(),
  })
  .refine((s) => (s.dataset === undefined) !== (s.file === undefined), { message: 'give exactly one of "dataset" or "file"' })
  .refine(oneObjectiveForm, OBJECTIVE_FORM);
export type SpecFile = z.infer<typeof specFileSchema>;

export interface PoolProblem {
  pool: PoolSpec;
  protocol: Protocol;
  description?: string;
}

/** Where the shared datasets live by default: ../shared/datasets next to the repository. */
export function defaultDatasetsDir(): string {
  return path.resolve(import.meta.dirname, '../../../shared/datasets');
}

/** Reads and validates a JSON spec; `dataset` resolves against `datasetsDir`, `file` against the spec's folder. */
export function loadSpecFile(specPath: string, datasetsDir = defaultDatasetsDir()): PoolProblem {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read spec ${specPath}: ${(e as Error).message}`);
  }
  return problemFromSpec(raw, { specDir: path.dirname(path.resolve(specPath)), datasetsDir, origin: specPath });
}

export function problemFromSpec(raw: unknown, opts: { specDir: string; datasetsDir: string; origin: string }): PoolProblem {
  const parsed = specFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error).map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid pool spec ${opts.origin}: ${issues}`);
  }
  const s = parsed.data;
  const file = s.dataset !== undefined ? path.join(opts.datasetsDir, s.dataset) : path.resolve(opts.specDir, s.file as string);
  const { dataset: _dataset, description: _description, protocol: _protocol, ...poolFields } = s;
  const pool = poolSpecSchema.parse({ ...poolFields, file });
  return { pool, protocol: protocolSchema.parse(s.protocol ?? {}), description: s.description };
}

/** Names of the JSON specs shipped in bench/specs (without `.json`). */
export function listPresetSpecs(): string[] {
  const dir = presetDir();
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort() : [];
}

export function presetDir(): string {
  return path.resolve(import.meta.dirname, '../specs');
}

/** A preset name (e.g. `oer-3496`) or a path to a JSON spec. */
export function resolveSpecPath(nameOrPath: string): string {
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/')) return nameOrPath;
  const p = path.join(presetDir(), `${nameOrPath}.json`);
  if (!fs.existsSync(p)) throw new Error(`no preset spec "${nameOrPath}" (have: ${listPresetSpecs().join(', ')})`);
  return p;
}
