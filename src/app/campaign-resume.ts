import { hostname } from 'node:os';
import type { CampaignProgress } from '../../agents/campaign-loop.ts';
import type { RecoveryDecision } from '../../agents/trial-ports.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../domain/index.ts';
import { isAlive } from '../store/open-pglite.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { CampaignNotResumableError } from './campaign-identity.ts';
import { loadStoredCampaign } from './campaign-restore.ts';
import { runCampaign, type CampaignRunOptions, type CampaignRunSummary, type LabSource } from './campaign-run.ts';

export interface ResumeOptions {
  campaignId: string;
  config: Config;
  logger: Logger;
  outDir: string;
  dbDir?: string | undefined;
  store?: Store | undefined;
  /** Operators' decision for every trial awaiting recovery (`--recover`): retry, skip (failed) or abandon. */
  recover?: RecoveryDecision | undefined;
  onProgress?: ((p: CampaignProgress, virtualSeconds: number) => void) | undefined;
  signal?: AbortSignal | undefined;
  pause?: AbortSignal | undefined;
  /** The lease owner to run under (a worker that took the lease already). */
  leaseOwner?: string | undefined;
  /** Operators' decisions per trial awaiting recovery (the console's retry / skip / abandon on one trial). */
  decisions?: ReadonlyMap<string, RecoveryDecision> | undefined;
  /** Who resumes (recorded as an operatorAction); default the CLI. */
  operator?: { actor: string; via: string } | undefined;
  /** See CampaignRunOptions.onCommands. */
  onCommands?: CampaignRunOptions['onCommands'];
  /** Called once the stored state is read, before the lab starts (the CLI prints what it resumes). */
  onResume?: ((info: ResumeInfo) => void) | undefined;
}

export interface ResumeInfo {
  campaignId: string;
  run: number;
  trials: number;
  budget: number;
  inFlight: number;
  /** Unit of the first objective (for progress lines). */
  unit: string;
  awaitingRecovery: { trialId: string; index: number; station?: string | undefined; message: string }[];
}

/**
 * `labloop resume <id>`: continues a stored campaign on the lab its last run used (the same simulated lab, with its
 * instruments' run logs, or the same stations file), through the same composition root as a new run.
 */
export async function resumeCampaign(opts: ResumeOptions): Promise<CampaignRunSummary> {
  const { config, logger } = opts;
  const store = opts.store ?? (await openStore({ databaseUrl: config.databaseUrl, pgliteDir: opts.dbDir ?? config.pgliteDir, pgliteTemplateCacheDir: config.pgliteCacheDir, logger }));
  try {
    await releaseDeadLocalLease(store, opts.campaignId, logger);
    const stored = await loadStoredCampaign(store, opts.campaignId);
    const last = stored.runs.at(-1);
    if (!last) throw new CampaignNotResumableError(opts.campaignId, 'it has no recorded run (started by an older labloop)');
    const lab: LabSource =
      last.lab.kind === 'simulated'
        ? { kind: 'simulated', transport: last.lab.transport, faultRate: last.lab.faultRate, landscapeSeed: last.lab.landscapeSeed, journalDir: last.lab.journal }
        : { kind: 'stations', file: await (await import('./external-stations.ts')).loadStationsFile(last.lab.file), path: last.lab.file };
    const decisions = new Map<string, RecoveryDecision>();
    if (opts.recover) for (const t of stored.awaitingRecovery) decisions.set(t.trialId, opts.recover);
    for (const [trialId, d] of opts.decisions ?? []) if (stored.awaitingRecovery.some((t) => t.trialId === trialId)) decisions.set(trialId, d);
    const inFlight = stored.loop.trials.filter((t) => ['proposed', 'approved', 'queued', 'running'].includes(t.status)).length;
    opts.onResume?.({
      campaignId: stored.campaignId,
      run: stored.runs.length + 1,
      trials: stored.loop.trials.filter((t) => t.status !== 'blocked').length,
      budget: stored.spec.budget.trials,
      inFlight,
      unit: stored.spec.objectives[0]?.unit ?? '',
      awaitingRecovery: stored.awaitingRecovery.filter((t) => !decisions.has(t.trialId)),
    });
    return await runCampaign({
      spec: stored.spec,
      config,
      logger,
      seed: stored.seed,
      outDir: opts.outDir,
      clock: last.clock,
      lab,
      kind: last.kind,
      autoRefill: last.autoRefill,
      store,
      resume: { stored, decisions, operator: opts.operator },
      onProgress: opts.onProgress,
      signal: opts.signal,
      pause: opts.pause,
      leaseOwner: opts.leaseOwner,
      onCommands: opts.onCommands,
    });
  } finally {
    if (!opts.store) await store.close();
  }
}

/**
 * A lease held by a process of this host that no longer exists (killed): released at once rather than waiting for it
 * to expire. Leases of other hosts, or of live processes, are left alone (the lease then refuses the resume).
 */
export async function releaseDeadLocalLease(store: Store, campaignId: string, logger: Logger): Promise<void> {
  const record = await store.campaigns.get(campaignId);
  const owner = record?.owner;
  if (!owner || !record.leaseExpiresAt || !isDeadLocalOwner(owner)) return;
  if (await store.campaigns.releaseLease(campaignId, owner)) logger.info({ campaignId, owner }, 'released the lease of a process that no longer runs');
}

/** True when a lease owner names a process of this host that no longer exists. */
export function isDeadLocalOwner(owner: string): boolean {
  const m = /^[^@]+@(.+):(\d+):[^:]+$/.exec(owner);
  if (!m || m[1] !== hostname()) return false;
  const pid = Number(m[2]);
  return pid !== process.pid && !isAlive(pid);
}
