import path from 'node:path';
import { Command } from 'commander';
import { registerBenchCommand } from '../src/cli/bench-command.ts';
import { UsageError } from '../src/cli/usage-error.ts';

/**
 * Entry of the bench/*.ts scripts: runs `labloop bench <suite> …args` in this process. A leading `pool` argument
 * switches to the single-pool mode (`bench/pools.ts pool --pool my.csv …`). Errors print one line and set exit code 1
 * (2 for bad usage).
 */
export async function runBenchScript(suite: string): Promise<void> {
  const args = process.argv.slice(2);
  const explicit = args[0] !== undefined && !args[0].startsWith('-') ? [] : [suite];
  try {
    const program = new Command('labloop').exitOverride();
    registerBenchCommand(program);
    // The repository's scripts keep their reports in bench/results (the installed CLI writes to ./bench-results).
    const out = args.includes('--out') || args.includes('--json') ? [] : ['--out', path.join(import.meta.dirname, 'results')];
    await program.parseAsync(['bench', ...explicit, ...args, ...out], { from: 'user' });
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') return;
    process.stderr.write(`bench: ${err.message}\n`);
    if (process.env.LABLOOP_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = e instanceof UsageError || err.code?.startsWith('commander.') ? 2 : 1;
  }
}
