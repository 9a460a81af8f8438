import { BatchWatch } from '../../agents/batch-watch.ts';
import { CampaignLoop, type CampaignProgress, type CampaignResult } from '../../agents/campaign-loop.ts';
import { CuratedAgent } from '../../agents/curated-agent.ts';
import { autoApproval, autoRecovery } from '../../agents/trial-ports.ts';
import { InstantClock, createClock, parseClockMode } from '../../simulators/clock.ts';
import { RuleFaultInjector } from '../../simulators/faults.ts';
import type { Config } from '../config/index.ts';
import { Rng, type CampaignSpec, type Logger } from '../domain/index.ts';
import { Engine } from '../engine/engine.ts';
import { DocumentBus } from '../protocol/index.ts';
import { SafetyGate } from '../safety/safety-gate.ts';
import { attachDocumentSink } from '../store/document-sink.ts';
import { createMeasurementSink } from '../store/measurement-sink.ts';
import { openStore } from '../store/open-store.ts';
import { createAgent } from './agents.ts';
import { analyseEchem } from './analysis.ts';
import { takeCampaignLease, type CampaignLease } from './command-queue-lease.ts';
import { startCommandQueuePoller, type CommandQueuePoller } from './command-queue-poller.ts';
import { EngineCampaignCommands } from './console-commands.ts';
import { startDryRunConsole, type DryRunConsole, type DryRunConsoleOptions } from './console-dry-run.ts';
import { exportResults } from './export-results.ts';
import { createIdFactory } from './ids.ts';
import { LabExecutor } from './lab-executor.ts';
import { startSimulatedLab, type LabTransport } from './simulated-lab.ts';
import { connectExternalStations, type StationsFile } from './external-stations.ts';
import type { FaultInjector } from '../../simulators/fault-injector.ts';
import type { Station } from '../engine/station.ts';
import type { CampaignCommands } from '../console/index.ts';
import type { Store } from '../store/store.ts';
import type { Agent } from '../../agents/agent.ts';
import { OER_LANDSCAPE_DEFAULT_SEED } from '../../simulators/physics/oer-landscape.ts';

export interface DryRunOptions {
  spec: CampaignSpec;
  config: Config;
  logger: Logger;
  seed: number;
  outDir: string;
  clock: string;
  transport: LabTransport;
  /** PGlite folder override (the config's otherwise; ignored with a database URL). */
  dbDir?: string;
  onProgress?: (p: CampaignProgress, virtualSeconds: number) => void;
  /** Probability per device operation of an injected fault (every catalogued fault on); 0 = none. */
  faultRate?: number;
  /** Abort the campaign when this signal fires (Ctrl-C). */
  signal?: AbortSignal;
  /** Serve the monitoring console beside the run (`--console`); with `strategy.approval: human` operators approve. */
  console?: DryRunConsoleOptions;
  // --- external stations and test hooks (issue 5) ---
  /** Connect to these external station pairs (`--stations-file`) instead of starting a simulated lab. */
  stations?: StationsFile;
  /** A fault injector to use instead of `faultRate` (tests force faults with it). */
  faults?: FaultInjector;
  /** A store the caller opened and closes itself (tests share one across runs). */
  store?: Store;
  /**
   * A simulated operator: told of every station quarantine (its stationState message), it may act through the same
   * command API as the console (e.g. release the station: the electrolyte was replaced).
   */
  onQuarantine?: (quarantine: { campaignId: string; station: string; message: string }, commands: CampaignCommands) => void;
  /** Seed of the simulated lab's hidden landscape (`--landscape-seed`; default 2026, the canonical landscape). */
  landscapeSeed?: number;
}

export interface DryRunSummary {
  campaignId: string;
  result: CampaignResult;
  files: string[];
  virtualHours: number;
  wallSeconds: number;
  best?: { value: number; recipe: Record<string, number | string>; trialId: string };
  rows: number;
  /** Seed of the hidden landscape the simulated stations measured (absent with external stations). */
  landscapeSeed?: number;
  /** The campaign's agent as it ended (benchmarks judge its model against the simulator's truth). */
  agent: Agent;
}

/** Runs a campaign on a complete simulated lab in this process and writes its outputs. */
export async function runDryRun(opts: DryRunOptions): Promise<DryRunSummary> {
  const started = performance.now();
  const { spec, config, logger } = opts;
  const clock = createClock(parseClockMode(opts.clock));
  const newId = createIdFactory();
  const campaignId = `${spec.id}-${newId().toLowerCase()}`;
  const store = opts.store ?? (await openStore({ databaseUrl: config.databaseUrl, pgliteDir: opts.dbDir ?? config.pgliteDir, pgliteTemplateCacheDir: config.pgliteCacheDir, logger }));
  // The campaign's lease (ADR 0032): taken before anything runs, renewed by heartbeat, released at the end. Losing it
  // to another process aborts the run here.
  let onLeaseLost: ((reason: string) => void) | undefined;
  let lease: CampaignLease;
  try {
    lease = await takeCampaignLease({ store, campaignId, spec, seed: opts.seed, logger, onLost: (holder) => onLeaseLost?.(`campaign lease lost to ${holder?.owner ?? 'another process'}`) });
  } catch (e) {
    if (!opts.store) await store.close();
    throw e;
  }
  const bus = new DocumentBus();
  const sink = attachDocumentSink(bus, store, { logger });
  const measurements = createMeasurementSink(store, { logger });
  const landscapeSeed = opts.stations ? undefined : (opts.landscapeSeed ?? OER_LANDSCAPE_DEFAULT_SEED);
  const faults = opts.faults ?? (opts.faultRate ? RuleFaultInjector.forRate(new Rng(opts.seed).fork('faults'), opts.faultRate) : undefined);
  let lab: { stations: Station[]; replaceElectrolyte?: (stationId: string) => void; close(): Promise<void> };
  try {
    lab = opts.stations
      ? await connectExternalStations({ file: opts.stations, spec, config, clock, seed: opts.seed, logger, newId })
      : await startSimulatedLab({ spec, clock, seed: opts.seed, transport: opts.transport, lab: config.lab, logger, newId, replyTimeout_s: config.timeouts.commandReply_s, faults, pkiFolder: config.pkiDir, landscapeSeed });
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
    bus.publish(campaignId, 'campaignStart', { spec, seed: opts.seed, resumed: false });
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
      batchCheck: { watch: new BatchWatch(primaryObjective(spec)), stations: executor, training: agent },
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
      transport: opts.transport,
      clock: opts.clock,
      virtualHours: clock.now() / 3600,
      ...(landscapeSeed !== undefined ? { landscapeSeed } : {}),
      result,
    });
    await lease.release();
    await consoleHandle?.finish();
    return {
      campaignId,
      result,
      files: exported.files,
      virtualHours: clock.now() / 3600,
      wallSeconds: (performance.now() - started) / 1000,
      best: result.progress.best ? { value: result.progress.best.value, recipe: result.progress.best.recipe, trialId: result.progress.best.trialId } : undefined,
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

function primaryObjective(spec: CampaignSpec): string {
  const first = spec.objectives[0];
  if (!first) throw new Error(`campaign ${spec.id} has no objective`);
  return first.name;
}

/** Calls `operator` once each time a station becomes quarantined (from the stationState documents). */
function watchQuarantines(bus: DocumentBus, campaignId: string, operator: NonNullable<DryRunOptions['onQuarantine']>, commands: CampaignCommands): void {
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
