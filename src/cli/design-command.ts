import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Observation } from '../domain/index.ts';
import { nonNegativeInt, positiveInt } from './option-parsers.ts';
import { UsageError } from './usage-error.ts';

interface DesignFlags {
  campaign: string;
  data?: string;
  fromCampaign?: string;
  db?: string;
  target: string[];
  n: number;
  model: string;
  seed: number;
  out: string;
  plot?: string;
  samples?: number;
  steps?: number;
  compare?: boolean;
  quiet?: boolean;
  library?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];
/** The generator kinds (domain GENERATIVE_MODELS; spelled out here so `labloop --help` does not load zod). */
const MODELS = ['cvae', 'wgan', 'ddpm', 'prior'] as const;

/**
 * `labloop design`: inverse design with a conditional generator judged by the BO surrogate (ADR 0084). The heavy
 * modules (tfjs, the store) load only once the flags are known to be good.
 */
export function registerDesignCommand(program: Command): void {
  program
    .command('design')
    .description('Inverse design: diverse candidate recipes predicted to meet a target (conditional generator + BO surrogate + safety gate).')
    .requiredOption('--campaign <file>', 'campaign file (YAML): search space, objectives, safety envelope')
    .option('--data <file>', 'observations CSV (parameter and objective columns; a results.csv qualifies)')
    .option('--from-campaign <id>', 'use the finished trials of a stored campaign')
    .option('--db <dir>', 'PGlite folder of --from-campaign (ignored when DATABASE_URL is set)')
    .option('--target <expr>', 'target, e.g. "eta10 < 0.30" or "0.28 < eta10 < 0.30" (repeat or comma-separate for several objectives)', collect, [])
    .option('-n, --n <count>', 'candidates to return', positiveInt('-n'), 20)
    .option('--model <kind>', `generator: ${MODELS.join(' | ')}`, 'cvae')
    .option('--seed <n>', 'seed of every random source', nonNegativeInt('--seed'), 1)
    .option('--out <file>', 'candidates CSV', 'candidates.csv')
    .option('--plot <file>', 'SVG of candidates against the data (default: next to --out)')
    .option('--samples <n>', 'samples drawn from the generator (default max(2000, 100·n))', positiveInt('--samples'))
    .option('--steps <n>', "optimiser steps of the generator's training (its default otherwise)", positiveInt('--steps'))
    .option('--compare', 'also train every generator kind and print the VAE / GAN / diffusion / prior metrics table')
    .option('--library <file>', "choose the candidates among this CSV's recipes not yet observed (a plate; the campaign's parameter columns) instead of generated ones")
    .option('--quiet', 'no training progress')
    .action(async (opts: DesignFlags) => {
      await runDesignCommand(opts);
    });
}

async function runDesignCommand(flags: DesignFlags): Promise<void> {
  const { GENERATIVE_MODELS } = await import('../domain/index.ts');
  if (!(GENERATIVE_MODELS as readonly string[]).includes(flags.model)) throw new UsageError(`--model must be ${GENERATIVE_MODELS.join(', ')}, not "${flags.model}"`);
  if ((flags.data === undefined) === (flags.fromCampaign === undefined)) throw new UsageError('give exactly one of --data <file> and --from-campaign <id>');
  const { loadCampaignFile, loadConfig } = await import('../config/index.ts');
  const { parseTargets, formatWindow } = await import('../app/design/targets.ts');
  const file = await loadCampaignFile(flags.campaign);
  const spec = flags.library !== undefined ? await (await import('../app/recipe-library-file.ts')).withLibraryFile(file, flags.library) : file;
  let windows;
  try {
    windows = parseTargets(spec, flags.target);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const config = loadConfig(process.env, flags.db ? { pgliteDir: flags.db } : {});
  const source = await import('../app/design/observations-source.ts');
  let observations: Observation[];
  let from: string;
  if (flags.data !== undefined) {
    const r = await source.observationsFromCsv(spec, flags.data);
    observations = r.observations;
    from = `${flags.data} (${observations.length} rows${r.skipped > 0 ? `, ${r.skipped} skipped` : ''})`;
  } else {
    const { openStore } = await import('../store/open-store.ts');
    const { createLogger } = await import('../app/logger.ts');
    const store = await openStore({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, pgliteTemplateCacheDir: config.pgliteCacheDir, logger: createLogger(config.logLevel) });
    try {
      observations = await source.observationsFromStore(store, flags.fromCampaign as string);
    } finally {
      await store.close();
    }
    from = `campaign ${flags.fromCampaign} (${observations.length} finished trials)`;
  }
  if (observations.filter((o) => o.feasible).length < 3) throw new UsageError(`${from}: at least 3 results are needed`);
  const { runDesign } = await import('../app/design/run-design.ts');
  const out = await import('../app/design/design-output.ts');
  const model = flags.model as (typeof GENERATIVE_MODELS)[number];
  const progress = (p: { model: string; step: number; steps: number }): void => {
    if (!flags.quiet && (p.step === p.steps || p.step % Math.max(1, Math.floor(p.steps / 10)) === 0)) process.stderr.write(`\r${p.model}: training step ${p.step}/${p.steps}   `);
    if (!flags.quiet && p.step === p.steps) process.stderr.write('\n');
  };
  const common = {
    spec,
    observations,
    windows,
    n: flags.n,
    seed: flags.seed,
    backend: config.tfBackend,
    onProgress: progress,
    ...(flags.samples !== undefined ? { samples: flags.samples } : {}),
    ...(flags.steps !== undefined ? { steps: flags.steps } : {}),
  };
  process.stdout.write(`labloop design: ${spec.title} — target ${windows.map(formatWindow).join(', ')}, data ${from}, model ${model}, seed ${flags.seed}\n`);
  const result = await runDesign({ ...common, model });
  await mkdir(path.dirname(path.resolve(flags.out)), { recursive: true });
  await writeFile(flags.out, out.designCsv(spec, result));
  const plot = flags.plot ?? flags.out.replace(/\.csv$/i, '') + '.svg';
  await writeFile(plot, out.designSvg(spec, result, observations));
  process.stdout.write(`backend ${result.backend}; ${result.snapshot.architecture}; trained in ${result.snapshot.metrics.trainSeconds.toFixed(1)} s\n\n`);
  const shown = result.candidates.slice(0, Math.min(10, result.candidates.length));
  const o1 = spec.objectives[0];
  process.stdout.write(`| # | recipe | ${o1?.name ?? ''} predicted | P(target) | novelty | safety |\n| --- | --- | --- | --- | --- | --- |\n`);
  shown.forEach((c, i) => {
    const recipe = Object.entries(c.recipe)
      .filter(([, v]) => v !== 0)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? Number(v.toPrecision(3)) : v}`)
      .join(', ');
    const p = o1 ? c.predicted[o1.name] : undefined;
    process.stdout.write(`| ${i + 1} | ${recipe} | ${p ? `${p.mean.toFixed(3)} ± ${p.sd.toFixed(3)}` : '–'} | ${c.pTarget.toFixed(2)} | ${c.novelty.toFixed(3)} | ${c.safety.allowed ? 'allowed' : 'refused'} |\n`);
  });
  process.stdout.write(`\nmetrics (judged by the surrogate; COV at δ = ${result.metrics.delta} normalised RMS):\n${out.metricsHeader()}\n${out.metricsRow(model, result.metrics, result.snapshot.metrics.trainSeconds)}\n`);
  if (flags.compare)
    for (const other of GENERATIVE_MODELS.filter((k) => k !== model)) {
      const r = await runDesign({ ...common, model: other });
      process.stdout.write(`${out.metricsRow(other, r.metrics, r.snapshot.metrics.trainSeconds)}\n`);
    }
  process.stdout.write(`\nwrote ${flags.out} (${result.candidates.length} candidates), ${plot}\n`);
}


