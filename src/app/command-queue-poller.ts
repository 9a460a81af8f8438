import { consoleCommandSchema, describeIssues, type CampaignCommands, type CommandOutcome } from '../console/index.ts';
import { z } from 'zod';
import type { Logger } from '../domain/index.ts';
import type { QueuedCommand } from '../store/index.ts';
import type { Store } from '../store/store.ts';
import { withTimeout } from '../store/timeout.ts';

const actorSchema = z.string().min(1).max(200);

export interface CommandQueuePollerOptions {
  store: Store;
  /** The lease owner this process runs the campaign as: only commands of campaigns it holds are claimed. */
  owner: string;
  campaignId: string;
  /** The same command API an in-process console uses (EngineCampaignCommands). */
  commands: CampaignCommands;
  logger: Logger;
  /** Poll period, ms (default 250). */
  intervalMs?: number | undefined;
  /** Commands claimed per poll (default 20). */
  batch?: number | undefined;
  /** Timeout of each statement (default 5000 ms). */
  statementTimeoutMs?: number | undefined;
}

export interface CommandQueuePoller {
  /** Commands executed or refused so far. */
  readonly handled: number;
  /** Stops polling after the command being handled (if any); never throws. */
  stop(): Promise<void>;
}

/**
 * The running process's end of the cross-process command channel (ADR 0032): every `intervalMs` it claims the
 * pending commands queued for its campaign (pending → claimed, one conditional UPDATE … FOR UPDATE SKIP LOCKED, so no
 * other process or poll can get the same row), runs each through `commands` — the same validation and the same
 * operatorAction document with the actor as an in-process console — and writes the outcome. A row recording a
 * refused attempt is published through `commands.refuse` instead. Malformed rows are refused, never executed.
 * Commands are handled one at a time in queue order. PostgreSQL only: a PGlite folder has one process.
 */
export function startCommandQueuePoller(opts: CommandQueuePollerOptions): CommandQueuePoller {
  const { store, owner, campaignId, commands } = opts;
  const intervalMs = opts.intervalMs ?? 250;
  const batch = opts.batch ?? 20;
  const statementMs = opts.statementTimeoutMs ?? 5_000;
  const logger = opts.logger.child({ component: 'command-queue', campaignId });
  const timed = <T>(p: Promise<T>, what: string): Promise<T> => withTimeout(p, statementMs, what);
  let handled = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let failures = 0;
  let polls = 0;

  const outcomeOf = async (row: QueuedCommand): Promise<CommandOutcome> => {
    if (!actorSchema.safeParse(row.actor).success) return { accepted: false, reason: 'malformed command: actor must be 1–200 characters' };
    const parsed = consoleCommandSchema.safeParse(row.command);
    if (!parsed.success) return { accepted: false, reason: `malformed command: ${describeIssues(parsed.error)}` };
    const cmd = parsed.data;
    if (cmd.campaignId !== row.campaignId) return { accepted: false, reason: `malformed command: it names campaign "${cmd.campaignId}", queued for "${row.campaignId}"` };
    if (row.refusal !== undefined) {
      commands.refuse(cmd, row.actor, row.refusal);
      return { accepted: false, reason: row.refusal };
    }
    try {
      return await commands.execute(cmd, row.actor);
    } catch (e) {
      logger.error({ commandId: row.id, err: (e as Error).message }, 'queued command failed');
      return { accepted: false, reason: `command failed: ${(e as Error).message}` };
    }
  };

  const handle = async (row: QueuedCommand): Promise<void> => {
    const outcome = await outcomeOf(row);
    handled++;
    const completion = outcome.accepted ? { accepted: true as const, detail: outcome.detail } : { accepted: false as const, reason: outcome.reason };
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await timed(store.consoleCommands.complete(row.id, owner, completion), 'recording a command outcome')))
          logger.warn({ commandId: row.id }, 'command outcome not recorded: the row is no longer claimed by this process');
        break;
      } catch (e) {
        if (attempt >= 3) {
          // The effect happened once; the waiter will report that the outcome is unknown (ADR 0032: at most once).
          logger.error({ commandId: row.id, err: (e as Error).message }, 'recording a command outcome failed');
          break;
        }
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
    logger.info({ commandId: row.id, actor: row.actor, accepted: outcome.accepted, reason: outcome.accepted ? undefined : outcome.reason }, 'queued command handled');
  };

  const pollOnce = async (): Promise<void> => {
    let rows: QueuedCommand[];
    try {
      rows = await timed(store.consoleCommands.claim(owner, [campaignId], batch), 'claiming queued commands');
      failures = 0;
    } catch (e) {
      // Logged on the first failure and then every 40th (10 s at 250 ms), not on every poll.
      if (failures++ % 40 === 0) logger.warn({ err: (e as Error).message, failures }, 'claiming queued commands failed; retrying');
      return;
    }
    for (const row of rows) await handle(row); // claimed rows are ours: handle them even when stopping
    // Every 20th poll: mark commands nobody claimed before their deadline (their waiter died) expired.
    if (++polls % 20 === 0) {
      const n = await timed(store.consoleCommands.expireOverdue([campaignId]), 'expiring overdue commands').catch(() => 0);
      if (n > 0) logger.info({ expired: n }, 'overdue queued commands expired');
    }
  };

  const tick = (): void => {
    if (stopped) return;
    polling = pollOnce().finally(() => {
      polling = undefined;
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  timer = setTimeout(tick, intervalMs);
  logger.debug({ owner, intervalMs }, 'command queue poller started');

  return {
    get handled() {
      return handled;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await polling;
    },
  };
}
