/**
 * bench:generative (issue 13): generative recipe models on the simulated lab's truth.
 *   timing  train 1,000 rows (d = 9) per model on the wasm backend; sample 10,000 recipes (network + exact decoder);
 *           rank 100,000 candidates with the BO acquisition
 *   models  CVAE vs WGAN-GP vs DDPM vs prior sampler trained on uniform recipes of the default landscape, conditioned
 *           on its best tenth; samples judged by the noise-free landscape (hit rate, W1, COV-R/COV-P, …)
 *   warm    warm start: dry runs on landscape 2026, the generator pre-trained on rows of a related landscape
 *           (--prior-landscape, default 2027), against cold BO and the control cold BO + prior sampler, paired on seeds
 *           (judged by the truth, as bench:lab); --arms bo,bo+prior-cold,bo+prior,bo+prior-adaptive,bo+prior-checked,bo+prior-ramped,bo+prior-explore,bo+prior-mean,bo+cvae picks arms
 *   diversity  q = 8 batch diversity and quality of BO, BO + prior sampler, BO + CVAE after the same 24 truth rows
 * Usage: npm run bench:generative -- [--sections timing,models,warm] [--seeds 1-3] [--trials 48] [--arms …] [--name suffix] [--out dir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createBoAgent } from '../agents/bo-agent.ts';
import { createGenerativeAgent } from '../agents/generative-agent.ts';
import { createInlineTrainer } from '../src/app/generative-trainer.ts';
import { coverage, nearestDistances, uniqueness, wasserstein1d } from '../models/generative/metrics.ts';
import { createRecipeCodec } from '../models/generative/recipe-codec.ts';
import { selectTfBackend } from '../models/generative/tf-backend.ts';
import { loadModel, trainModel } from '../models/generative/trained-model.ts';
import { GENERATOR_KINDS, type GeneratorKind } from '../models/generative/generator.ts';
import { loadCampaignFile, loadConfig } from '../src/config/index.ts';
import { campaignSpecSchema, normaliseRecipe, Rng, type CampaignSpec, type Observation, type Recipe } from '../src/domain/index.ts';
import { fromRows } from '../models/linalg/index.ts';
import { SafetyGate } from '../src/safety/safety-gate.ts';
import { parseSeedList } from './lab/options.ts';
import { runLabTask, type LabRunResult } from './lab/run-task.ts';
import { landscapeTruth, truthOf } from './lab/truth.ts';

const { values: args } = parseArgs({
  options: {
    sections: { type: 'string', default: 'timing,models' },
    seeds: { type: 'string', default: '1-3' },
    trials: { type: 'string', default: '48' },
    rows: { type: 'string', default: '300' },
    'prior-landscape': { type: 'string', default: '2027' },
    'prior-rows': { type: 'string', default: '200' },
    out: { type: 'string', default: 'bench/results' },
    /** warm: arms to run (default all), by name without the parenthesis, e.g. bo,bo+prior-cold. */
    arms: { type: 'string' },
    /** timing and models: the generator kinds to run (default all). */
    kinds: { type: 'string' },
    /** models: DDPM samplers to compare (reverse steps; ≥ T = the full ancestral chain). */
    'ddpm-sample-steps': { type: 'string', default: '10' },
    /** Suffix of the output files, so that runs over disjoint seed ranges can run side by side. */
    name: { type: 'string', default: '' },
  },
});
const sections = new Set((args.sections ?? '').split(','));
const seeds = parseSeedList(args.seeds ?? '1-3', '--seeds');
const ddpmSampleSteps = (args['ddpm-sample-steps'] ?? '10').split(',').map(Number);
const kinds: GeneratorKind[] = args.kinds ? GENERATOR_KINDS.filter((k) => (args.kinds as string).split(',').includes(k)) : [...GENERATOR_KINDS];
const LANDSCAPE = 2026;
const spec = await loadCampaignFile(path.resolve(import.meta.dirname, '../examples/oer-screen.yaml'));
const backend = await selectTfBackend('wasm');
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const md: string[] = [`machine: ${os.availableParallelism()} cores, node ${process.version}, tfjs backend ${backend.backend}, load average ${os.loadavg()[0]?.toFixed(1)}`, ''];
const json: Record<string, unknown> = { backend: backend.backend };
const outDir = args.out ?? 'bench/results';
const outName = `generative-${[...sections].sort().join('-')}${args.name ? `-${args.name}` : ''}`;
function writeResults(): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `${outName}.md`), `${md.join('\n')}\n`);
  writeFileSync(path.join(outDir, `${outName}.json`), `${JSON.stringify(json, null, 2)}\n`);
}

/** n uniform dispensable recipes observed on a landscape's truth (chemistry failures are infeasible rows). */
function truthRows(n: number, landscape: number, seed: number, s: CampaignSpec = spec): Observation[] {
  const codec = createRecipeCodec(s);
  const rng = new Rng(seed).fork('bench-generative-rows');
  return Array.from({ length: n }, (_, i): Observation => {
    const recipe = codec.space.decode(codec.space.toFeatures(codec.space.fromUnit(Float64Array.from({ length: codec.space.unitDim }, () => rng.next()))));
    const t = truthOf(recipe, landscape);
    return t.failure
      ? { trialId: `r${i}`, recipe, feasible: false, objectives: {}, qualityFlags: [] }
      : { trialId: `r${i}`, recipe, feasible: true, objectives: { eta10: t.eta10 }, qualityFlags: [] };
  });
}

if (sections.has('timing')) {
  md.push('### Timing (wasm backend, d = 9: the default OER space)', '', '| model | train 1,000 rows, s | steps | sample 10,000 (network + decoder), ms |', '| --- | --- | --- | --- |');
  const rows = truthRows(1000, LANDSCAPE, 1);
  const timing: Record<string, unknown>[] = [];
  for (const kind of kinds) {
    log(`timing: training ${kind} on 1,000 rows`);
    const trained = trainModel({ snapshotId: kind, spec, observations: rows, kind, seed: 1, backend: backend.backend });
    const m = loadModel(spec, trained);
    const cond = m.conditionsBeyondBest(0.05, 10_000);
    m.sample(cond.subarray(0, 100 * trained.snapshot.condDim), 100, 1);
    const t0 = performance.now();
    const s = m.sample(cond, 10_000, 2);
    const sampleMs = performance.now() - t0;
    m.dispose();
    timing.push({ kind, trainSeconds: trained.snapshot.metrics.trainSeconds, sampleMs, valid: s.recipes.length });
    md.push(`| ${kind} | ${trained.snapshot.metrics.trainSeconds.toFixed(1)} | ${trained.snapshot.hyperparameters['steps'] ?? '–'} | ${sampleMs.toFixed(0)} |`);
  }
  log('timing: ranking 100,000 candidates with the acquisition');
  const judge = createBoAgent({ spec, seed: 1, newId: () => 'x' });
  await judge.ingest(truthRows(48, LANDSCAPE, 2));
  const cands = truthRows(100_000, LANDSCAPE, 3).map((o) => o.recipe);
  await judge.score(cands.slice(0, 100), []);
  /** Wall and CPU milliseconds of f (CPU: user + system of this process; the machine may be shared). */
  const timed = async (f: () => unknown): Promise<{ wallMs: number; cpuMs: number }> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await f();
    const c = process.cpuUsage(c0);
    return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
  };
  const X = fromRows(cands.map((r) => judge.space.encode(normaliseRecipe(spec, r))));
  const ranked = await timed(() => judge.rankFeatures(X, [], 100));
  const features = await timed(() => judge.scoreFeatures(X, []));
  const recipes = await timed(() => judge.score(cands, []));
  md.push(
    '',
    `Rank 100,000 candidates with the BO acquisition (GP on 48 results, ${judge.scoreFeatures(X.n > 0 ? fromRows([X.data.subarray(0, X.d)]) : X, []).feasibility ? 'with' : 'without'} a feasibility model):`,
    `rank encoded rows, top 100 with predictions (\`rankFeatures\`): ${ranked.wallMs.toFixed(0)} ms wall, ${ranked.cpuMs.toFixed(0)} ms CPU; every row fully scored (\`scoreFeatures\`): ${features.wallMs.toFixed(0)} ms wall, ${features.cpuMs.toFixed(0)} ms CPU;`,
    `recipes (\`score\`: normalise, encode, score, decode): ${recipes.wallMs.toFixed(0)} ms wall, ${recipes.cpuMs.toFixed(0)} ms CPU.`,
    '',
  );
  json['timing'] = { models: timing, rank100k: { ranked, features, recipes } };
}

if (sections.has('models')) {
  const nRows = Number(args.rows);
  md.push(`### Models judged by the simulator's truth (${nRows} uniform training rows, landscape ${LANDSCAPE}, target: the best tenth of the training rows; 2,000 samples; ${seeds.length} seeds, means)`, '');
  md.push('| model | validity | uniqueness | novelty (> 0.05) | COV-R | COV-P | W1 to target, V | hit rate (truth) | train s | sample 10k, CPU ms |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const gate = new SafetyGate(spec);
  const codec = createRecipeCodec(spec);
  const F = codec.dim;
  const acc: Record<string, number[][]> = {};
  for (const seed of seeds) {
    const rows = truthRows(nRows, LANDSCAPE, 100 + seed);
    const feasible = rows.filter((r) => r.feasible);
    const sorted = feasible.map((r) => r.objectives['eta10'] as number).sort((a, b) => a - b);
    const target = sorted[Math.floor(0.1 * sorted.length)] as number;
    const ref = feasible.filter((r) => (r.objectives['eta10'] as number) <= target);
    const refX = codec.encode(ref.map((r) => r.recipe));
    const dataX = codec.encode(rows.map((r) => r.recipe));
    const targetValues = ref.map((r) => r.objectives['eta10'] as number);
    for (const kind of kinds) {
      log(`models: seed ${seed}, ${kind}`);
      const trained = trainModel({ snapshotId: kind, spec, observations: rows, kind, seed, backend: backend.backend });
      // A DDPM is judged once per sampler (--ddpm-sample-steps): the same weights, S reverse steps.
      const variants = kind === 'ddpm' ? ddpmSampleSteps.map((S) => ({ label: `ddpm S=${S}`, hyper: { ...trained.snapshot.hyperparameters, sampleSteps: S } })) : [{ label: kind, hyper: trained.snapshot.hyperparameters }];
      for (const variant of variants) {
        const m = loadModel(spec, { ...trained, snapshot: { ...trained.snapshot, hyperparameters: variant.hyper } });
        const drawn = 2000;
        const cond10k = m.conditionsFor([{ objective: 'eta10', high: target }], 10_000, seed);
        m.sampleFeatures(cond10k.subarray(0, 100 * trained.snapshot.condDim), 100, 1);
        const c0 = process.cpuUsage();
        m.sampleFeatures(cond10k, 10_000, seed + 2);
        const cpu = process.cpuUsage(c0);
        const s = m.sample(m.conditionsFor([{ objective: 'eta10', high: target }], drawn, seed), drawn, seed + 1);
        m.dispose();
        const ok: Recipe[] = s.recipes.filter((r) => gate.checkRecipe(r).allowed);
        const x = codec.encode(ok);
        const truths = ok.map((r) => truthOf(r, LANDSCAPE));
        const values = truths.filter((t) => !t.failure).map((t) => t.eta10);
        const near = nearestDistances(x, ok.length, dataX, rows.length, F);
        const cov = coverage(x, ok.length, refX, ref.length, F, 0.1);
        const row = [
          ok.length / drawn,
          uniqueness(x, ok.length, F),
          Array.from(near).filter((d) => d > 0.05).length / Math.max(1, ok.length),
          cov.recall,
          cov.precision,
          wasserstein1d(values, targetValues),
          values.filter((v) => v <= target).length / Math.max(1, ok.length),
          trained.snapshot.metrics.trainSeconds,
          (cpu.user + cpu.system) / 1000,
        ];
        (acc[variant.label] ??= []).push(row);
      }
    }
  }
  const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
  const table: Record<string, number[]> = {};
  for (const label of Object.keys(acc)) {
    const rs = acc[label] ?? [];
    const mean = (rs[0] ?? []).map((_, j) => rs.reduce((a, r) => a + (r[j] as number), 0) / rs.length);
    table[label] = mean;
    const [v, u, nov, cr, cp, w, hit, ts, sampleCpu] = mean as [number, number, number, number, number, number, number, number, number];
    md.push(`| ${label} | ${pct(v)} | ${pct(u)} | ${pct(nov)} | ${pct(cr)} | ${pct(cp)} | ${w.toFixed(4)} | ${pct(hit)} | ${ts.toFixed(1)} | ${sampleCpu.toFixed(0)} |`);
  }
  md.push('', 'COV at δ = 0.1 (RMS difference per normalised feature column) against the training rows that meet the target; W1 between the true η10 of the samples and of those rows; hit rate: samples whose true η10 meets the target (a uniform draw: 10 %).', '');
  json['models'] = table;
}

if (sections.has('diversity')) {
  // q = 8 batch diversity: after the same 24 truth rows per seed, one batch of 8 from each arm; diversity = mean
  // pairwise RMS distance per normalised feature column (codec space), quality = the batch's true η10.
  const codec = createRecipeCodec(spec);
  const F = codec.dim;
  const divArms: { name: string; generative?: Record<string, unknown> }[] = [
    { name: 'bo' },
    { name: 'bo+prior', generative: { model: 'prior', share: 0.5, adaptiveShare: false, minObservations: 5 } },
    { name: 'bo+cvae', generative: { model: 'cvae', share: 0.5, adaptiveShare: false, minObservations: 5, trainingSteps: 300 } },
  ];
  const rowsOut: { arm: string; seed: number; diversity: number; meanTrue: number; bestTrue: number; failures: number }[] = [];
  for (const seed of seeds) {
    const obs = truthRows(24, LANDSCAPE, 500 + seed);
    for (const arm of divArms) {
      log(`diversity: seed ${seed}, ${arm.name}`);
      const armSpec = campaignSpecSchema.parse({ ...spec, strategy: { ...spec.strategy, ...(arm.generative ? { agent: 'generative', generative: arm.generative } : {}) } });
      let k = 0;
      const ctx = { spec: armSpec, seed, newId: () => `d${++k}` };
      const judge = createBoAgent(ctx);
      const agent = arm.generative
        ? createGenerativeAgent(ctx, { judge, trainer: createInlineTrainer({ backend: 'wasm' }), prepareSampling: async () => selectTfBackend('wasm'), settings: arm.generative })
        : judge;
      await agent.ingest(obs);
      const batch = await agent.suggest(8, []);
      const x = codec.encode(batch.map((b) => b.recipe));
      let sum = 0;
      let pairs = 0;
      for (let a = 0; a < batch.length; a++)
        for (let b = a + 1; b < batch.length; b++) {
          let d2 = 0;
          for (let j = 0; j < F; j++) d2 += ((x[a * F + j] as number) - (x[b * F + j] as number)) ** 2;
          sum += Math.sqrt(d2 / F);
          pairs++;
        }
      const truths = batch.map((b) => truthOf(b.recipe, LANDSCAPE));
      const values = truths.filter((t) => !t.failure).map((t) => t.eta10);
      rowsOut.push({
        arm: arm.name,
        seed,
        diversity: sum / Math.max(1, pairs),
        meanTrue: values.reduce((a, v) => a + v, 0) / Math.max(1, values.length),
        bestTrue: Math.min(...values),
        failures: truths.length - values.length,
      });
      json['diversity'] = rowsOut;
      writeResults();
    }
  }
  const med = (xs: number[]): number => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? (v[(v.length - 1) / 2] as number) : ((v[v.length / 2 - 1] as number) + (v[v.length / 2] as number)) / 2;
  };
  md.push(`### q = 8 batch diversity (24 uniform truth rows of landscape ${LANDSCAPE} per seed; ${seeds.length} seeds; medians)`, '', '| arm | diversity (mean pairwise RMS, normalised) | mean true η10 of the batch, V | best true η10 of the batch, V | failures per batch |', '| --- | --- | --- | --- | --- |');
  for (const arm of divArms) {
    const rs = rowsOut.filter((r) => r.arm === arm.name);
    md.push(`| ${arm.name} | ${med(rs.map((r) => r.diversity)).toFixed(3)} | ${med(rs.map((r) => r.meanTrue)).toFixed(4)} | ${med(rs.map((r) => r.bestTrue)).toFixed(4)} | ${med(rs.map((r) => r.failures))} |`);
  }
  md.push('');
}

if (sections.has('warm')) {
  const trials = Number(args.trials);
  const priorLandscape = Number(args['prior-landscape']);
  const prior = truthRows(Number(args['prior-rows']), priorLandscape, 7);
  const truth = landscapeTruth(LANDSCAPE);
  const config = loadConfig({}, { logLevel: 'silent' });
  const priorSampler = { agent: 'generative', generative: { model: 'prior', share: 0.5, adaptiveShare: false, retrainEvery: 8, minObservations: 5 } };
  // ADR 0115: the same sampler with the adaptive share (0.5 the maximum, at least 0.1).
  const priorAdaptive = { agent: 'generative', generative: { model: 'prior', share: 0.5, adaptiveShare: true, minShare: 0.1, priorCheck: false, retrainEvery: 8, minObservations: 5 } };
  // ADR 0116: the adaptive sampler with the check of the prior against the campaign's results.
  const priorChecked = { agent: 'generative', generative: { model: 'prior', share: 0.5, adaptiveShare: true, minShare: 0.1, priorCheck: true, priorTrustAfter: 0, exploreOutsidePrior: false, retrainEvery: 8, minObservations: 5 } };
  // The same with the prior's places ramped in over the campaign's first 24 results.
  const priorRamped = { agent: 'generative', generative: { ...priorChecked.generative, priorTrustAfter: 24 } };
  // The same with one of BO's places outside the prior rows' region when it holds two or more (batches of one: no change).
  const priorExplore = { agent: 'generative', generative: { ...priorChecked.generative, exploreOutsidePrior: true } };
  // The same with the prior rows as BO's prior mean (ADR 0118).
  const priorMean = { agent: 'generative', generative: { ...priorExplore.generative, priorMean: true } };
  const allArms: { key: string; name: string; strategy: Record<string, unknown>; prior: boolean }[] = [
    { key: 'bo', name: 'bo (cold)', strategy: {}, prior: false },
    // The control: the same sampler in the loop without the related rows (separates the data from the proposals).
    { key: 'bo+prior-cold', name: 'bo+prior (cold)', strategy: priorSampler, prior: false },
    { key: 'bo+prior', name: 'bo+prior (warm)', strategy: priorSampler, prior: true },
    { key: 'bo+prior-adaptive', name: 'bo+prior adaptive (warm)', strategy: priorAdaptive, prior: true },
    { key: 'bo+prior-checked', name: 'bo+prior checked (warm)', strategy: priorChecked, prior: true },
    { key: 'bo+prior-ramped', name: 'bo+prior checked, ramp 24 (warm)', strategy: priorRamped, prior: true },
    { key: 'bo+prior-explore', name: 'bo+prior checked, explore outside (warm)', strategy: priorExplore, prior: true },
    { key: 'bo+prior-mean', name: 'bo+prior checked, explore outside, prior mean (warm)', strategy: priorMean, prior: true },
    { key: 'bo+cvae', name: 'bo+cvae (warm)', strategy: { agent: 'generative', generative: { model: 'cvae', share: 0.5, adaptiveShare: false, retrainEvery: 8, trainingSteps: 400, minObservations: 5 } }, prior: true },
  ];
  const wanted = args.arms?.split(',').map((a) => a.trim());
  const arms = wanted ? allArms.filter((a) => wanted.includes(a.key)) : allArms;
  if (arms.length === 0) throw new Error(`--arms: none of ${args.arms} is one of ${allArms.map((a) => a.key).join(', ')}`);
  const results: LabRunResult[] = [];
  for (const seed of seeds)
    for (const arm of arms) {
      log(`warm: seed ${seed}, ${arm.name}`);
      const armSpec = campaignSpecSchema.parse({ ...spec, budget: { trials }, strategy: { ...spec.strategy, ...arm.strategy } });
      const r = await runLabTask({
        arm: arm.name,
        spec: armSpec,
        seed,
        landscape: truth,
        transport: 'sim',
        faultRate: 0,
        calibration: { uniform: 0, near: 0 },
        checkpoints: [12, 24, trials],
        pkiDir: path.resolve(config.pkiDir),
        pgliteCacheDir: path.resolve(config.pgliteCacheDir),
        ...(arm.prior ? { priorObservations: prior } : {}),
      });
      results.push(r);
      // Written after every run, so a stopped bench keeps what it measured.
      json['warm'] = results.map((x) => ({ arm: x.arm, seed: x.seed, spent: x.spent, trialsTo30: x.trialsTo30, trialsTo15: x.trialsTo15, bestTrueAt: x.bestTrueAt, wallSeconds: x.wallSeconds }));
      writeResults();
    }
  md.push(
    `### Warm start (landscape ${LANDSCAPE}; generator pre-trained on ${prior.length} rows of landscape ${priorLandscape}; ${trials} trials, 4 station pairs, in-process simulators; seeds ${args.seeds})`,
    '',
    '| arm | seed | trials to within 30 mV of the optimum | to 15 mV | best true after 12 | after 24 | after ' + trials + ' |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  const f = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toFixed(4));
  for (const r of results)
    md.push(`| ${r.arm} | ${r.seed} | ${r.trialsTo30 ?? `> ${r.spent}`} | ${r.trialsTo15 ?? `> ${r.spent}`} | ${f(r.bestTrueAt['12'])} | ${f(r.bestTrueAt['24'])} | ${f(r.bestTrueAt[String(trials)])} |`);
  md.push('', `Optimum of landscape ${LANDSCAPE}: ${truth.optimum.toFixed(4)} V.`, '');
}

writeResults();
process.stdout.write(`${md.join('\n')}\n`);
