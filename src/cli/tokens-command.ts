import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { UsageError } from './usage-error.ts';

const ROLES = ['viewer', 'operator', 'admin'] as const;

/**
 * `labloop tokens create --role viewer|operator|admin [--actor name]`: a fresh console token (32 random bytes,
 * base64url) printed as the `LABLOOP_CONSOLE_TOKENS` entry that grants it. Nothing is stored: the environment of
 * `labloop serve` / `dry-run --console` is the token list, so the operator decides where the secret lives.
 */
export function registerTokensCommand(program: Command): void {
  const tokens = program.command('tokens').description('Console access tokens.');
  tokens
    .command('create')
    .description('Print a new console token for a role, as a LABLOOP_CONSOLE_TOKENS entry.')
    .requiredOption('--role <role>', 'viewer (watch) | operator (pause, resume, abort, approve, …) | admin')
    .option('--actor <name>', 'who uses the token (shown in the console and recorded with every command)', 'operator')
    .action((opts: { role: string; actor: string }) => {
      process.stdout.write(createTokenEntry(opts.role, opts.actor));
    });
}

/** `actor:role:token` plus usage lines; refuses an unknown role or an actor that would break the list format. */
export function createTokenEntry(role: string, actor: string, token = randomBytes(32).toString('base64url')): string {
  if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be ${ROLES.join(', ')}, not "${role}"`);
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(actor)) throw new UsageError('--actor must be 1-64 characters of letters, digits and . _ @ -');
  const entry = `${actor}:${role}:${token}`;
  return `${entry}\n`;
}
