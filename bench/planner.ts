/**
 * bench:planner — what the planner costs, and that nobody can talk past its guardrails (issue 12). With the test stub
 * as the endpoint it measures overhead only: no claim of LLM benefit without a real model.
 *   1. fuzz: N adversarial replies (default 10 000, a quarter per job) through the planner pipeline: crashes,
 *      recipes outside the envelope, broken contracts, answers used vs fallbacks, time per case;
 *   2. per call: the rule planner, and the LLM planner through @langchain/openai over HTTP to the stub (instant reply,
 *      in its own process): wall and CPU time of this process per call;
 *   3. fallback latency: a stub that answers after 3 s, timeout 500 ms: time beyond the timeout;
 *   4. per dry run: the default OER dry run (sim transport, instant clock) with BO alone, hybrid on the stub (its own
 *      process) and hybrid with no endpoint, paired on seeds: wall and CPU time, planner calls and the time inside
 *      them, the planner's estimated CPU share (calls × CPU per call ÷ the run's CPU), best η10 observed. Judge by the truth with
 *      `npm run bench:lab -- --arms default,hybrid` (set LABLOOP_LLM_BASE_URL for a real model);
 *   5. pools: the hybrid agent against BO alone (the BoAgent) on two shared benchmark pools, paired on seeds (same
 *      initial rows), q = 4, proposals snapped to the nearest unevaluated row (bench/harness/pool-agent-campaign.ts).
 *      The planner is the rule planner, or the model at LABLOOP_LLM_BASE_URL when that is set.
 * Usage: npm run bench:planner -- [--sections fuzz,per-call,fallback,dry-runs,pools] [--fuzz 10000] [--seeds 1,2]
 *   [--trials 48] [--no-dry-runs] [--pools liang-crossed-barrel,oer-3496] [--pool-seeds 20] [--pool-budget 50]
 *   [--datasets DIR] [--out bench/results/planner.json]   (pools: also bench/results/planner-pools.{json,md})
 */
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { JobName, Planner } from '../agents/planner/planner.ts';
import { RulePlanner } from '../agents/planner/rule-planner.ts';
import { runDryRun } from '../src/app/dry-run.ts';
import { createPlanner } from '../src/app/planner.ts';
import { loadConfig } from '../src/config/index.ts';
import { silentLogger, type CampaignSpec } from '../src/domain/index.ts';
import { SafetyGate } from '../src/safety/safety-gate.ts';
import { CASES } from '../tests/contract/planner.contract.ts';
import { defaultSpec } from '../tests/helpers/default-spec.ts';
import { hybridSpec } from '../tests/helpers/model-like-stub.ts';
import { startOpenAiStub } from '../tests/helpers/openai-stub.ts';
import { adversarialReply, fuzzOnce } from '../tests/helpers/planner-fuzz.ts';
import { runEnvironment } from './harness/environment.ts';
import { runPoolBenchmark } from './harness/pool-bench.ts';
import { defaultDatasetsDir, loadSpecFile, resolveSpecPath } from './harness/problem-spec.ts';
import { createProgress } from './harness/progress.ts';
import { poolMarkdown, writePoolReport } from './harness/report.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const FUZZ = Number(opt('fuzz', '10000'));
const SEEDS = opt('seeds', '1,2').split(',').map(Number);
const TRIALS = Number(opt('trials', '48'));
const OUT = opt('out', 'bench/results/planner.json');
const SECTIONS = new Set(opt('sections', 'fuzz,per-call,fallback,dry-runs,pools').split(','));
const DRY_RUNS = SECTIONS.has('dry-runs') && !args.includes('--no-dry-runs');
const POOLS = opt('pools', 'liang-crossed-barrel,oer-3496').split(',').filter(Boolean);
const POOL_SEEDS = Number(opt('pool-seeds', '20'));
const POOL_BUDGET = Number(opt('pool-budget', '50'));
const DATASETS = opt('datasets', defaultDatasetsDir());

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};
const r3 = (x: number): number => Number(x.toPrecision(3));
const log = (s: string): void => void process.stderr.write(`${s}\n`);

/** The stub model in a child process (bench/planner-stub-main.ts). */
async function startStubProcess(): Promise<{ baseUrl: string; close(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'planner-stub-main.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`the stub process exited (${code})`)));
  });
  return { baseUrl, close: () => void child.kill('SIGTERM') };
}

async function fuzz(): Promise<Record<string, unknown>> {
  const jobs: JobName[] = ['draft', 'advise', 'triage', 'report'];
  const per = Math.ceil(FUZZ / jobs.length);
  const out: Record<string, unknown> = {};
  for (const job of jobs) {
    const replies = fc.sample(adversarialReply(job), { seed: 20261207, numRuns: per });
    const counts = { cases: 0, crashed: 0, outside: 0, broken: 0, usedModel: 0, fellBack: 0 };
    const t0 = performance.now();
    for (const reply of replies) {
      const o = await fuzzOnce(job, reply);
      counts.cases++;
      if (o.crashed) counts.crashed++;
      counts.outside += o.outside;
      counts.broken += o.broken;
      if (o.source === 'llm') counts.usedModel++;
      else if (o.source === 'rules') counts.fellBack++;
    }
    out[job] = { ...counts, msPerCase: r3((performance.now() - t0) / per) };
    log(`fuzz ${job}: ${JSON.stringify(out[job])}`);
  }
  return out;
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

/** CPU time of this process per LLM advise call (client side: prompt, HTTP, parsing, validation, safety gate). */
let llmCpuMsPerCall = NaN;

async function perCall(baseUrl: string): Promise<Record<string, unknown>> {
  const rules = new RulePlanner({ gateFor: (s) => new SafetyGate(s) });
  const config = loadConfig({ LABLOOP_LLM_BASE_URL: baseUrl, LABLOOP_LLM_MODEL: 'stub', LABLOOP_LLM_MAX_CALLS: '100000' });
  const llm = createPlanner({ config, logger: silentLogger });
  const time = async (p: Planner, n: number): Promise<number[]> => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await p.advise(CASES.adviceWarm);
      ms.push(performance.now() - t0);
    }
    return ms;
  };
  await time(llm, 10);
  let c0 = process.cpuUsage();
  const ruleMs = await time(rules, 200);
  const ruleCpu = cpuMs(c0) / 200;
  c0 = process.cpuUsage();
  const llmMs = await time(llm, 200);
  llmCpuMsPerCall = cpuMs(c0) / 200;
  if (llm.stats().answeredBy.llm < 200) throw new Error('the stub answers were not used');
  return {
    rulesAdviseMs: { median: r3(median(ruleMs)), max: r3(Math.max(...ruleMs)), cpuPerCall: r3(ruleCpu) },
    llmAdviseOverHttpMs: { median: r3(median(llmMs)), max: r3(Math.max(...llmMs)), cpuPerCall: r3(llmCpuMsPerCall) },
  };
}

async function fallbackLatency(): Promise<Record<string, unknown>> {
  const slow = await startOpenAiStub(() => ({ delay_ms: 3000, then: { content: '{}' } }));
  const timeout_ms = 500;
  const beyond: number[] = [];
  try {
    const planner = createPlanner({ config: loadConfig({ LABLOOP_LLM_BASE_URL: slow.baseUrl, LABLOOP_LLM_TIMEOUT_MS: String(timeout_ms) }), logger: silentLogger });
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const r = await planner.advise(CASES.adviceWarm);
      if (r.fallback !== 'timeout') throw new Error(`expected a timeout fallback, got ${r.fallback ?? r.source}`);
      beyond.push(performance.now() - t0 - timeout_ms);
    }
  } finally {
    await slow.close();
  }
  return { timeout_ms, beyondTimeoutMs: { median: r3(median(beyond)), max: r3(Math.max(...beyond)) } };
}

async function dryRuns(baseUrl: string): Promise<Record<string, unknown>[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-bench-planner-'));
  const rows: Record<string, unknown>[] = [];
  const spec0 = defaultSpec({ budget: { trials: TRIALS } });
  const arms: { name: string; spec: CampaignSpec; env: Record<string, string> }[] = [
    { name: 'bo', spec: spec0, env: {} },
    { name: 'hybrid-stub', spec: hybridSpec(spec0), env: { LABLOOP_LLM_BASE_URL: baseUrl, LABLOOP_LLM_MODEL: 'stub' } },
    { name: 'hybrid-rules', spec: hybridSpec(spec0), env: {} },
  ];
  try {
    for (const seed of SEEDS) {
      for (const arm of arms) {
        const config = loadConfig(arm.env, { pgliteDir: path.join(dir, `${arm.name}-${seed}`) });
        const outDir = path.join(dir, `out-${arm.name}-${seed}`);
        const c0 = process.cpuUsage();
        const s = await runDryRun({ spec: arm.spec, config, logger: silentLogger, seed, outDir, clock: 'instant', transport: 'sim' });
        const cpuSeconds = cpuMs(c0) / 1000;
        const campaign = JSON.parse(await readFile(path.join(outDir, 'campaign.json'), 'utf8')) as { planner?: { calls: number; latency_ms: { total: number }; answeredBy: Record<string, number> } };
        const row = {
          seed,
          arm: arm.name,
          state: s.result.state,
          trials: s.result.progress.dispatched,
          wallSeconds: r3(s.wallSeconds),
          cpuSeconds: r3(cpuSeconds),
          plannerCalls: campaign.planner?.calls ?? 0,
          plannerModelSeconds: r3((campaign.planner?.latency_ms.total ?? 0) / 1000),
          plannerWallShare: r3((campaign.planner?.latency_ms.total ?? 0) / 1000 / s.wallSeconds),
          plannerCpuShareEstimate: r3(((campaign.planner?.calls ?? 0) * llmCpuMsPerCall) / 1000 / cpuSeconds),
          bestEta10_V: s.best ? r3(s.best.value) : null,
        };
        rows.push(row);
        log(`dry run ${JSON.stringify(row)}`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/** Hybrid vs BO alone on shared pools (paired on seeds); the full report goes next to OUT as planner-pools.{json,md}. */
async function pools(): Promise<Record<string, unknown>[]> {
  const results = [];
  for (const name of POOLS) {
    const p = loadSpecFile(resolveSpecPath(name), DATASETS);
    const protocol = { ...p.protocol, init: 5, q: [4], seeds: POOL_SEEDS, seedBase: 0, budget: POOL_BUDGET, stopAtTop: 1, liang: false, arms: ['agent-bo', 'hybrid'] };
    const r = await runPoolBenchmark({ ...p, protocol }, { workers: 1, progress: createProgress('planner-pools') });
    process.stdout.write(`${poolMarkdown(r)}\n\n`);
    results.push(r);
  }
  const files = writePoolReport(results, path.join(path.dirname(OUT), 'planner-pools.json'), 'planner-pools');
  log(`wrote ${files.join(', ')}`);
  return results.map((r) => ({ pool: r.pool.name, N: r.pool.N, K: r.pool.K, seeds: r.seeds.length, paired: r.paired, wallSeconds: r.wallSeconds, cpuSeconds: r.cpuSeconds }));
}

const stub = await startStubProcess();
try {
  const started = performance.now();
  const result: Record<string, unknown> = { command: `npm run bench:planner -- ${args.join(' ')}`.trim(), environment: runEnvironment() };
  if (SECTIONS.has('fuzz')) result.fuzz = await fuzz();
  // The dry runs' CPU share estimate needs the CPU per call.
  if (SECTIONS.has('per-call') || DRY_RUNS) {
    result.perCall = await perCall(stub.baseUrl);
    log(`per call: ${JSON.stringify(result.perCall)}`);
  }
  if (SECTIONS.has('fallback')) {
    result.fallback = await fallbackLatency();
    log(`fallback: ${JSON.stringify(result.fallback)}`);
  }
  if (DRY_RUNS) result.dryRuns = await dryRuns(stub.baseUrl);
  if (SECTIONS.has('pools')) result.pools = await pools();
  result.wallSeconds = r3((performance.now() - started) / 1000);
  // A pools-only run leaves OUT (the other sections' results) as it is: its report is planner-pools.{json,md}.
  const onlyPools = [...SECTIONS].every((x) => x === 'pools');
  if (!onlyPools) {
    await mkdir(path.dirname(OUT), { recursive: true });
    await writeFile(OUT, `${JSON.stringify(result, null, 2)}\n`);
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n${onlyPools ? '' : `wrote ${OUT}\n`}`);
} finally {
  stub.close();
}
