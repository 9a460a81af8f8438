import { Command, CommanderError } from 'commander';
import { registerBenchCommand } from './bench-command.ts';
import { registerDesignCommand } from './design-command.ts';
import { registerDevicesCommands } from './devices-command.ts';
import { nonNegativeInt, positiveInt, probability } from './option-parsers.ts';
import { registerSimCommands } from './sim-command.ts';
import { registerTokensCommand } from './tokens-command.ts';

import { CampaignPausedError, EXIT, UsageError } from './usage-error.ts';

export { CampaignPausedError, EXIT, UsageError };

/** Errors that mean "this command cannot do that with this input" (exit 2), not "the run failed" (exit 1). */
const USAGE_ERRORS = new Set(['CampaignExistsError', 'CampaignNotResumableError', 'CampaignNotFoundError', 'PlanRefusedError', 'LibraryFileError']);
/** A broker or station that refuses our credentials or whose certificate we cannot trust: fixed in the configuration. */
const REFUSED_CONFIGURATION = new Set(['ACCESS_DENIED', 'UNTRUSTED_CERTIFICATE']);


export function buildProgram(): Command {
  const program = new Command();
  program
    .name('labloop')
    .description('Autonomous lab agent: Bayesian active learning over MQTT liquid handlers and OPC UA electrochemical stations.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError(false)
    .option('--log-format <format>', 'logs on stderr: pretty | json (default: pretty on a terminal, JSON otherwise)')
    .hook('preAction', (root, action) => {
      // The root's logging option reaches every command's own options (`logFormat`).
      const format = root.opts()['logFormat'] as unknown;
      if (format !== undefined && format !== 'pretty' && format !== 'json') throw new UsageError(`--log-format must be pretty or json, not "${String(format)}"`);
      if (format !== undefined) action.setOptionValue('logFormat', format);
    });

  program
    .command('dry-run')
    .description('Run a campaign on a complete simulated lab in this process (embedded MQTT broker, OPC UA station, PGlite).')
    .argument('[campaign]', 'campaign file (YAML)', 'examples/oer-screen.yaml')
    .option('--out <dir>', 'folder for results.csv, campaign.json and the best-so-far plot', 'out')
    .option('--seed <n>', 'seed of every random source', nonNegativeInt('--seed'), 1)
    .option('--trials <n>', "override the campaign's trial budget", positiveInt('--trials'))
    .option('--stations <n>', "override the number of station pairs", positiveInt('--stations'))
    .option('--clock <mode>', 'instant | realtime | <speed-up factor>', 'instant')
    .option('--db <dir>', 'PGlite folder (ignored when DATABASE_URL is set)')
    .option('--transport <kind>', 'twin: drivers speak MQTT and OPC UA to simulated instruments; sim: in-process backends', 'twin')
    .option('--agent <name>', 'override the campaign strategy: bo | sobol-gp | sobol | random | hybrid | generative')
    .option('--landscape-seed <n>', "seed of the simulated lab's hidden landscape (2026: the canonical one)", nonNegativeInt('--landscape-seed'), 2026)
    .option('--prior <file>', "warm start: a CSV of earlier results (the campaign's parameter and objective columns) that trains the generative agent's generator")
    .option('--library <file>', "a CSV of the only recipes the campaign may run (the campaign's parameter columns; a printed plate, pre-made inks)")
    .option('--fault-rate <p>', 'inject every catalogued device fault with this total probability per operation', probability('--fault-rate'), 0)
    .option('--quiet', 'no progress bar')
    .option('--console [port]', 'serve the monitoring console beside the run (default port 7070)')
    .option('--approval <mode>', "auto | human: operators approve each suggestion in the console (needs --console)")
    .option('--insecure-local', 'console without tokens, on 127.0.0.1 only (loudly logged; for a local dry run)')
    .option('--stations-file <file>', 'connect to the external station pairs listed in this YAML/JSON file instead of simulating a lab')
    .option('--id <campaign-id>', "the campaign's id (default <campaign file id>-seed<seed>); an existing id is refused — resume it instead")
    .option('--drain-timeout <s>', 'after the first SIGINT/SIGTERM, wait this long for trials in flight', positiveInt('--drain-timeout'), 60)
    .option('--no-auto-refill', 'pause when a stock runs short instead of letting a simulated operator refill it to its listed volume')
    .action(async (campaign: string, opts: Record<string, unknown>) => {
      const { runDryRunCommand } = await import('./dry-run-command.ts');
      await runDryRunCommand(campaign, opts);
    });

  program
    .command('run')
    .description('Run a campaign on the instruments of a stations file (MQTT liquid handlers, OPC UA stations), storing it in PostgreSQL (DATABASE_URL) or PGlite.')
    .argument('<campaign>', 'campaign file (YAML)')
    .option('--stations <file>', 'station pairs to drive (YAML/JSON: broker, liquid handlers, OPC UA endpoints)')
    .option('--id <campaign-id>', "the campaign's id (default: the campaign file's id); an existing id is refused — resume it instead")
    .option('--out <dir>', 'folder for results.csv, campaign.json and the best-so-far plot', 'out')
    .option('--seed <n>', 'seed of every random source', nonNegativeInt('--seed'), 1)
    .option('--db <dir>', 'PGlite folder (ignored when DATABASE_URL is set)')
    .option('--library <file>', "a CSV of the only recipes the campaign may run (the campaign's parameter columns; a printed plate, pre-made inks)")
    .option('--quiet', 'no progress bar')
    .option('--console [port]', 'serve the monitoring console beside the run (default port 7070)')
    .option('--approval <mode>', 'auto | human: operators approve each suggestion in the console (needs --console)')
    .option('--insecure-local', 'console without tokens, on 127.0.0.1 only (loudly logged)')
    .option('--drain-timeout <s>', 'after the first SIGINT/SIGTERM, wait this long for trials in flight', positiveInt('--drain-timeout'), 60)
    .action(async (campaign: string, opts: Record<string, unknown>) => {
      const { runRunCommand } = await import('./run-command.ts');
      await runRunCommand(campaign, opts);
    });

  program
    .command('resume')
    .description('Continue a stored campaign where it stopped (crash, signal, lost lease): in-flight steps are reconciled with their devices by commandId.')
    .argument('<campaign-id>', 'campaign id (see `labloop campaigns`)')
    .option('--out <dir>', 'folder for results.csv, campaign.json and the best-so-far plot', 'out')
    .option('--db <dir>', 'PGlite folder (ignored when DATABASE_URL is set)')
    .option('--quiet', 'no progress bar')
    .option('--recover <decision>', 'for trials awaiting recovery (a device step of unknown fate): retry | skip | abandon')
    .option('--drain-timeout <s>', 'after the first SIGINT/SIGTERM, wait this long for trials in flight', positiveInt('--drain-timeout'), 60)
    .action(async (campaignId: string, opts: Record<string, unknown>) => {
      const { runResumeCommand } = await import('./resume-command.ts');
      await runResumeCommand(campaignId, opts);
    });

  program
    .command('refill')
    .description('Record an operator\'s refill of a stock of a campaign no process runs (paused because a stock ran short); then `labloop resume` it.')
    .argument('<campaign-id>', 'campaign id (see `labloop campaigns`)')
    .option('--stock <name>', 'the stock refilled (its name in the campaign file)')
    .option('--volume <uL>', 'volume added, µL (the stock holds at most its listed volume)')
    .option('--full', 'refilled up to its listed volume')
    .option('--reason <text>', 'a note recorded with the refill')
    .option('--db <dir>', 'PGlite folder (ignored when DATABASE_URL is set)')
    .action(async (campaignId: string, opts: Record<string, unknown>) => {
      const { runRefillCommand } = await import('./refill-command.ts');
      await runRefillCommand(campaignId, opts);
    });

  program
    .command('worker')
    .description('On PostgreSQL: take over running campaigns whose lease expired (their runner died) and resume them; several workers share the work.')
    .option('--out <dir>', 'outputs go to <dir>/<campaign id>', 'out')
    .option('--poll <ms>', 'how often to look for a campaign to take over', positiveInt('--poll'), 1000)
    .option('--once', 'stop after the first campaign taken over')
    .action(async (opts: Record<string, unknown>) => {
      const { runWorkerCommand } = await import('./resume-command.ts');
      await runWorkerCommand(opts);
    });

  program
    .command('serve')
    .description('Serve the monitoring console over the database (follows new documents by polling the documents table; on PostgreSQL operators control campaigns whose runner holds a live lease, through a commands table; on PGlite read-only for live runs; interrupted, paused and awaiting-recovery campaigns can be resumed in this process or aborted by operators).')
    .option('--port <n>', 'HTTP port (0 picks a free one)', nonNegativeInt('--port'), 7070)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--db <dir>', 'PGlite folder (ignored when DATABASE_URL is set)')
    .option('--poll <ms>', 'documents-table poll period', positiveInt('--poll'), 250)
    .option('--out <dir>', 'outputs of campaigns resumed from the console (one folder per campaign)', 'out')
    .option('--insecure-local', 'no tokens, on a loopback address only (loudly logged)')
    .action(async (opts: Record<string, unknown>) => {
      const { runServeCommand } = await import('./serve-command.ts');
      await runServeCommand(opts);
    });

  program
    .command('export')
    .description('Write results.csv and campaign.json of a stored campaign.')
    .argument('<campaign>', 'campaign id (see `labloop campaigns`)')
    .option('--out <dir>', 'output folder', 'out')
    .option('--db <dir>', 'PGlite folder (ignored when DATABASE_URL is set)')
    .action(async (campaignId: string, opts: Record<string, unknown>) => {
      const { runExportCommand } = await import('./export-command.ts');
      await runExportCommand(campaignId, opts);
    });

  program
    .command('campaigns')
    .description('List the campaigns in the database: id, status, created, trials done / budget, best (newest first).')
    .option('--db <dir>', 'PGlite folder (ignored when DATABASE_URL is set)')
    .option('--json', 'print an array of campaigns (newest first)')
    .action(async (opts: Record<string, unknown>) => {
      const { runCampaignsCommand } = await import('./export-command.ts');
      await runCampaignsCommand(opts);
    });

  // labloop plan: the planner drafts a campaign file from a goal in words (src/cli/plan-command.ts); never runs it.
  program
    .command('plan')
    .description('Draft a campaign file from a goal in words (LLM planner on LABLOOP_LLM_BASE_URL, else the rule planner). Never starts a run.')
    .argument('<goal>', 'the goal, e.g. "lowest OER overpotential in 96 experiments, keep Ce below 20 %"')
    .option('--campaign <file>', 'base campaign: search space, stocks, safety envelope', 'examples/oer-screen.yaml')
    .option('--stations <file>', 'stations file: the number of station pairs')
    .requiredOption('--out <file>', 'where to write the drafted campaign (YAML)')
    .action(async (goal: string, opts: Record<string, unknown>) => {
      const { runPlanCommand } = await import('./plan-command.ts');
      await runPlanCommand(goal, opts);
    });

  program
    .command('audit')
    .description("Check a campaign's invariants (each commandId executed at most once, every measurement stored, gapless documents, every trial terminal or resumable); exit 1 when one is broken.")
    .argument('<campaign-id>', 'campaign id (see `labloop campaigns`)')
    .option('--db <dir>', 'PGlite folder (ignored when DATABASE_URL is set)')
    .option('--json', 'print the report as JSON')
    .action(async (campaignId: string, opts: Record<string, unknown>) => {
      const { runAuditCommand } = await import('./export-command.ts');
      await runAuditCommand(campaignId, opts);
    });

  // Simulated instruments as processes of their own (issue 5).
  registerSimCommands(program);

  // labloop devices inspect | run-program: the generic LADS client (src/cli/devices-command.ts).
  registerDevicesCommands(program);

  // labloop tokens create --role …: console tokens (src/cli/tokens-command.ts).
  registerTokensCommand(program);

  // labloop bench: optimisation benchmarks (src/cli/bench-command.ts; the harness is loaded lazily).
  registerBenchCommand(program);

  // labloop design: inverse design with a conditional generator (src/cli/design-command.ts).
  registerDesignCommand(program);

  return program;
}

/** Runs the CLI; returns the process exit code. Errors become a one-line reason on stderr. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (e instanceof CampaignPausedError) {
      process.stderr.write(`labloop: ${e.message}\n`);
      return EXIT.interrupted;
    }
    const err = e as Error & { issues?: { path: string; message: string }[]; failure?: { code?: string } };
    const refused = err.name === 'DeviceError' && REFUSED_CONFIGURATION.has(err.failure?.code ?? '');
    const usage = e instanceof UsageError || err.name === 'CampaignFileError' || err.name === 'ConfigError' || err.name === 'StationsFileError' || USAGE_ERRORS.has(err.name) || refused;
    process.stderr.write(`labloop: ${err.message.split('\n')[0]}\n`);
    for (const issue of err.issues ?? []) process.stderr.write(`  - ${issue.path || '(root)'}: ${issue.message}\n`);
    if (!usage && process.env.LABLOOP_DEBUG) process.stderr.write(`${err.stack}\n`);
    return usage ? EXIT.usage : EXIT.failed;
  }
}
