import { logOutputOf } from './option-parsers.ts';
import path from 'node:path';
import { loadCampaignFile, loadConfig } from '../config/index.ts';
import { createLogger } from '../app/logger.ts';
import { createProgressBar } from './progress-bar.ts';
import { finishRun } from './run-report.ts';
import { UsageError } from './usage-error.ts';
import { installStopSignals } from './stop-signals.ts';
import { applyApprovalFlag, consoleOptionsFromFlags } from './serve-command.ts';
import { applyWasmCodePolicy } from '../app/wasm-code-policy.ts';

interface RunFlags {
  stations?: string;
  out: string;
  seed: number;
  db?: string;
  id?: string;
  quiet?: boolean;
  drainTimeout?: number;
  library?: string;
}

/**
 * `labloop run campaign.yaml --stations stations.yaml`: the campaign on the instruments of a stations file (MQTT
 * liquid handlers on the file's broker or LABLOOP_MQTT_URL, OPC UA stations at their endpoints), on the wall clock,
 * stored in PostgreSQL (DATABASE_URL) or PGlite.
 */
export async function runRunCommand(campaignFile: string, raw: Record<string, unknown>): Promise<void> {
  const flags = raw as unknown as RunFlags;
  if (!flags.stations) throw new UsageError('labloop run needs --stations <file> (the station pairs to drive); for a simulated lab use `labloop dry-run`');
  const config = loadConfig(process.env, flags.db ? { pgliteDir: flags.db } : {});
  const logger = createLogger(config.logLevel, logOutputOf(raw, config));
  const controller = new AbortController();
  // Console flags are checked before anything heavy loads, so a refusal (no tokens, bad port) comes at once.
  const consoleOptions = consoleOptionsFromFlags(raw, config, controller.signal);
  // node-opcua prints its own diagnostics on stdout (one when its load-time crypto check ends, seconds after the
  // stations module loads it): from here on they are debug lines of our log.
  (await import('../../drivers/transport/opcua-diagnostics.ts')).routeOpcuaDiagnostics(logger);
  const { loadStationsFile } = await import('../app/external-stations.ts');
  const stations = await loadStationsFile(flags.stations);
  const file = await loadCampaignFile(campaignFile);
  const loaded = flags.library !== undefined ? await (await import('../app/recipe-library-file.ts')).withLibraryFile(file, flags.library) : file;
  const spec = applyApprovalFlag({ ...loaded, stations: { pairs: stations.pairs.length } }, raw);
  // Before PGlite compiles: how V8 compiles the run's WebAssembly (ADR 0120).
  applyWasmCodePolicy(spec);
  const { runCampaign } = await import('../app/campaign-run.ts');
  const bar = flags.quiet ? undefined : createProgressBar(process.stderr, spec.objectives[0]?.unit ?? '');
  const { defaultCampaignId } = await import('../app/campaign-identity.ts');
  const signals = installStopSignals({ campaignId: flags.id ?? defaultCampaignId(spec, 'run', flags.seed), drainTimeout_s: flags.drainTimeout });
  process.stdout.write(
    `labloop run: ${spec.title} — ${spec.budget.trials} trials on ${spec.stations.pairs} station pair(s) from ${flags.stations}, seed ${flags.seed}, ` +
      `${config.databaseUrl ? 'PostgreSQL' : `PGlite ${config.pgliteDir}`}${spec.library ? `, recipe library of ${spec.library.length} rows` : ''}\n`,
  );
  try {
    const summary = await runCampaign({
      spec,
      config,
      logger,
      seed: flags.seed,
      outDir: flags.out,
      clock: 'realtime',
      kind: 'run',
      lab: { kind: 'stations', file: stations, path: path.resolve(flags.stations) },
      ...(flags.id ? { campaignId: flags.id } : {}),
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
