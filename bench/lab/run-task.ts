import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isJudgingAgent } from '../../agents/candidates.ts';
import { runDryRun } from '../../src/app/dry-run.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger, type CampaignSpec, type Observation, type Recipe } from '../../src/domain/index.ts';
import { exportCampaign } from '../../src/store/export.ts';
import { MEMORY_DIR, openStore } from '../../src/store/open-store.ts';
import type { LabDocument } from '../../src/protocol/index.ts';
import {
  bestTrueAfter,
  bestTrueCurve,
  calibration,
  failuresByCode,
  spentTrials,
  stationUtilisation,
  trialsToWithin,
  type Calibration,
  type CalibrationPoint,
  type LabTrialRecord,
  type StationUse,
} from './metrics.ts';
import { calibrationRecipes, truthOf, type LandscapeTruth } from './truth.ts';

/** One dry run of the lab benchmark: plain data, so it crosses process boundaries. */
export interface LabTask {
  arm: string;
  /** The campaign as this arm runs it (budget, station pairs and strategy overrides applied). */
  spec: CampaignSpec;
  seed: number;
  landscape: LandscapeTruth;
  transport: 'twin' | 'sim';
  faultRate: number;
  /** Recipes the final model is judged on. */
  calibration: { uniform: number; near: number };
  /** Best-true checkpoints, in spent trials. */
  checkpoints: number[];
  /** Folders shared by the runs of one worker (OPC UA certificates, the PGlite template). */
  pkiDir: string;
  pgliteCacheDir: string;
  /** Extra training rows for a generative agent's generator (the warm start of bench:generative). */
  priorObservations?: Observation[];
}

/** The reported best of a campaign and what it is truly worth. */
export interface ReportedBest {
  /**
   * `best-observed`: the best single reading; `best-confirmed`: the campaign's best by estimated value after
   * confirmation replicates; `best-estimated`: the same without confirmation replicates (ADR 0060).
   */
  kind: string;
  /** How the campaign ranked it: `model` (posterior mean) or `replicates` (readings alone); absent for best-observed. */
  basis?: string;
  /** Readings behind the reported value. */
  n?: number;
  /** 95 % CI of the readings' mean, V. */
  ci95?: [number, number];
  /** The model's estimate at the recipe, V. */
  model?: { mean: number; sd: number };
  trialId?: string;
  recipe: Recipe;
  /** The value the campaign reports (a reading, or a model's estimate). */
  reported: number;
  truth: number;
  /** truth − optimum, V. */
  regret: number;
}

export interface LabRunResult {
  arm: string;
  seed: number;
  landscapeSeed: number;
  optimum: number;
  state: string;
  reason?: string;
  budget: number;
  spent: number;
  completed: number;
  failed: number;
  blocked: number;
  trialsTo15: number | null;
  trialsTo30: number | null;
  /** Best true value after each checkpoint (key: spent trials), V. */
  bestTrueAt: Record<string, number | null>;
  bestTrue: number | null;
  /** Best true value so far after each spent trial, V. */
  curve: (number | null)[];
  /** What the campaign reports as its best: best-confirmed (or best-estimated), else the best single reading. */
  reportedBest: ReportedBest | null;
  /** The best single reading, always (the reported best before ADR 0060). */
  observedBest: ReportedBest | null;
  /** Trials spent on confirmation replicates. */
  confirmationTrials: number;
  calibration: { all: Calibration; uniform: Calibration; near: Calibration; skippedFailing: number } | null;
  failures: Record<string, number>;
  stations: StationUse[];
  /** Batch-shift alarms raised (station quarantines for ELECTROLYTE_CONTAMINATION) and trials they flagged. */
  batchShift: { alarms: number; flaggedTrials: number };
  quarantines: number;
  virtualHours: number;
  wallSeconds: number;
  trials: LabTrialRecord[];
}

/** Runs one campaign on the simulated lab and judges it by the landscape's truth. */
export async function runLabTask(task: LabTask): Promise<LabRunResult> {
  const t0 = performance.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-bench-lab-'));
  const store = await openStore({ pgliteDir: MEMORY_DIR, pgliteTemplateCacheDir: task.pgliteCacheDir });
  try {
    // Only the planner's endpoint settings come from the environment (a hybrid arm asks the configured model).
    const llmEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('LABLOOP_LLM_')));
    const config = loadConfig(llmEnv, { pgliteDir: MEMORY_DIR, pgliteCacheDir: task.pgliteCacheDir, pkiDir: task.pkiDir, logLevel: 'silent' });
    const summary = await runDryRun({
      spec: task.spec,
      config,
      logger: silentLogger,
      seed: task.seed,
      outDir: path.join(dir, 'out'),
      // The simulated lab's journal goes next to the (in-memory) database's folder name: a per-run folder, so two runs
      // of the same campaign and seed (two arms at once) never share one (they did under ./memory:.lab/).
      dbDir: path.join(dir, 'db'),
      clock: 'instant',
      transport: task.transport,
      faultRate: task.faultRate,
      landscapeSeed: task.landscape.seed,
      store,
      ...(task.priorObservations ? { priorObservations: task.priorObservations } : {}),
    });
    const exported = await exportCampaign(store, summary.campaignId);
    const docs = await allDocuments(store, summary.campaignId);
    const objective = task.spec.objectives[0]?.name ?? 'eta10';
    const predicted = new Map<string, { mean: number; sd: number }>();
    const flags = new Map<string, string[]>();
    const runStation = new Map<string, string>();
    const runs: { station: string; duration_s: number }[] = [];
    let alarms = 0;
    let quarantines = 0;
    const flagged = new Set<string>();
    const quarantined = new Map<string, boolean>();
    for (const d of docs) {
      if (d.type === 'suggestion') {
        const p = d.payload.suggestion.predicted?.[objective];
        if (p) predicted.set(d.payload.trialId, p);
      } else if (d.type === 'runStart') runStation.set(d.payload.runId, d.payload.station);
      else if (d.type === 'runStop') {
        const station = runStation.get(d.payload.runId);
        if (station) runs.push({ station, duration_s: d.payload.duration_s });
      } else if (d.type === 'fault' && d.payload.device === 'electrolyte' && d.payload.trialId) {
        flagged.add(d.payload.trialId);
        flags.set(d.payload.trialId, ['electrolyte_contamination']);
      } else if (d.type === 'stationState') {
        // A quarantine is counted when it starts (later state documents of a quarantined station repeat the flag).
        const was = quarantined.get(d.payload.station) ?? false;
        quarantined.set(d.payload.station, d.payload.quarantined);
        if (!was && d.payload.quarantined) {
          quarantines++;
          if (d.payload.message?.startsWith('ELECTROLYTE_CONTAMINATION')) alarms++;
        }
      }
    }
    const trials: LabTrialRecord[] = exported.trials.map((t) => {
      const truth = truthOf(t.recipe, task.landscape.seed);
      const p = predicted.get(t.id);
      const f = flags.get(t.id);
      return {
        index: t.index,
        status: t.status,
        recipe: t.recipe,
        measured: t.objectives?.[objective] ?? null,
        truth: truth.eta10,
        ...(truth.failure ? { truthFailure: truth.failure } : {}),
        proposer: t.proposer,
        failureCode: t.failureCode,
        station: t.station,
        attempts: t.attempts,
        ...(p ? { predicted: p } : {}),
        ...(f ? { flags: f } : {}),
      };
    });
    trials.sort((a, b) => a.index - b.index);
    const spent = spentTrials(trials);
    const curve = bestTrueCurve(spent);
    const opt = task.landscape.optimum;
    const best = summary.best;
    const observedBest: ReportedBest | null = best
      ? (() => {
          const truth = truthOf(best.recipe, task.landscape.seed).eta10;
          return { kind: 'best-observed', trialId: best.trialId, recipe: best.recipe, reported: best.value, truth, regret: truth - opt };
        })()
      : null;
    const confirmationTrials = spent.filter((t) => t.proposer === 'confirmation').length;
    const estimated = summary.bestEstimate?.best;
    const reportedBest: ReportedBest | null = estimated
      ? (() => {
          const truth = truthOf(estimated.recipe, task.landscape.seed).eta10;
          return {
            kind: confirmationTrials > 0 ? 'best-confirmed' : 'best-estimated',
            basis: summary.bestEstimate?.basis ?? 'model',
            n: estimated.n,
            ...(estimated.ci95 ? { ci95: estimated.ci95 } : {}),
            ...(estimated.model ? { model: estimated.model } : {}),
            ...(estimated.trialIds[0] !== undefined ? { trialId: estimated.trialIds[0] } : {}),
            recipe: estimated.recipe,
            reported: estimated.mean,
            truth,
            regret: truth - opt,
          };
        })()
      : observedBest;
    const stations = Array.from({ length: task.spec.stations.pairs }, (_, i) => `pair${i + 1}`);
    const bestTrue = curve.length > 0 ? (curve[curve.length - 1] ?? null) : null;
    return {
      arm: task.arm,
      seed: task.seed,
      landscapeSeed: task.landscape.seed,
      optimum: opt,
      state: summary.result.state,
      ...(summary.result.reason ? { reason: summary.result.reason } : {}),
      budget: task.spec.budget.trials,
      spent: spent.length,
      completed: spent.filter((t) => t.status === 'completed').length,
      failed: spent.filter((t) => t.status !== 'completed').length,
      blocked: trials.filter((t) => t.status === 'blocked').length,
      trialsTo15: trialsToWithin(spent, opt, 0.015),
      trialsTo30: trialsToWithin(spent, opt, 0.03),
      bestTrueAt: Object.fromEntries(task.checkpoints.map((k) => [String(k), bestTrueAfter(curve, k)])),
      bestTrue,
      curve,
      reportedBest,
      observedBest,
      confirmationTrials,
      calibration: await judgeModel(summary.agent, task, objective),
      failures: failuresByCode(spent),
      stations: stationUtilisation(runs, stations, summary.virtualHours * 3600),
      batchShift: { alarms, flaggedTrials: flagged.size },
      quarantines,
      virtualHours: summary.virtualHours,
      wallSeconds: (performance.now() - t0) / 1000,
      trials,
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function allDocuments(store: { documents: { after(c: string, s: number, l?: number): Promise<LabDocument[]> } }, campaignId: string): Promise<LabDocument[]> {
  const out: LabDocument[] = [];
  for (;;) {
    const page = await store.documents.after(campaignId, out.at(-1)?.seq ?? 0, 5000);
    out.push(...page);
    if (page.length < 5000) return out;
  }
}

/** The final agent's predictions on recipes it never measured, against the truth (null when it has no model). */
async function judgeModel(agent: Awaited<ReturnType<typeof runDryRun>>['agent'], task: LabTask, objective: string): Promise<LabRunResult['calibration']> {
  if (!isJudgingAgent(agent)) return null;
  const recipes = calibrationRecipes(task.spec, task.landscape, task.calibration);
  const scored = await agent.score(recipes.map((r) => r.recipe), []);
  const points: CalibrationPoint[] = [];
  let skippedFailing = 0;
  scored.forEach((s, i) => {
    const p = s.predicted[objective];
    if (!p) return;
    const truth = truthOf(s.recipe, task.landscape.seed);
    // A recipe whose film fails has no η10 a station could measure: nothing to be calibrated against.
    if (truth.failure) {
      skippedFailing++;
      return;
    }
    points.push({ mean: p.mean, sd: p.sd, truth: truth.eta10, kind: recipes[i]?.kind ?? 'uniform' });
  });
  if (points.length === 0) return null;
  return {
    all: calibration(points),
    uniform: calibration(points.filter((p) => p.kind === 'uniform')),
    near: calibration(points.filter((p) => p.kind === 'near')),
    skippedFailing,
  };
}
