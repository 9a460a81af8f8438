import path from 'node:path';
import type { Agent } from '../../agents/agent.ts';
import { BatchWatch, type BatchWatchOptions } from '../../agents/batch-watch.ts';
import type { BestEstimate } from '../../agents/best-estimate.ts';
import { CampaignLoop, type CampaignProgress, type CampaignResult } from '../../agents/campaign-loop.ts';
import { CuratedAgent } from '../../agents/curated-agent.ts';
import { autoApproval, autoRecovery } from '../../agents/trial-ports.ts';
import { InstantClock, createClock, parseClockMode } from '../../simulators/clock.ts';
import type { FaultInjector } from '../../simulators/fault-injector.ts';
import { RuleFaultInjector } from '../../simulators/faults.ts';
import { OER_LANDSCAPE_DEFAULT_SEED } from '../../simulators/physics/oer-landscape.ts';
import type { Config } from '../config/index.ts';
import type { CampaignCommands } from '../console/index.ts';
import { Rng, type CampaignSpec, type Clock, type Logger } from '../domain/index.ts';
import { Engine } from '../engine/engine.ts';
import type { Station } from '../engine/station.ts';
import { DocumentBus, type RunInfo } from '../protocol/index.ts';
import { SafetyGate } from '../safety/safety-gate.ts';
import { attachDocumentSink } from '../store/document-sink.ts';
import { createMeasurementSink } from '../store/measurement-sink.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { createAgent } from './agents.ts';
import { analyseEchem } from './analysis.ts';
import { brokerConnection, configuredBroker } from './broker-connection.ts';
import { defaultCampaignId, hashTag, type RunKind } from './campaign-identity.ts';
import { takeCampaignLease, type CampaignLease } from './command-queue-lease.ts';
import { startCommandQueuePoller, type CommandQueuePoller } from './command-queue-poller.ts';
import { EngineCampaignCommands } from './console-commands.ts';
import { startDryRunConsole, type DryRunConsole, type DryRunConsoleOptions } from './console-dry-run.ts';
import { exportResults } from './export-results.ts';
import { connectExternalStations, type StationsFile } from './external-stations.ts';
import { createIdFactory, createSeededIdFactory } from './ids.ts';
import { LabExecutor } from './lab-executor.ts';
import { startSimulatedLab, type LabTransport } from './simulated-lab.ts';

/** Virtual time 0 of a dry run on the instant clock, as a date: documents and ids take their time from it. */
export const SIMULATED_EPOCH_MS = Date.UTC(2026, 0, 1);

/** Where the instruments are: a simulated lab started in this process, or external stations (real or twins). */
export type LabSource =
  | {
      kind: 'simulated';
      transport: LabTransport;
      /** Probability per device operation of an injected fault (every catalogued fault on); 0 = none. */
      faultRate?: number | undefined;
      /** A fault injector to use instead of `faultRate` (tests force faults with it). */
      faults?: FaultInjector | undefined;
      /** Seed of the hidden landscape (default 2026, the canonical landscape). */
      landscapeSeed?: number | undefined;
    }
  | {
      kind: 'stations';
      file: StationsFile;
      /** Path of the stations file: recorded for `labloop resume`, and the folder its relative TLS paths start from. */
      path?: string | undefined;
    };

/**
 * Everything one run of a campaign needs. `labloop run`, `labloop dry-run` (a simulated lab) and `labloop resume`
 * are this one composition root with different options.
 */
export interface CampaignRunOptions {
  spec: CampaignSpec;
  config: Config;
  logger: Logger;
  seed: number;
  /** Folder for results.csv, campaign.json and best-so-far.svg. */
  outDir: string;
  /** `instant`, `realtime` or a speed-up factor (the simulated lab's clock; external stations use `realtime`). */
  clock: string;
  lab: LabSource;
  /** `run` or `dry-run`: recorded with the run, and the default campaign id depends on it. */
  kind: RunKind;
  /** The campaign's id (default: the spec's id; a dry run adds `-seed<seed>`). An id already stored is refused. */
  campaignId?: string | undefined;
  /** PGlite folder override (the config's otherwise; ignored with a database URL). */
  dbDir?: string | undefined;
  /** A store the caller opened and closes itself (tests share one across runs). */
  store?: Store | undefined;
  onProgress?: ((p: CampaignProgress, virtualSeconds: number) => void) | undefined;
  /** Abort the campaign when this signal fires. */
  signal?: AbortSignal | undefined;
  /** Serve the monitoring console beside the run (`--console`); with `strategy.approval: human` operators approve. */
  console?: DryRunConsoleOptions | undefined;
  /**
   * A simulated operator: told of every station quarantine (its stationState message), it may act through the same
   * command API as the console (e.g. release the station: the electrolyte was replaced).
   */
  onQuarantine?: ((quarantine: { campaignId: string; station: string; message: string }, commands: CampaignCommands) => void) | undefined;
  /** Batch-check options instead of the defaults (tests exercise its mechanics at ADR 0050's sensitivity). */
  batchWatch?: Partial<BatchWatchOptions> | undefined;
}

export interface CampaignRunSummary {
  campaignId: string;
  runId: string;
  result: CampaignResult;
  files: string[];
  virtualHours: number;
  wallSeconds: number;
  /** The best single reading (best-observed). */
  best?: { value: number; recipe: Record<string, number | string>; trialId: string };
  /** The campaign's best by estimated value, with its readings and the model's estimate (ADR 0060). */
  bestEstimate?: BestEstimate;
  rows: number;
  /** Seed of the hidden landscape the simulated stations measured (absent with external stations). */
  landscapeSeed?: number;
  /** The campaign's agent as it ended (benchmarks judge its model against the simulator's truth). */
  agent: Agent;
}

interface LabHandle {
  stations: Station[];
  replaceElectrolyte?: (stationId: string) => void;
  close(): Promise<void>;
}

/** Runs a campaign (a new one) on the chosen lab, storing everything, and writes its outputs. */
export async function runCampaign(opts: CampaignRunOptions): Promise<CampaignRunSummary> {
  const started = performance.now();
  const { spec, config, logger } = opts;
  const clockMode = parseClockMode(opts.clock);
  const clock = createClock(clockMode);
  const campaignId = opts.campaignId ?? defaultCampaignId(spec, opts.kind, opts.seed);
  // A dry run on the instant clock is reproducible down to its ids and timestamps; anything else uses ULIDs and the wall clock.
  const simulatedTime = clock instanceof InstantClock;
  const nowDate = simulatedTime ? (): Date => new Date(SIMULATED_EPOCH_MS + clock.now() * 1000) : (): Date => new Date();
  const newId = simulatedTime ? createSeededIdFactory({ seed: opts.seed, salt: `${campaignId}\u0000run1`, nowMs: () => nowDate().getTime() }) : createIdFactory();
  const runId = newId();
  const store = opts.store ?? (await openStore({ databaseUrl: config.databaseUrl, pgliteDir: opts.dbDir ?? config.pgliteDir, pgliteTemplateCacheDir: config.pgliteCacheDir, logger }));
  // The campaign's lease (ADR 0032): taken before anything runs, renewed by heartbeat, released at the end. Losing it
  // to another process aborts the run here. A new campaign id that is already stored is refused.
  let onLeaseLost: ((reason: string) => void) | undefined;
  let lease: CampaignLease;
  try {
    lease = await takeCampaignLease({
      store,
      campaignId,
      spec,
      seed: opts.seed,
      logger,
      mode: 'create',
      createdAt: nowDate(),
      onLost: (holder) => onLeaseLost?.(`campaign lease lost to ${holder?.owner ?? 'another process'}`),
    });
  } catch (e) {
    if (!opts.store) await store.close();
    throw e;
  }
  const landscapeSeed = opts.lab.kind === 'simulated' ? (opts.lab.landscapeSeed ?? OER_LANDSCAPE_DEFAULT_SEED) : undefined;
  const bus = new DocumentBus(nowDate);
  const sink = attachDocumentSink(bus, store, { logger });
  const measurements = createMeasurementSink(store, { logger });
  let lab: LabHandle;
  try {
    lab = await startLab(opts, campaignId, clock);
  } catch (e) {
    sink.detach();
    await lease.release();
    if (!opts.store) await store.close();
    throw e;
  }
  let consoleHandle: DryRunConsole | undefined;
  let poller: CommandQueuePoller | undefined;
  try {
    const gate = new SafetyGate(spec);
    const engine = new Engine({
      campaignId,
      bus,
      clock,
      logger: logger.child({ campaignId }),
      newId,
      gate,
      analyse: analyseEchem,
      measurements,
      objectives: spec.objectives,
      policy: { maxRetries: spec.strategy.maxRetries, quarantineAfter: spec.strategy.quarantineAfter, replyTimeout_s: config.timeouts.commandReply_s, overrunFactor: config.timeouts.stepOverrunFactor },
    });
    const replaceElectrolyte = lab.replaceElectrolyte;
    // An operator's release of a simulated station is its maintenance: the cell gets a fresh electrolyte batch.
    const executor = new LabExecutor(engine, lab.stations, spec.protocol, replaceElectrolyte ? { onRelease: replaceElectrolyte } : {});
    if (opts.console) {
      const humanApproval = spec.strategy.approval === 'human';
      consoleHandle = await startDryRunConsole({ campaignId, bus, store, engine, executor, logger, humanApproval, signal: opts.signal, options: opts.console });
    }
    bus.publish(campaignId, 'campaignStart', { spec, seed: opts.seed, resumed: false, run: runInfo(opts, runId, clock.now()) });
    for (const s of lab.stations) engine.announce(s, 'ready');
    const abort = (): void => {
      engine.abort('interrupted');
      executor.notify();
    };
    opts.signal?.addEventListener('abort', abort, { once: true });
    onLeaseLost = (reason) => {
      engine.abort(reason);
      executor.notify();
    };
    engine.start();
    const decisions = consoleHandle?.decisions;
    if (decisions) decisions.onChange(() => lease.publishPending(decisions.pending()));
    if (store.kind === 'postgres') {
      // Consoles in other processes (`labloop serve`) queue commands in the database; they run through the same
      // command API as the in-process console.
      const commands = new EngineCampaignCommands({ campaignId, bus, engine, executor, decisions, logger: logger.child({ component: 'console-commands', via: 'database' }) });
      poller = startCommandQueuePoller({ store, owner: lease.owner, campaignId, commands, logger });
    }
    if (opts.onQuarantine) watchQuarantines(bus, campaignId, opts.onQuarantine, new EngineCampaignCommands({ campaignId, bus, engine, executor, decisions, logger: logger.child({ component: 'console-commands', via: 'operator' }) }));
    // The batch check takes a contaminated stretch out of the agent's data: the agent is rebuilt without it.
    const agent = new CuratedAgent(() => createAgent(spec.strategy.agent, { spec, seed: opts.seed, newId }));
    const loop = new CampaignLoop({
      spec,
      campaignId,
      agent,
      bus,
      executor,
      gate,
      approvals: consoleHandle?.approvals ?? autoApproval,
      recovery: consoleHandle?.recovery ?? autoRecovery(spec.strategy.maxRetries),
      newId,
      logger,
      clock,
      onProgress: (p) => opts.onProgress?.(p, clock.now()),
      batchCheck: {
        watch: new BatchWatch(primaryObjective(spec), opts.batchWatch),
        stations: executor,
        training: agent,
        requalification: { auto: (spec.stations.requalification?.mode ?? 'auto') === 'auto', tolerance: spec.stations.requalification?.tolerance ?? 0.03 },
      },
      estimator: agent,
    });
    const result = await loop.run();
    await poller?.stop();
    if (clock instanceof InstantClock && clock.stalls > 0)
      logger.warn({ stalls: clock.stalls }, 'the virtual clock advanced while an actor was awake; this run may not be reproducible');
    opts.signal?.removeEventListener('abort', abort);
    engine.stop();
    await bus.flush();
    await sink.flush();
    await measurements.flush();
    const exported = await exportResults(store, campaignId, spec, opts.outDir, {
      seed: opts.seed,
      ...(opts.lab.kind === 'simulated' ? { transport: opts.lab.transport } : {}),
      clock: opts.clock,
      virtualHours: clock.now() / 3600,
      result,
      ...(landscapeSeed !== undefined ? { landscapeSeed } : {}),
      ...(simulatedTime ? { exportedAt: nowDate().toISOString() } : {}),
    });
    await lease.release();
    await consoleHandle?.finish();
    return {
      campaignId,
      runId,
      result,
      files: exported.files,
      virtualHours: clock.now() / 3600,
      wallSeconds: (performance.now() - started) / 1000,
      best: result.progress.best ? { value: result.progress.best.value, recipe: result.progress.best.recipe, trialId: result.progress.best.trialId } : undefined,
      ...(result.bestEstimate ? { bestEstimate: result.bestEstimate } : {}),
      rows: exported.rows,
      ...(landscapeSeed !== undefined ? { landscapeSeed } : {}),
      agent: agent.current(),
    };
  } finally {
    await poller?.stop();
    await lease.release();
    await consoleHandle?.close();
    sink.detach();
    await lab.close();
    if (!opts.store) await store.close();
  }
}

/** The simulated lab of a dry run, or the external stations of a stations file. */
async function startLab(opts: CampaignRunOptions, campaignId: string, clock: Clock): Promise<LabHandle> {
  const { spec, config, logger } = opts;
  const source = opts.lab;
  if (source.kind === 'stations') {
    return connectExternalStations({ file: source.file, spec, config, clock, seed: opts.seed, logger, baseDir: source.path ? path.dirname(source.path) : undefined });
  }
  const faults = source.faults ?? (source.faultRate ? RuleFaultInjector.forRate(new Rng(opts.seed).fork('faults'), source.faultRate) : undefined);
  const external = configuredBroker(config);
  return startSimulatedLab({
    spec,
    clock,
    seed: opts.seed,
    transport: source.transport,
    // On a shared broker each simulated lab gets a topic namespace of its own.
    lab: external ? `${config.lab}-sim-${hashTag(campaignId)}` : config.lab,
    ...(external ? { broker: brokerConnection(external) } : {}),
    logger,
    replyTimeout_s: config.timeouts.commandReply_s,
    faults,
    pkiFolder: config.pkiDir,
    ...(source.landscapeSeed !== undefined ? { landscapeSeed: source.landscapeSeed } : {}),
  });
}

function runInfo(opts: CampaignRunOptions, runId: string, virtualStart_s: number): RunInfo {
  const lab: RunInfo['lab'] =
    opts.lab.kind === 'simulated'
      ? { kind: 'simulated', transport: opts.lab.transport, faultRate: opts.lab.faults ? 0 : (opts.lab.faultRate ?? 0) }
      : { kind: 'stations', file: opts.lab.path ? path.resolve(opts.lab.path) : '<stations file>' };
  return { runId, kind: opts.kind, clock: opts.clock, lab, virtualStart_s };
}

function primaryObjective(spec: CampaignSpec): string {
  const first = spec.objectives[0];
  if (!first) throw new Error(`campaign ${spec.id} has no objective`);
  return first.name;
}

/** Calls `operator` once each time a station becomes quarantined (from the stationState documents). */
function watchQuarantines(bus: DocumentBus, campaignId: string, operator: NonNullable<CampaignRunOptions['onQuarantine']>, commands: CampaignCommands): void {
  const quarantined = new Set<string>();
  bus.subscribe((doc) => {
    if (doc.campaignId !== campaignId || doc.type !== 'stationState') return;
    const { station, message } = doc.payload;
    if (!doc.payload.quarantined) quarantined.delete(station);
    else if (!quarantined.has(station)) {
      quarantined.add(station);
      operator({ campaignId, station, message: message ?? '' }, commands);
    }
  });
}
