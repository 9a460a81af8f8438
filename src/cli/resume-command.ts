import { loadConfig } from '../config/index.ts';
import { createLogger } from '../app/logger.ts';
import { createProgressBar } from './progress-bar.ts';
import { finishRun } from './run-report.ts';
import { UsageError } from './usage-error.ts';
import { installStopSignals } from './stop-signals.ts';

interface ResumeFlags {
  out: string;
  db?: string;
  quiet?: boolean;
  recover?: string;
  drainTimeout?: number;
}

/**
 * `labloop resume <campaign-id>`: continues a stored campaign where it stopped (a crash, a signal, a lost lease) and
 * writes its outputs as `dry-run` does. Trials whose device step had an unknown fate wait for `--recover`.
 */
export async function runResumeCommand(campaignId: string, raw: Record<string, unknown>): Promise<void> {
  const flags = raw as unknown as ResumeFlags;
  if (flags.recover !== undefined && !['retry', 'skip', 'abandon'].includes(flags.recover)) throw new UsageError(`--recover must be retry, skip or abandon, not "${flags.recover}"`);
  const config = loadConfig(process.env, flags.db ? { pgliteDir: flags.db } : {});
  const logger = createLogger(config.logLevel);
  const { resumeCampaign } = await import('../app/campaign-resume.ts');
  (await import('../../drivers/transport/opcua-diagnostics.ts')).routeOpcuaDiagnostics(logger);
  const signals = installStopSignals({ campaignId, drainTimeout_s: flags.drainTimeout });
  let bar: ReturnType<typeof createProgressBar> | undefined;
  let unit = '';
  let barMade = false;
  try {
    const summary = await resumeCampaign({
      campaignId,
      config,
      logger,
      outDir: flags.out,
      dbDir: flags.db,
      recover: flags.recover as 'retry' | 'skip' | 'abandon' | undefined,
      pause: signals.pause,
      onResume: (info) => {
        unit = info.unit;
        process.stdout.write(
          `labloop resume: ${info.campaignId} (run ${info.run}) — ${info.trials}/${info.budget} trials stored, ${info.inFlight} in flight to reconcile with their devices\n`,
        );
        for (const t of info.awaitingRecovery)
          process.stdout.write(`  awaiting-recovery: trial #${t.index} (${t.trialId}) on ${t.station ?? '?'}: ${t.message}\n`);
      },
      onProgress: (p, t) => {
        if (!barMade) {
          barMade = true;
          bar = flags.quiet ? undefined : createProgressBar(process.stderr, unit);
        }
        bar?.update(p, t);
      },
    });
    bar?.done();
    finishRun(summary, summary.spec, flags.out);
  } finally {
    signals.dispose();
  }
}

/** `labloop worker`: takes over campaigns whose runner died, on PostgreSQL (src/app/campaign-worker.ts). */
export async function runWorkerCommand(raw: Record<string, unknown>): Promise<void> {
  const flags = raw as { out: string; poll: number; once?: boolean };
  const config = loadConfig(process.env);
  if (!config.databaseUrl) throw new UsageError('labloop worker needs PostgreSQL (DATABASE_URL): a PGlite folder is opened by one process only');
  const logger = createLogger(config.logLevel);
  const { runWorker } = await import('../app/campaign-worker.ts');
  (await import('../../drivers/transport/opcua-diagnostics.ts')).routeOpcuaDiagnostics(logger);
  const signals = installStopSignals({ campaignId: '<id>' });
  try {
    await runWorker({
      config,
      logger,
      outDir: flags.out,
      pollMs: flags.poll,
      once: flags.once,
      pause: signals.pause,
      onTakeOver: (id) => process.stdout.write(`labloop worker: took over ${id} (${new Date().toISOString()})\n`),
      onDone: (s) => process.stdout.write(`labloop worker: ${s.campaignId} ${s.result.state}${s.result.reason ? ` (${s.result.reason})` : ''}\n`),
    });
  } finally {
    signals.dispose();
  }
}
