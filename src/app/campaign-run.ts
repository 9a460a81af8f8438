import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Planner } from '../../agents/planner/planner.ts';
import type { Agent } from '../../agents/agent.ts';
import { BatchWatch, type BatchWatchOptions } from '../../agents/batch-watch.ts';
import type { BestEstimate } from '../../agents/best-estimate.ts';
import { CampaignLoop, type CampaignProgress, type CampaignResult } from '../../agents/campaign-loop.ts';
import { CuratedAgent } from '../../agents/curated-agent.ts';
import { RegionQuarantines } from '../../agents/region-quarantine.ts';
import { autoApproval, autoRecovery } from '../../agents/trial-ports.ts';
import { InstantClock, createClock, parseClockMode } from '../../simulators/clock.ts';
import type { FaultInjector } from '../../simulators/fault-injector.ts';
import { RuleFaultInjector } from '../../simulators/faults.ts';
import { OER_LANDSCAPE_DEFAULT_SEED } from '../../simulators/physics/oer-landscape.ts';
import type { Config } from '../config/index.ts';
import type { CampaignCommands } from '../console/index.ts';
import { Rng, plannerStrategySchema, type CampaignSpec, type Clock, type Logger, type Observation } from '../domain/index.ts';
import { Engine } from '../engine/engine.ts';
import type { Station } from '../engine/station.ts';
import { DocumentBus, type RunInfo } from '../protocol/index.ts';
import { countPlannerCall, emptyPlannerStats } from '../protocol/planner-stats.ts';
import { SafetyGate } from '../safety/safety-gate.ts';
import { attachDocumentSink } from '../store/document-sink.ts';
import { createMeasurementSink } from '../store/measurement-sink.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import type { RecoveryDecision } from '../../agents/trial-ports.ts';
import type { AgentServices } from './agents.ts';
import { loadCommandModules, loadRunModules, type CommandModules } from './run-modules.ts';
import type { ClosableTrainer } from './generative-trainer.ts';
import type { StoredCampaign } from './campaign-restore.ts';
import { LiveListingFile, listCampaigns } from './campaign-listing.ts';
import { exportCampaign } from '../store/export.ts';
import { reportFacts } from './report-facts.ts';
import { analyseEchem } from './analysis.ts';
import { brokerConnection, configuredBroker } from './broker-connection.ts';
import { defaultCampaignId, hashTag, type RunKind } from './campaign-identity.ts';
import { takeCampaignLease, type CampaignLease } from './command-queue-lease.ts';
import type { CommandQueuePoller } from './command-queue-poller.ts';
import type { DryRunConsole, DryRunConsoleOptions } from './console-dry-run.ts';
import type { PlannerQuestions } from './planner-questions.ts';
import { exportResults } from './export-results.ts';
import type { StationsFile } from './external-stations.ts';
import { createIdFactory, createSeededIdFactory } from './ids.ts';
import { LabExecutor } from './lab-executor.ts';
import { StockKeeper, type StockRefillTarget } from './stock-keeper.ts';
import type { LabTransport } from './simulated-lab.ts';

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
      /**
       * Folder of the simulated instruments' run logs and world state (default: beside the PGlite folder, or under
       * .labloop/lab with PostgreSQL, one folder per campaign). Recorded with the run; a resume reopens it.
       */
      journalDir?: string | undefined;
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
  /**
   * Pause the campaign when this signal fires (the first SIGINT/SIGTERM): no new proposals, trials in flight finish,
   * the outputs are written and the campaign is left `paused` for `labloop resume`.
   */
  pause?: AbortSignal | undefined;
  /** The lease owner name to run under (a worker that already took the campaign's lease with it). */
  leaseOwner?: string | undefined;
  /** Continue a stored campaign (`labloop resume`) instead of starting a new one. */
  resume?:
    | {
        stored: StoredCampaign;
        decisions?: ReadonlyMap<string, RecoveryDecision> | undefined;
        /** Who resumes, recorded as an operatorAction with the decisions (default: `cli`, `labloop resume --recover`). */
        operator?: { actor: string; via: string } | undefined;
      }
    | undefined;
  /** Serve the monitoring console beside the run (`--console`); with `strategy.approval: human` operators approve. */
  console?: DryRunConsoleOptions | undefined;
  /**
   * A simulated operator: told of every station quarantine (its stationState message), it may act through the same
   * command API as the console (e.g. release the station: the electrolyte was replaced).
   */
  /** Extra training rows for a generative agent's generator (warm start from a related campaign or data set). */
  priorObservations?: readonly Observation[] | undefined;
  onQuarantine?: ((quarantine: { campaignId: string; station: string; message: string }, commands: CampaignCommands) => void) | undefined;
  /** A simulated operator refills a stock to its listed volume whenever it runs short (ADR 0113; dry runs). */
  autoRefill?: boolean | undefined;
  /** Batch-check options instead of the defaults (tests exercise its mechanics at ADR 0050's sensitivity). */
  batchWatch?: Partial<BatchWatchOptions> | undefined;
  /**
   * Called once the campaign runs, with its command API (pause, resume, abort, …): `labloop serve` controls a
   * campaign it resumed in its own process through it. `undefined` when the run ends.
   */
  onCommands?: ((commands: CampaignCommands | undefined) => void) | undefined;
  /** Wraps every agent the run builds (benchmarks time the agent's calls to separate model time from engine time). */
  instrumentAgent?: ((agent: Agent) => Agent) | undefined;
}

export interface CampaignRunSummary {
  campaignId: string;
  /** The campaign's spec (a resumed campaign's is the stored one). */
  spec: CampaignSpec;
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
  /** The stocks' tracked volumes as the run ended, µL per stock (ADR 0113). */
  stockVolumes: Record<string, number>;
}

interface LabHandle {
  stations: Station[];
  replaceElectrolyte?: (stationId: string) => void;
  /** The simulated lab's stocks, which receive every refill. */
  stocks?: StockRefillTarget;
  close(): Promise<void>;
}

/** Runs a campaign (a new one) on the chosen lab, storing everything, and writes its outputs. */
export async function runCampaign(opts: CampaignRunOptions): Promise<CampaignRunSummary> {
  const started = performance.now();
  const { spec, config, logger } = opts;
  const clockMode = parseClockMode(opts.clock);
  const resume = opts.resume?.stored;
  const virtualStart_s = resume && clockMode.kind === 'instant' ? Math.max(0, (resume.lastTimeMs - SIMULATED_EPOCH_MS) / 1000) : 0;
  const clock = createClock(clockMode, virtualStart_s);
  const campaignId = resume?.campaignId ?? opts.campaignId ?? defaultCampaignId(spec, opts.kind, opts.seed);
  const runNumber = (resume?.runs.length ?? 0) + 1;
  // A dry run on the instant clock is reproducible down to its ids and timestamps; anything else uses ULIDs and the wall clock.
  const simulatedTime = clock instanceof InstantClock;
  const nowDate = simulatedTime ? (): Date => new Date(SIMULATED_EPOCH_MS + clock.now() * 1000) : (): Date => new Date();
  const newId = simulatedTime ? createSeededIdFactory({ seed: opts.seed, salt: runNumber === 1 ? `${campaignId}\u0000run1` : `${campaignId}\u0000run${runNumber}`, nowMs: () => nowDate().getTime() }) : createIdFactory();
  const runId = newId();
  // Only the modules this run uses, loaded before anything starts (ADR 0095).
  const modules = await loadRunModules(spec, { console: opts.console !== undefined });
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
      owner: opts.leaseOwner,
      mode: resume ? 'resume' : 'create',
      createdAt: nowDate(),
      onLost: (holder) => onLeaseLost?.(`campaign lease lost to ${holder?.owner ?? 'another process'}`),
    });
  } catch (e) {
    if (!opts.store) await store.close();
    throw e;
  }
  let commandModules: CommandModules | undefined;
  try {
    commandModules = store.kind === 'postgres' || opts.onQuarantine || opts.onCommands ? await loadCommandModules() : undefined;
  } catch (e) {
    await lease.release();
    if (!opts.store) await store.close();
    throw e;
  }
  const landscapeSeed = opts.lab.kind === 'simulated' ? (opts.lab.landscapeSeed ?? OER_LANDSCAPE_DEFAULT_SEED) : undefined;
  // While this process holds a PGlite folder, `labloop campaigns` reads the listing it keeps beside it.
  const live = store.kind === 'pglite' && !opts.store ? await startLiveListing(store, opts.dbDir ?? config.pgliteDir, campaignId, spec, logger) : undefined;
  const bus = new DocumentBus(nowDate);
  if (resume) bus.resumeSequence(campaignId, resume.lastSeq);
  // Fencing: every document batch checks that this process still holds the lease; a process that lost it never writes.
  const sink = attachDocumentSink(bus, store, {
    logger,
    fence: { campaignId, owner: lease.owner, onFenced: (holder) => onLeaseLost?.(`campaign lease lost to ${holder ?? 'nobody'} (a write was fenced)`) },
  });
  const measurementSink = createMeasurementSink(store, { logger });
  // A measurement is stored before the event document that names it is published: a crash never leaves an event
  // whose curves are lost.
  const measurements = {
    write: async (m: Parameters<typeof measurementSink.write>[0]): Promise<void> => {
      await measurementSink.write(m);
      await measurementSink.flush();
    },
    flush: () => measurementSink.flush(),
  };
  const journalDir = opts.lab.kind === 'simulated' ? (opts.lab.journalDir ?? defaultJournalDir(config, opts.dbDir, campaignId)) : undefined;
  // A new campaign's simulated instruments start with empty run logs (a leftover of a deleted database must not replay).
  if (journalDir && !resume) rmSync(journalDir, { recursive: true, force: true });
  let lab: LabHandle;
  try {
    // Recorded (durably) before the lab starts: a run killed during start-up is still resumable.
    bus.publish(campaignId, 'campaignStart', { spec, seed: opts.seed, resumed: resume !== undefined, run: runInfo(opts, runId, clock.now(), journalDir) });
    await sink.flush();
    lab = await startLab(opts, campaignId, clock, journalDir);
  } catch (e) {
    sink.detach();
    await lease.release();
    if (!opts.store) await store.close();
    throw e;
  }
  let consoleHandle: DryRunConsole | undefined;
  let questions: PlannerQuestions | undefined;
  let poller: CommandQueuePoller | undefined;
  let trainer: ClosableTrainer | undefined;
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
    // Stock solutions as a supply (ADR 0113): a resumed run's tracked volumes are rebuilt from the stock documents.
    const stocks = new StockKeeper({ spec, stations: lab.stations, bus, campaignId, logger: logger.child({ component: 'stocks' }), lab: lab.stocks, autoRefill: opts.autoRefill });
    if (resume) stocks.restore(resume.stocks);
    // The planner's settings (defaults when the campaign names none): the region radius and the question timeout.
    const plannerSettings = spec.strategy.planner ?? plannerStrategySchema.parse({});
    // Regions of the search space a triage quarantined (ADR 0106): a resumed run starts with those its documents left active.
    const regions = new RegionQuarantines({
      spec,
      bus,
      campaignId,
      newId,
      radius: plannerSettings.regionRadius,
      restored: resume?.regions ?? [],
      logger: logger.child({ component: 'region-quarantine' }),
    });
    // A hybrid campaign's planner may ask operators (ask-human, ADR 0076): its questions go to the console beside the
    // run, to the `labloop serve` that hosts it (onCommands) and, on PostgreSQL, to the consoles of other processes,
    // whose answers come back through the command queue (ADR 0102). Without any nobody could answer: ask-human is not
    // offered.
    const answerable = opts.console !== undefined || opts.onCommands !== undefined || store.kind === 'postgres';
    questions = modules.planning && answerable ? new modules.planning.PlannerQuestions(bus, campaignId, plannerSettings.questionTimeout_min * 60_000) : undefined;
    if (opts.console && modules.startDryRunConsole) {
      const humanApproval = spec.strategy.approval === 'human';
      consoleHandle = await modules.startDryRunConsole({ campaignId, bus, store, engine, executor, stocks, logger, humanApproval, questions, signal: opts.signal, options: opts.console });
    }
    const operator = opts.resume?.operator;
    if (operator) bus.publish(campaignId, 'operatorAction', { actor: operator.actor, action: 'resume', accepted: true, reason: operator.via });
    for (const [trialId, decision] of opts.resume?.decisions ?? [])
      bus.publish(campaignId, 'operatorAction', { actor: operator?.actor ?? 'cli', action: `recover:${decision}`, target: trialId, accepted: true, reason: operator?.via ?? 'labloop resume --recover' });
    for (const s of lab.stations) {
      const quarantine = resume?.quarantined.get(s.id);
      if (quarantine !== undefined) engine.quarantineStation(s, quarantine);
      else engine.announce(s, 'ready');
    }
    const abort = (): void => {
      // The run's own console cancels its questions itself; otherwise nothing may wait for an answer that cannot come.
      if (!consoleHandle) questions?.cancelAll('interrupt', 'run interrupted');
      engine.abort('interrupted');
      executor.notify();
    };
    opts.signal?.addEventListener('abort', abort, { once: true });
    onLeaseLost = (reason) => {
      questions?.cancelAll('lease-lost', reason);
      engine.abort(reason);
      executor.notify();
    };
    engine.start();
    const decisions = consoleHandle?.decisions;
    if (decisions) decisions.onChange(() => lease.publishPending(decisions.pending()));
    if (store.kind === 'postgres' && commandModules) {
      const { EngineCampaignCommands, startCommandQueuePoller } = commandModules;
      // Consoles in other processes (`labloop serve`) queue commands in the database; they run through the same
      // command API as the in-process console.
      const commands = new EngineCampaignCommands({ campaignId, bus, engine, executor, decisions, questions, regions, stocks, logger: logger.child({ component: 'console-commands', via: 'database' }) });
      poller = startCommandQueuePoller({ store, owner: lease.owner, campaignId, commands, logger });
    }
    if (opts.onCommands && commandModules) opts.onCommands(new commandModules.EngineCampaignCommands({ campaignId, bus, engine, executor, decisions, questions, regions, stocks, logger: logger.child({ component: 'console-commands', via: 'host' }) }));
    if (opts.onQuarantine && commandModules) watchQuarantines(bus, campaignId, opts.onQuarantine, new commandModules.EngineCampaignCommands({ campaignId, bus, engine, executor, decisions, regions, stocks, logger: logger.child({ component: 'console-commands', via: 'operator' }) }));
    // The batch check takes a contaminated stretch out of the agent's data: the agent is rebuilt without it.
    // The hybrid agent's planner lives as long as the campaign (its call and token budget is per campaign); every job
    // it answers is a plannerCall document.
    const planning = modules.planning;
    // A resumed campaign's planner counts what its earlier runs spent (calls, tokens: the budget is per campaign).
    const spent = planning && resume ? (await store.documents.ofType(campaignId, 'plannerCall')).reduce((s, d) => countPlannerCall(s, d.payload), emptyPlannerStats()) : undefined;
    const planner = planning ? planning.createPlanner({ config, logger, audit: { bus, campaignId }, spent }) : undefined;
    // In-loop advice runs as a LangGraph graph checkpointed in this campaign's documents (ADRs 0073, 0074): a resumed
    // campaign reads its checkpoints back; rounds are numbered per campaign, so a rebuilt agent starts a new round.
    // Advice rounds wait for an operator only in human-approval mode, which needs the run's own console (as trials do).
    const graphs = planner && planning ? await planning.createPlannerGraphs({ spec, planner, bus, campaignId, store, resumed: resume !== undefined, desk: opts.console ? questions : undefined, logger }) : undefined;
    // A generative agent trains in one worker thread per run, shared by every rebuild of the agent (ADR 0082).
    trainer = modules.createWorkerTrainer ? modules.createWorkerTrainer({ backend: config.tfBackend, logger }) : undefined;
    const services: AgentServices = {
      tfBackend: config.tfBackend,
      logger,
      ...(planner ? { planner } : {}),
      ...(graphs ? { ask: graphs.rounds.ask, plannerResumeAt: () => graphs.takeResumeAt() } : {}),
      ...(trainer ? { trainer } : {}),
      ...(opts.priorObservations ? { priorObservations: opts.priorObservations } : {}),
    };
    const instrument = opts.instrumentAgent ?? ((a: Agent): Agent => a);
    const agent = new CuratedAgent(() => instrument(modules.createAgent({ spec, seed: opts.seed, newId }, services)));
    const defaultRecovery = consoleHandle?.recovery ?? autoRecovery(spec.strategy.maxRetries);
    const triage = planner && graphs && planning ? planning.plannerTriage({ planner, spec, bus, campaignId, graphs, stations: executor, regions, desk: questions, logger }) : undefined;
    const recovery = triage?.recovery ?? defaultRecovery;
    const loop = new CampaignLoop({
      spec,
      campaignId,
      agent,
      bus,
      executor: stocks.executor(executor),
      gate,
      approvals: consoleHandle?.approvals ?? autoApproval,
      recovery,
      newId,
      logger,
      clock,
      onProgress: (p) => {
        live?.update(p);
        opts.onProgress?.(p, clock.now());
      },
      batchCheck: {
        watch: new BatchWatch(primaryObjective(spec), opts.batchWatch),
        stations: executor,
        training: agent,
        requalification: { auto: (spec.stations.requalification?.mode ?? 'auto') === 'auto', tolerance: spec.stations.requalification?.tolerance ?? 0.03 },
      },
      durable: async () => {
        await bus.flush();
        await sink.flush();
      },
      ...(resume ? { restore: { ...resume.loop, decisions: opts.resume?.decisions } } : {}),
      estimator: agent,
      ...(triage ? { flags: triage.flags } : {}),
      regions,
      supply: stocks,
      // A pause (a signal, a stock to refill) does not wait for operators (ADR 0105): open questions stay open, and
      // the resumed run asks them again.
      onPause: () => {
        questions?.suspend('the campaign paused');
        consoleHandle?.decisions?.suspend('the campaign paused');
      },
    });
    const onPause = (): void => loop.pause('paused by signal: trials in flight finished; continue with `labloop resume`');
    if (opts.pause?.aborted) onPause();
    opts.pause?.addEventListener('abort', onPause, { once: true });
    const result = await loop.run();
    opts.pause?.removeEventListener('abort', onPause);
    await poller?.stop();
    if (clock instanceof InstantClock && clock.stalls > 0)
      logger.warn({ stalls: clock.stalls }, 'the virtual clock advanced while an actor was awake; this run may not be reproducible');
    opts.signal?.removeEventListener('abort', abort);
    engine.stop();
    await bus.flush();
    await sink.flush();
    await measurements.flush();
    // The planner's report reads the stored campaign; its own plannerCall document is stored before the export.
    const summaryFile = planner ? await writePlannerReport(planner, store, campaignId, spec, opts.outDir) : undefined;
    if (summaryFile) {
      await bus.flush();
      await sink.flush();
    }
    const exported = await exportResults(store, campaignId, spec, opts.outDir, {
      seed: opts.seed,
      ...(opts.lab.kind === 'simulated' ? { transport: opts.lab.transport } : {}),
      clock: opts.clock,
      virtualHours: clock.now() / 3600,
      result,
      ...(landscapeSeed !== undefined ? { landscapeSeed } : {}),
      ...(simulatedTime ? { exportedAt: nowDate().toISOString() } : {}),
      ...(planner ? { planner: { kind: planner.kind, ...planner.stats() } } : {}),
    });
    await lease.release();
    await consoleHandle?.finish();
    return {
      campaignId,
      spec,
      runId,
      result,
      files: summaryFile ? [...exported.files, summaryFile] : exported.files,
      virtualHours: clock.now() / 3600,
      wallSeconds: (performance.now() - started) / 1000,
      best: result.progress.best ? { value: result.progress.best.value, recipe: result.progress.best.recipe, trialId: result.progress.best.trialId } : undefined,
      ...(result.bestEstimate ? { bestEstimate: result.bestEstimate } : {}),
      rows: exported.rows,
      ...(landscapeSeed !== undefined ? { landscapeSeed } : {}),
      agent: agent.current(),
      stockVolumes: Object.fromEntries(spec.stocks.map((st) => [st.name, stocks.volume(st.name)])),
    };
  } finally {
    opts.onCommands?.(undefined);
    await trainer?.close();
    await poller?.stop();
    await lease.release();
    await consoleHandle?.close();
    if (!consoleHandle) questions?.cancelAll('shutdown', 'run ended');
    sink.detach();
    await lab.close();
    live?.remove();
    if (!opts.store) await store.close();
  }
}

/** Writes the live listing now and keeps this campaign's line current (at most once a second). */
async function startLiveListing(store: Store, pgliteDir: string, campaignId: string, spec: CampaignSpec, logger: Logger): Promise<{ update(p: CampaignProgress): void; remove(): void } | undefined> {
  try {
    const file = new LiveListingFile(pgliteDir);
    const listing = await listCampaigns(store);
    const own = listing.find((c) => c.id === campaignId);
    if (own) own.status = 'running';
    file.write(listing);
    let last = 0;
    return {
      update(p) {
        if (!own || performance.now() - last < 1000) return;
        last = performance.now();
        own.trials = { done: p.completed + p.failed, budget: p.budget };
        own.awaitingRecovery = p.awaitingRecovery ?? 0;
        const objective = spec.objectives[0];
        if (p.best && objective) own.best = { objective: objective.name, value: p.best.value, unit: objective.unit };
        try {
          file.write(listing);
        } catch (e) {
          logger.debug({ err: (e as Error).message }, 'live listing not written');
        }
      },
      remove: () => file.remove(),
    };
  } catch (e) {
    logger.warn({ err: (e as Error).message }, 'live campaign listing unavailable');
    return undefined;
  }
}

/** The simulated lab of a dry run, or the external stations of a stations file. */
async function startLab(opts: CampaignRunOptions, campaignId: string, clock: Clock, journalDir: string | undefined): Promise<LabHandle> {
  const { spec, config, logger } = opts;
  const source = opts.lab;
  if (source.kind === 'stations') {
    const { connectExternalStations } = await import('./external-stations.ts');
    return connectExternalStations({ file: source.file, spec, config, clock, seed: opts.seed, logger, baseDir: source.path ? path.dirname(source.path) : undefined });
  }
  const faults = source.faults ?? (source.faultRate ? RuleFaultInjector.forRate(new Rng(opts.seed).fork('faults'), source.faultRate) : undefined);
  const external = configuredBroker(config);
  const { startSimulatedLab } = await import('./simulated-lab.ts');
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
    journalDir,
  });
}

/**
 * Where a dry run's simulated instruments keep their run logs: beside the PGlite folder, or under .labloop/lab; for an
 * in-memory database (nothing to resume) in this process's temporary folder, never in the working directory.
 */
export function defaultJournalDir(config: Config, dbDir: string | undefined, campaignId: string): string {
  if (config.databaseUrl) return path.resolve('.labloop', 'lab', campaignId);
  const folder = dbDir ?? config.pgliteDir;
  if (folder.startsWith('memory:')) return path.join(os.tmpdir(), `labloop-lab-${process.pid}`, campaignId);
  const db = path.resolve(folder);
  return path.join(path.dirname(db), `${path.basename(db)}.lab`, campaignId);
}

function runInfo(opts: CampaignRunOptions, runId: string, virtualStart_s: number, journal: string | undefined): RunInfo {
  const lab: RunInfo['lab'] =
    opts.lab.kind === 'simulated'
      ? {
          kind: 'simulated',
          transport: opts.lab.transport,
          faultRate: opts.lab.faults ? 0 : (opts.lab.faultRate ?? 0),
          ...(opts.lab.landscapeSeed !== undefined ? { landscapeSeed: opts.lab.landscapeSeed } : {}),
          ...(journal ? { journal } : {}),
        }
      : { kind: 'stations', file: opts.lab.path ? path.resolve(opts.lab.path) : '<stations file>' };
  return { runId, kind: opts.kind, clock: opts.clock, lab, virtualStart_s, ...(opts.autoRefill ? { autoRefill: true } : {}) };
}

/** summary.md: the planner's end-of-campaign report, phrased from facts computed from the store. */
async function writePlannerReport(planner: Planner, store: Store, campaignId: string, spec: CampaignSpec, outDir: string): Promise<string> {
  const facts = reportFacts(await exportCampaign(store, campaignId), spec);
  const { value, source } = await planner.report({ facts });
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, 'summary.md');
  await writeFile(file, `${value.markdown.trimEnd()}\n\n_Written by the ${source} planner from facts computed from the store._\n`);
  return file;
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
