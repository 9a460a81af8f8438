import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDryRun, type DryRunSummary } from '../../../src/app/dry-run.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { plannerStrategySchema, type CampaignSpec, type PlannerStrategy, type Trial } from '../../../src/domain/index.ts';
import { silentLogger, type Logger } from '../../../src/domain/index.ts';
import type { LabDocument } from '../../../src/protocol/index.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';
import { TOKEN_ENTRIES, TOKENS } from './server-harness.ts';

export interface ConsoleDryRun {
  url: string;
  campaignId: string;
  /** Resolves when the campaign ended and its results were written (the console is still up until `release()`). */
  ended: Promise<void>;
  /** Lets the console close (aborting the campaign first if it is still running); resolves with the summary. */
  release(): Promise<DryRunSummary>;
  /** GET an API route with the operator token (the console reads the database). */
  api<T>(route: string): Promise<T>;
  documents(): Promise<LabDocument[]>;
  trials(): Promise<Trial[]>;
}

/**
 * A dry run with the console beside it: in-process simulators, an in-memory database, a realtime clock sped up by
 * `speed` so the run lasts a few seconds while tests watch it, and the console on a free loopback port.
 */
export async function startConsoleDryRun(opts: {
  trials: number;
  stations: number;
  speed: number;
  approval?: 'auto' | 'human';
  faultRate?: number;
  seed?: number;
  /** Consecutive failures after which a station is quarantined (the campaign's default when absent). */
  quarantineAfter?: number;
  agent?: 'bo' | 'random' | 'sobol-gp' | 'hybrid';
  /** The hybrid agent's planner settings. */
  planner?: Partial<PlannerStrategy>;
  /** Environment of the run's configuration (e.g. LABLOOP_LLM_BASE_URL of a stub model). */
  env?: Record<string, string>;
  /** Extra objectives after the default scenario's (e.g. a second one for the Pareto view). */
  extraObjectives?: CampaignSpec['objectives'];
  logger?: Logger;
}): Promise<ConsoleDryRun> {
  const base = defaultSpec();
  const spec = {
    ...base,
    objectives: [...base.objectives, ...(opts.extraObjectives ?? [])],
    budget: { ...base.budget, trials: opts.trials },
    stations: { pairs: opts.stations },
    strategy: { ...base.strategy, agent: opts.agent ?? 'random', approval: opts.approval ?? 'auto', ...(opts.quarantineAfter !== undefined ? { quarantineAfter: opts.quarantineAfter } : {}), ...(opts.planner ? { planner: plannerStrategySchema.parse(opts.planner) } : {}) },
  };
  const config = loadConfig(opts.env ?? {}, { pgliteDir: 'memory://', logLevel: 'silent' });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let ended!: () => void;
  const endedP = new Promise<void>((r) => (ended = r));
  let ready!: (info: { url: string; campaignId: string }) => void;
  const readyP = new Promise<{ url: string; campaignId: string }>((r) => (ready = r));
  const interrupt = new AbortController();
  let hasEnded = false;
  const run = runDryRun({
    spec,
    signal: interrupt.signal,
    config,
    logger: opts.logger ?? silentLogger,
    seed: opts.seed ?? 7,
    outDir: mkdtempSync(path.join(os.tmpdir(), 'labloop-console-')),
    clock: String(opts.speed),
    transport: 'sim',
    faultRate: opts.faultRate ?? 0,
    console: {
      port: 0,
      tokens: TOKEN_ENTRIES,
      onReady: ready,
      linger: async () => {
        hasEnded = true;
        ended();
        await released;
      },
    },
  });
  const info = await Promise.race([readyP, run.then(() => Promise.reject(new Error('the dry run ended before its console was ready')))]);
  const api = async <T>(route: string): Promise<T> => {
    const res = await fetch(`${info.url}${route}`, { headers: { authorization: `Bearer ${TOKENS.operator}` } });
    if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const id = encodeURIComponent(info.campaignId);
  return {
    ...info,
    ended: Promise.race([endedP, run.then(() => undefined)]),
    release: async () => {
      // A test that failed half-way may leave the campaign running (or waiting for an approval): stop it.
      if (!hasEnded) interrupt.abort();
      release();
      return run;
    },
    api,
    documents: async () => {
      const all: LabDocument[] = [];
      for (;;) {
        const { documents } = await api<{ documents: LabDocument[] }>(`/api/campaigns/${id}/documents?after=${all.at(-1)?.seq ?? 0}&limit=5000`);
        all.push(...documents);
        if (documents.length < 5000) return all;
      }
    },
    trials: async () => (await api<{ trials: Trial[] }>(`/api/campaigns/${id}/trials`)).trials,
  };
}
