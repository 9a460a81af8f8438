import { loadCampaignFile, loadConfig } from '../config/index.ts';
import { AGENT_KINDS, type CampaignSpec } from '../domain/index.ts';
import { createLogger } from '../app/logger.ts';
import { parseClockMode } from '../../simulators/clock.ts';
import { createProgressBar } from './progress-bar.ts';
import { logOutputOf } from './option-parsers.ts';
import { finishRun } from './run-report.ts';
import { UsageError } from './usage-error.ts';
import { installStopSignals } from './stop-signals.ts';
import { applyApprovalFlag, consoleOptionsFromFlags } from './serve-command.ts';
import { applyWasmCodePolicy } from '../app/wasm-code-policy.ts';

interface DryRunFlags {
  out: string;
  seed: number;
  trials?: number;
  stations?: number;
  clock: string;
  db?: string;
  transport: string;
  agent?: string;
  quiet?: boolean;
  faultRate: number;
  stationsFile?: string;
  id?: string;
  landscapeSeed?: number;
  drainTimeout?: number;
  prior?: string;
  library?: string;
}

/** Applies CLI overrides to the campaign (budget, station pairs, agent). */
export function applyOverrides(spec: CampaignSpec, flags: Pick<DryRunFlags, 'trials' | 'stations' | 'agent'>): CampaignSpec {
  const agent = flags.agent;
  if (agent !== undefined && !(AGENT_KINDS as readonly string[]).includes(agent)) throw new UsageError(`--agent must be ${AGENT_KINDS.join(', ')}, not "${agent}"`);
  if (spec.library && (agent === 'random' || agent === 'sobol')) throw new UsageError(`--agent ${agent} cannot choose from the campaign's recipe library: use bo, sobol-gp, hybrid or generative`);
  return {
    ...spec,
    budget: { ...spec.budget, trials: flags.trials ?? spec.budget.trials },
    stations: { pairs: flags.stations ?? spec.stations.pairs },
    strategy: { ...spec.strategy, agent: (agent as CampaignSpec['strategy']['agent'] | undefined) ?? spec.strategy.agent },
  };
}

export async function runDryRunCommand(campaignFile: string, raw: Record<string, unknown>): Promise<void> {
  const flags = raw as unknown as DryRunFlags;
  if (flags.transport !== 'twin' && flags.transport !== 'sim') throw new UsageError(`--transport must be twin or sim, not "${flags.transport}"`);
  try {
    parseClockMode(flags.clock);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const config = loadConfig(process.env, flags.db ? { pgliteDir: flags.db } : {});
  const overridden = applyOverrides(await loadCampaignFile(campaignFile), flags);
  // A recipe library from a CSV (ADR 0122), checked with the campaign as overridden (its agent among others).
  const withLibrary = flags.library !== undefined ? await (await import('../app/recipe-library-file.ts')).withLibraryFile(overridden, flags.library) : overridden;
  let spec = applyApprovalFlag(withLibrary, raw);
  const logger = createLogger(config.logLevel, logOutputOf(raw, config));
  const controller = new AbortController();
  // Console flags are checked before anything heavy loads, so a refusal (no tokens, bad port) comes at once.
  const consoleOptions = consoleOptionsFromFlags(raw, config, controller.signal);
  // node-opcua prints its own diagnostics on stdout (one of them when its load-time crypto check ends, seconds after it
  // is imported): route them before anything loads it, so from here on they are debug lines of our log. The in-process
  // simulators never load node-opcua, so `--transport sim` without external stations skips it (ADR 0095).
  if (flags.transport === 'twin' || flags.stationsFile) (await import('../../drivers/transport/opcua-diagnostics.ts')).routeOpcuaDiagnostics(logger);
  // External stations (`--stations-file`): the file decides the station pairs.
  const stations = flags.stationsFile ? await (await import('../app/external-stations.ts')).loadStationsFile(flags.stationsFile) : undefined;
  if (stations) spec = { ...spec, stations: { pairs: stations.pairs.length } };
  // Before PGlite compiles: how V8 compiles the run's WebAssembly (ADR 0120).
  applyWasmCodePolicy(spec);
  // The simulated lab pulls in node-opcua, aedes and PGlite: load it only once the input is known to be good.
  const { runDryRun } = await import('../app/dry-run.ts');
  // Warm start (ADR 0083): rows of a related campaign or data set train a generative agent's generator, never the GP.
  if (flags.prior !== undefined && spec.strategy.agent !== 'generative') throw new UsageError('--prior needs the generative agent (--agent generative)');
  const priorObservations = flags.prior !== undefined ? (await (await import('../app/design/observations-source.ts')).observationsFromCsv(spec, flags.prior)).observations : undefined;
  const objective = spec.objectives[0];
  const bar = flags.quiet ? undefined : createProgressBar(process.stderr, objective?.unit ?? '');
  const { defaultCampaignId } = await import('../app/campaign-identity.ts');
  const signals = installStopSignals({ campaignId: flags.id ?? defaultCampaignId(spec, 'dry-run', flags.seed), drainTimeout_s: flags.drainTimeout });
  process.stdout.write(
    `labloop dry run: ${spec.title} — ${spec.budget.trials} trials on ${spec.stations.pairs} station pair(s), seed ${flags.seed}, ` +
      `${stations ? `external stations from ${flags.stationsFile}` : flags.transport === 'twin' ? 'MQTT + OPC UA twins' : 'in-process simulators'}, clock ${flags.clock}, ` +
      `${config.databaseUrl ? 'PostgreSQL' : `PGlite ${config.pgliteDir}`}` +
      `${!stations && flags.landscapeSeed !== undefined && flags.landscapeSeed !== 2026 ? `, landscape seed ${flags.landscapeSeed}` : ''}` +
      `${spec.library ? `, recipe library of ${spec.library.length} rows` : ''}\n`,
  );
  try {
    const summary = await runDryRun({
      spec,
      config,
      logger,
      seed: flags.seed,
      outDir: flags.out,
      clock: flags.clock,
      transport: flags.transport,
      dbDir: flags.db,
      faultRate: flags.faultRate,
      ...(stations ? { stations, stationsPath: flags.stationsFile } : {}),
      ...(flags.id ? { campaignId: flags.id } : {}),
      ...(flags.landscapeSeed !== undefined ? { landscapeSeed: flags.landscapeSeed } : {}),
      ...(priorObservations ? { priorObservations } : {}),
      ...(raw['autoRefill'] === false ? { autoRefill: false } : {}),
      signal: controller.signal,
      pause: signals.pause,
      console: consoleOptions,
      onProgress: (p, t) => bar?.update(p, t),
    });
    bar?.done();
    finishRun(summary, spec, flags.out);
  } finally {
    signals.dispose();
  }
}
