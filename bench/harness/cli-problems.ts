import path from 'node:path';
import type { BenchFlags } from './bench-flags.ts';
import { defaultDatasetsDir, loadSpecFile, poolSpecSchema, protocolSchema, resolveSpecPath, type PoolProblem } from './problem-spec.ts';

/** Turns `labloop bench` flags into pool problems: one ad-hoc CSV pool, one spec, or a suite of preset specs. */
export const LIANG_PRESETS = ['liang-crossed-barrel', 'liang-agnp', 'liang-perovskite', 'liang-autoam'];
export const LAB_POOL_PRESETS = ['oer-3496', 'oer-3851', 'oer-3860', 'photo-pce10', 'photo-wf3', 'colors-bob'];

export class BenchUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

export function buildPoolProblems(suite: string, flags: BenchFlags): PoolProblem[] {
  const datasets = path.resolve(flags.datasets ?? defaultDatasetsDir());
  let problems: PoolProblem[];
  if (suite === 'pool') {
    if (flags.spec && flags.pool) throw new BenchUsageError('give either --spec or --pool, not both');
    problems = [flags.spec ? loadSpecFile(resolveSpecPath(flags.spec), datasets) : problemFromFlags(flags)];
  } else {
    const names = flags.problems ?? (suite === 'liang' ? LIANG_PRESETS : LAB_POOL_PRESETS);
    problems = names.map((n) => loadSpecFile(resolveSpecPath(n), datasets));
  }
  return problems.map((p) => applyOverrides(p, flags));
}

function problemFromFlags(flags: BenchFlags): PoolProblem {
  if (!flags.pool) throw new BenchUsageError('--pool <csv> (or --spec) is needed');
  if (!flags.inputs?.length) throw new BenchUsageError('--inputs <a,b,..> is needed with --pool');
  if (!flags.objective) throw new BenchUsageError('--objective <col> is needed with --pool');
  if (Boolean(flags.minimize) === Boolean(flags.maximize)) throw new BenchUsageError('give exactly one of --minimize or --maximize');
  const file = path.resolve(flags.pool);
  const pool = poolSpecSchema.parse({
    name: path.basename(file).replace(/\.csv$/i, ''),
    file,
    inputs: flags.inputs,
    objective: flags.objective,
    direction: flags.minimize ? 'minimize' : 'maximize',
    simplex: flags.simplex,
    categorical: flags.categorical,
  });
  return { pool, protocol: protocolSchema.parse({}) };
}

function applyOverrides(p: PoolProblem, f: BenchFlags): PoolProblem {
  const pool = { ...p.pool };
  if (f.replicates) pool.replicates = f.replicates;
  if (f.top !== undefined) pool.topFraction = f.top;
  if (f.simplex) pool.simplex = f.simplex;
  if (f.categorical) pool.categorical = f.categorical;
  const protocol = { ...p.protocol };
  if (f.init !== undefined) protocol.init = f.init;
  if (f.q) protocol.q = f.q;
  if (f.seeds !== undefined) protocol.seeds = f.seeds;
  if (f.seedBase !== undefined) protocol.seedBase = f.seedBase;
  if (f.budget !== undefined) protocol.budget = f.budget;
  if (f.stopAt !== undefined) protocol.stopAtTop = f.stopAt;
  if (f.agentSelect !== undefined) protocol.agentSelect = f.agentSelect;
  if (f.arms) protocol.arms = f.arms;
  if (f.liang) protocol.liang = true;
  return { ...p, pool, protocol };
}
