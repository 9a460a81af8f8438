import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadCampaignFile, loadConfig } from '../../src/config/index.ts';
import { REPO_ROOT, runEnvironment } from '../harness/environment.ts';
import { createProgress } from '../harness/progress.ts';
import { applyArm } from './arms.ts';
import { runLabTasks, type LabOutcome } from './child-pool.ts';
import type { LabBenchOptions } from './options.ts';
import { labCurvesSvg, labMarkdown, type LabBenchResult } from './report.ts';
import type { LabRunResult, LabTask } from './run-task.ts';
import { compareArms, summariseArm, type PairedComparison } from './summary.ts';
import { landscapeTruth } from './truth.ts';

export const DEFAULT_LAB_CAMPAIGN = path.join(REPO_ROOT, 'examples', 'oer-screen.yaml');

/** Best-true checkpoints: 24, 48, 96 trials (those within the budget) and the budget itself. */
export function labCheckpoints(trials: number): number[] {
  return [...new Set([...[24, 48, 96].filter((k) => k < trials), trials])];
}

function gitDescribe(): string | null {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--tags'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/**
 * The lab benchmark: every arm × landscape seed × seed is one full dry run of the campaign on the simulated lab, judged
 * by the landscape's noise-free truth. Runs go to child processes, longest expected first (model-based arms), and a
 * line per finished run goes to stderr.
 */
export async function runLabBenchmark(o: LabBenchOptions, command: string): Promise<LabBenchResult> {
  const started = performance.now();
  const campaignFile = o.campaign ?? DEFAULT_LAB_CAMPAIGN;
  const base = await loadCampaignFile(campaignFile);
  const spec0 = { ...base, budget: { ...base.budget, trials: o.trials }, stations: { pairs: o.stations } };
  const armSpecs = o.arms.map((arm) => ({ arm, spec: applyArm(spec0, arm) }));
  const config = loadConfig(process.env);
  const progress = createProgress('lab', { quiet: o.quiet, minIntervalMs: 0 });
  progress.log(`estimating the optimum of landscape(s) ${o.landscapeSeeds.join(', ')}`);
  const truths = o.landscapeSeeds.map((s) => landscapeTruth(s));
  const checkpoints = labCheckpoints(o.trials);
  const tasks: LabTask[] = [];
  // Model-based arms take longest: hand them out first so the workers finish together.
  const order = [...armSpecs].sort((a, b) => Number(a.spec.strategy.agent === 'random' || a.spec.strategy.agent === 'sobol') - Number(b.spec.strategy.agent === 'random' || b.spec.strategy.agent === 'sobol'));
  for (const seed of o.seeds)
    for (const truth of truths)
      for (const { arm, spec } of order)
        tasks.push({
          arm: arm.name,
          spec,
          seed,
          landscape: truth,
          transport: o.transport,
          faultRate: o.faultRate,
          calibration: o.calibration,
          checkpoints,
          pkiDir: path.resolve(config.pkiDir),
          pgliteCacheDir: path.resolve(config.pgliteCacheDir),
        });
  progress.log(`${tasks.length} runs (${o.arms.length} arm(s) × ${truths.length} landscape(s) × ${o.seeds.length} seed(s)) on ${o.workers} worker(s)`);
  const outcomes = await runLabTasks(tasks, {
    workers: o.workers,
    timeoutMs: o.timeoutMinutes * 60_000,
    onOutcome: (out, done, total) => progress.tick(done, total, describeOutcome(out)),
  });
  const runs = outcomes.flatMap((x) => (x.ok ? [x.result] : []));
  const errors = outcomes.flatMap((x) => (x.ok ? [] : [x]));
  const summaries = o.arms.flatMap((arm) => truths.map((t) => summariseArm(arm.name, t.seed, runs.filter((r) => r.arm === arm.name && r.landscapeSeed === t.seed), checkpoints)));
  const baseline = o.baseline ?? o.arms[0]?.name;
  const comparisons: PairedComparison[] = [];
  for (const arm of o.arms) {
    if (arm.name === baseline || baseline === undefined) continue;
    for (const t of truths) {
      const of = (name: string): LabRunResult[] => runs.filter((r) => r.arm === name && r.landscapeSeed === t.seed);
      comparisons.push({ arm: arm.name, baseline, landscapeSeed: t.seed, ...compareArms(of(arm.name), of(baseline), checkpoints) });
    }
  }
  return {
    benchmark: 'lab',
    config: {
      campaign: path.relative(process.cwd(), campaignFile) || campaignFile,
      arms: o.arms,
      seeds: o.seeds,
      landscapeSeeds: o.landscapeSeeds,
      trials: o.trials,
      stations: o.stations,
      transport: o.transport,
      faultRate: o.faultRate,
      workers: o.workers,
      checkpoints,
      calibration: o.calibration,
      command,
    },
    environment: { ...runEnvironment(), describe: gitDescribe() },
    landscapes: truths.map((t) => ({ seed: t.seed, optimum: t.optimum, optimumRecipe: t.optimumRecipe })),
    summaries,
    comparisons,
    errors,
    wallSeconds: (performance.now() - started) / 1000,
    runs,
  };
}

function describeOutcome(out: LabOutcome): string {
  if (!out.ok) return `${out.arm} seed ${out.seed} landscape ${out.landscapeSeed}: ERROR ${out.error.split('\n')[0]}`;
  const r = out.result;
  const regret = r.bestTrue === null ? '—' : `${((r.bestTrue - r.optimum) * 1000).toFixed(1)} mV`;
  const rep = r.reportedBest ? `, reported best regret ${(r.reportedBest.regret * 1000).toFixed(1)} mV` : '';
  return (
    `${r.arm} seed ${r.seed} landscape ${r.landscapeSeed}: ${r.state}, best true ${r.bestTrue?.toFixed(4) ?? '—'} V (regret ${regret}), ` +
    `15 mV ${r.trialsTo15 === null ? 'never' : `at trial ${r.trialsTo15}`}${rep}, ${r.failed} failed, ` +
    `${r.batchShift.alarms} batch alarm(s), ${r.wallSeconds.toFixed(0)} s`
  );
}

/** Writes `<out>/<name>.json`, `.md` and `-regret.svg`; returns the files. */
export function writeLabReport(r: LabBenchResult, outDir: string, name: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, name);
  const files = [`${base}.json`, `${base}.md`, `${base}-regret.svg`];
  fs.writeFileSync(files[0] as string, `${JSON.stringify(r)}\n`);
  fs.writeFileSync(files[1] as string, `${labMarkdown(r)}\n`);
  fs.writeFileSync(files[2] as string, labCurvesSvg(r));
  return files;
}
