import type { CampaignProgress } from '../../agents/campaign-loop.ts';
import type { FaultInjector } from '../../simulators/fault-injector.ts';
import type { Config } from '../config/index.ts';
import type { CampaignCommands } from '../console/index.ts';
import type { CampaignSpec, Logger, Observation } from '../domain/index.ts';
import type { Store } from '../store/store.ts';
import { runCampaign, type CampaignRunOptions, type CampaignRunSummary } from './campaign-run.ts';
import type { DryRunConsoleOptions } from './console-dry-run.ts';
import type { StationsFile } from './external-stations.ts';
import type { LabTransport } from './simulated-lab.ts';

/**
 * `labloop dry-run`: a campaign run (src/app/campaign-run.ts) with a simulated lab plugged in — or, with `stations`,
 * the external station pairs of a stations file. The options are the run's, flattened for the simulated lab.
 */
export interface DryRunOptions {
  spec: CampaignSpec;
  config: Config;
  logger: Logger;
  seed: number;
  outDir: string;
  clock: string;
  transport: LabTransport;
  /** The campaign's id (default `<spec id>-seed<seed>`); an id already stored is refused (resume it instead). */
  campaignId?: string | undefined;
  /** PGlite folder override (the config's otherwise; ignored with a database URL). */
  dbDir?: string | undefined;
  onProgress?: ((p: CampaignProgress, virtualSeconds: number) => void) | undefined;
  /** Probability per device operation of an injected fault (every catalogued fault on); 0 = none. */
  faultRate?: number | undefined;
  /** Abort the campaign when this signal fires. */
  signal?: AbortSignal | undefined;
  /** Pause the campaign when this signal fires (the first SIGINT/SIGTERM): see CampaignRunOptions.pause. */
  pause?: AbortSignal | undefined;
  /** Folder of the simulated instruments' run logs (see LabSource). */
  journalDir?: string | undefined;
  /** Serve the monitoring console beside the run (`--console`); with `strategy.approval: human` operators approve. */
  console?: DryRunConsoleOptions | undefined;
  /** Connect to these external station pairs (`--stations-file`) instead of starting a simulated lab. */
  stations?: StationsFile | undefined;
  /** Path of the stations file (recorded for `labloop resume`; its relative TLS paths start from its folder). */
  stationsPath?: string | undefined;
  /** A fault injector to use instead of `faultRate` (tests force faults with it). */
  faults?: FaultInjector | undefined;
  /** A store the caller opened and closes itself (tests share one across runs). */
  store?: Store | undefined;
  /**
   * A simulated operator: told of every station quarantine (its stationState message), it may act through the same
   * command API as the console (e.g. release the station: the electrolyte was replaced).
   */
  onQuarantine?: ((quarantine: { campaignId: string; station: string; message: string }, commands: CampaignCommands) => void) | undefined;
  /** Seed of the simulated lab's hidden landscape (`--landscape-seed`; default 2026, the canonical landscape). */
  landscapeSeed?: number | undefined;
  /** Extra training rows for a generative agent's generator (warm start). */
  priorObservations?: readonly Observation[] | undefined;
  /**
   * A simulated operator refills a stock to its listed volume whenever it runs short (ADR 0113). Default: on with the
   * simulated lab, off with external stations (nobody simulated can pour into them).
   */
  autoRefill?: boolean | undefined;
  /** Batch-check options instead of the defaults (tests). */
  batchWatch?: CampaignRunOptions['batchWatch'];
  /** Wraps every agent the run builds (benchmarks time the agent's calls). */
  instrumentAgent?: CampaignRunOptions['instrumentAgent'];
}

export type DryRunSummary = CampaignRunSummary;

/** Runs a campaign on a complete simulated lab in this process (or on a stations file's pairs) and writes its outputs. */
export function runDryRun(opts: DryRunOptions): Promise<DryRunSummary> {
  const { transport, faultRate, faults, stations, stationsPath, landscapeSeed, journalDir, ...common } = opts;
  return runCampaign({
    ...common,
    kind: 'dry-run',
    autoRefill: common.autoRefill ?? !stations,
    lab: stations ? { kind: 'stations', file: stations, path: stationsPath } : { kind: 'simulated', transport, faultRate, faults, landscapeSeed, journalDir },
  });
}
