import type { CampaignCommands, CommandOutcome, ConsoleCommand, PendingDecisions } from '../console/index.ts';
import type { Logger } from '../domain/index.ts';
import type { QueuedCommand } from '../store/index.ts';
import type { Store } from '../store/store.ts';
import { withTimeout } from '../store/timeout.ts';
import { createIdFactory } from './ids.ts';

export interface RemoteCampaignCommandsOptions {
  store: Store;
  logger: Logger;
  /** Period of the live-lease refresh (which campaigns `controls`), ms (default 250). */
  leasePollMs?: number | undefined;
  /** Period of the outcome poll while a command waits, ms (default 100). */
  outcomePollMs?: number | undefined;
  /**
   * How long a command waits to be claimed before it expires, ms (default 8000: the outcome must reach the page
   * before its own 10 s acknowledgement timeout).
   */
  answerTimeoutMs?: number | undefined;
  /** Extra wait for the outcome of a command the runner claimed just before the deadline, ms (default 1000). */
  claimedGraceMs?: number | undefined;
  /** Timeout of each statement, ms (default 5000). */
  statementTimeoutMs?: number | undefined;
}

const NO_LEASE = (id: string): string =>
  `campaign "${id}" has no running process (no live lease): only a campaign some process is running can be controlled`;

/**
 * `labloop serve`'s command API for campaigns run by other processes (ADR 0032). A campaign is controllable while
 * some process holds a live lease on it (a cache refreshed every `leasePollMs`, because `controls` is synchronous).
 * `execute` queues the command in the console_commands table — only if the lease is still live at that instant —
 * and waits for the runner's outcome; a command nobody claims within `answerTimeoutMs` is marked expired (so a late
 * runner never executes it) and refused. `refuse` queues a record the runner publishes as a refused operatorAction.
 * `pending` reads the decisions the runner publishes in its lease row and the planner questions it left open in the
 * documents (ADR 0102); an operator answers one with the `answer` command, which travels the same queue.
 */
export class RemoteCampaignCommands implements CampaignCommands {
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly leasePollMs: number;
  private readonly outcomePollMs: number;
  private readonly answerTimeoutMs: number;
  private readonly claimedGraceMs: number;
  private readonly statementMs: number;
  private readonly newId = createIdFactory();
  private live = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private stopped = false;
  private failures = 0;
  private readonly waiting = new Set<Promise<unknown>>();

  constructor(opts: RemoteCampaignCommandsOptions) {
    this.store = opts.store;
    this.logger = opts.logger.child({ component: 'remote-commands' });
    this.leasePollMs = opts.leasePollMs ?? 250;
    this.outcomePollMs = opts.outcomePollMs ?? 100;
    this.answerTimeoutMs = opts.answerTimeoutMs ?? 8_000;
    this.claimedGraceMs = opts.claimedGraceMs ?? 1_000;
    this.statementMs = opts.statementTimeoutMs ?? 5_000;
  }

  /** Loads the live leases once, then refreshes them every `leasePollMs`. */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  /** Stops the refresh and waits for commands in flight (each ends within its timeout). */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.refreshing;
    await Promise.allSettled([...this.waiting]);
  }

  /** Campaigns some process holds a live lease on, as of the last refresh. */
  controlled(): string[] {
    return [...this.live];
  }

  controls(campaignId: string): boolean {
    return this.live.has(campaignId);
  }

  async execute(command: ConsoleCommand, actor: string): Promise<CommandOutcome> {
    const p = this.executeQueued(command, actor);
    this.waiting.add(p);
    try {
      return await p;
    } finally {
      this.waiting.delete(p);
    }
  }

  refuse(command: ConsoleCommand, actor: string, reason: string): void {
    const p = this.timed(
      this.store.consoleCommands.enqueue({ id: this.newId(), campaignId: command.campaignId, command, actor, refusal: reason, ttlMs: this.answerTimeoutMs }),
      'queueing a refused command',
    )
      .then((row) => {
        if (!row) this.logger.warn({ actor, action: command.action, campaignId: command.campaignId }, 'refused command not recorded: the campaign has no live lease');
      })
      .catch((e: unknown) => this.logger.warn({ actor, action: command.action, err: (e as Error).message }, 'queueing a refused command failed'));
    this.waiting.add(p);
    void p.finally(() => this.waiting.delete(p));
  }

  async pending(campaignId: string): Promise<PendingDecisions> {
    try {
      const [pending, questions] = await Promise.all([
        this.timed(this.store.campaigns.pendingDecisions(campaignId), 'reading pending decisions'),
        this.timed(this.openQuestions(campaignId), 'reading open planner questions'),
      ]);
      return { ...(pending ?? { approvals: [], recoveries: [] }), ...(questions.length > 0 ? { questions } : {}) };
    } catch (e) {
      this.logger.warn({ campaignId, err: (e as Error).message }, 'reading pending decisions failed');
      return { approvals: [], recoveries: [] };
    }
  }

  /**
   * The planner's questions still open in the campaign's current run (ADR 0102), from its plannerQuestion documents:
   * each request id in its latest state, counting only documents after the run's campaignStart (a question a killed
   * run left open is asked again by the run that resumes it, or not at all).
   */
  private async openQuestions(campaignId: string): Promise<string[]> {
    const [starts, questions] = await Promise.all([this.store.documents.ofType(campaignId, 'campaignStart'), this.store.documents.ofType(campaignId, 'plannerQuestion')]);
    const since = starts.at(-1)?.seq ?? 0;
    const latest = new Map<string, 'open' | 'answered'>();
    for (const q of questions) if (q.seq > since) latest.set(q.payload.requestId, q.payload.state);
    return [...latest].filter(([, state]) => state === 'open').map(([id]) => id);
  }

  private async executeQueued(command: ConsoleCommand, actor: string): Promise<CommandOutcome> {
    const id = this.newId();
    const log = { commandId: id, campaignId: command.campaignId, action: command.action, actor };
    const row = await this.timed(
      this.store.consoleCommands.enqueue({ id, campaignId: command.campaignId, command, actor, ttlMs: this.answerTimeoutMs }),
      'queueing the command',
    );
    if (!row) {
      this.live.delete(command.campaignId);
      return { accepted: false, reason: NO_LEASE(command.campaignId) };
    }
    this.logger.debug(log, 'command queued for the campaign runner');
    const deadline = Date.now() + this.answerTimeoutMs;
    let current: QueuedCommand = row;
    while (Date.now() < deadline && !this.stopped) {
      const done = this.outcome(current);
      if (done) return done;
      await sleep(Math.min(this.outcomePollMs, Math.max(0, deadline - Date.now())));
      current = (await this.read(id)) ?? current;
    }
    // Nobody answered in time (or this console is closing): expire it unless a runner claimed it meanwhile.
    const why = this.stopped ? 'the console closed before the campaign runner answered' : `no process answered within ${Math.round(this.answerTimeoutMs / 1000)} s: the campaign's runner may be gone`;
    if (await this.timed(this.store.consoleCommands.expire(id, why), 'expiring the command').catch(() => false)) {
      this.logger.warn(log, 'command expired: no process answered');
      return { accepted: false, reason: `${why} (the command was withdrawn and will not run)` };
    }
    const graceEnd = Date.now() + this.claimedGraceMs;
    for (;;) {
      current = (await this.read(id)) ?? current;
      const done = this.outcome(current);
      if (done) return done;
      if (Date.now() >= graceEnd) break;
      await sleep(Math.min(this.outcomePollMs, Math.max(0, graceEnd - Date.now())));
    }
    this.logger.error({ ...log, state: current.state }, 'command claimed by the runner but no outcome recorded');
    return {
      accepted: false,
      reason: 'the campaign runner took the command but reported no outcome in time; it may have stopped mid-command — check the campaign\'s operator actions',
    };
  }

  /** The final outcome of a row, or undefined while it is pending or claimed. */
  private outcome(row: QueuedCommand): CommandOutcome | undefined {
    switch (row.state) {
      case 'accepted':
        return row.detail ? { accepted: true, detail: row.detail } : { accepted: true };
      case 'refused':
      case 'expired':
        return { accepted: false, reason: row.reason ?? row.state };
      default:
        return undefined;
    }
  }

  /** Reads a row; undefined when the read failed (no news: the caller's deadline still holds). */
  private async read(id: string): Promise<QueuedCommand | undefined> {
    try {
      return await this.timed(this.store.consoleCommands.get(id), 'reading the command outcome');
    } catch (e) {
      this.logger.warn({ commandId: id, err: (e as Error).message }, 'reading a command outcome failed');
      return undefined;
    }
  }

  private async refresh(): Promise<void> {
    try {
      const leases = await this.timed(this.store.campaigns.liveLeases(), 'reading live leases');
      this.live = new Set(leases.map((l) => l.campaignId));
      this.failures = 0;
    } catch (e) {
      // Keep the last known set: execute() re-checks the lease in the database anyway.
      if (this.failures++ % 40 === 0) this.logger.warn({ err: (e as Error).message, failures: this.failures }, 'reading live leases failed; retrying');
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.refreshing = this.refresh().finally(() => {
        this.refreshing = undefined;
        this.schedule();
      });
    }, this.leasePollMs);
  }

  private timed<T>(p: Promise<T>, what: string): Promise<T> {
    return withTimeout(p, this.statementMs, what);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
