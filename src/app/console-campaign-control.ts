import path from 'node:path';
import type { RecoveryDecision } from '../../agents/trial-ports.ts';
import type { Config } from '../config/index.ts';
import type { CampaignCommands, CommandOutcome, ConsoleCommand, DormantStatus, PendingDecisions } from '../console/index.ts';
import type { Logger } from '../domain/index.ts';
import type { Store } from '../store/store.ts';
import { abortStoredCampaign } from './campaign-abort.ts';
import { refillStoredCampaign } from './stock-refill.ts';
import { listCampaigns } from './campaign-listing.ts';
import { isDeadLocalOwner, resumeCampaign } from './campaign-resume.ts';

export interface ServeCampaignControlOptions {
  store: Store;
  config: Config;
  logger: Logger;
  /** A resumed campaign's outputs go to `<outDir>/<campaign id>`. */
  outDir: string;
  /** Period of the refresh of which campaigns are interrupted, ms. */
  pollMs: number;
  /** Campaigns some other process runs (PostgreSQL: through the commands table, ADR 0032). */
  live?: CampaignCommands | undefined;
  /** How long `resume` waits for the campaign to start before answering, ms (default 8000, under the page's 10 s). */
  startTimeoutMs?: number | undefined;
}

interface Hosted {
  commands: CampaignCommands | undefined;
  /** Pauses the run (the serve process closes): trials in flight finish, the campaign stays resumable. */
  pause: AbortController;
  done: Promise<void>;
}

const DORMANT: readonly string[] = ['interrupted', 'paused', 'awaiting-recovery'];

/**
 * `labloop serve`'s command API (ADR 0091). A campaign no process runs — interrupted (left `running` by a crash),
 * paused (a signal, an operator) or awaiting recovery — can be resumed or aborted by an operator, and a trial awaiting
 * recovery decided (retry, skip, abandon: `labloop resume --recover` per trial). Resume runs the campaign in this
 * process through the same composition root as `labloop resume` (its lease, fencing, device replay by commandId);
 * while it runs, commands go to its engine. Campaigns other processes run go to `live`.
 */
export class ServeCampaignControl implements CampaignCommands {
  private dormantIds = new Map<string, DormantStatus>();
  private readonly hosted = new Map<string, Hosted>();
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: ServeCampaignControlOptions) {
    this.logger = opts.logger.child({ component: 'serve-control' });
  }

  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  /** Stops the refresh and pauses the campaigns this process resumed (they stay resumable), waiting for them. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.refreshing;
    for (const h of this.hosted.values()) h.pause.abort();
    await Promise.allSettled([...this.hosted.values()].map((h) => h.done));
  }

  /** Campaigns this process resumed and runs now. */
  hostedIds(): string[] {
    return [...this.hosted.keys()];
  }

  dormant(campaignId: string): DormantStatus | undefined {
    return this.hosted.has(campaignId) || this.opts.live?.controls(campaignId) ? undefined : this.dormantIds.get(campaignId);
  }

  controls(campaignId: string): boolean {
    return this.hosted.has(campaignId) || (this.opts.live?.controls(campaignId) ?? false) || this.dormantIds.has(campaignId);
  }

  async execute(cmd: ConsoleCommand, actor: string): Promise<CommandOutcome> {
    const id = cmd.campaignId;
    const hosted = this.hosted.get(id);
    if (hosted) return hosted.commands ? hosted.commands.execute(cmd, actor) : { accepted: false, reason: `campaign "${id}" is starting in this process: try again in a moment` };
    if (this.opts.live?.controls(id)) return this.opts.live.execute(cmd, actor);
    await this.refresh();
    const status = this.dormantIds.get(id);
    if (!status) return { accepted: false, reason: `campaign "${id}" is not interrupted, paused or awaiting recovery: nothing to resume or abort` };
    switch (cmd.action) {
      case 'resume':
        return this.resume(id, actor, new Map());
      case 'recover': {
        const waiting = await this.awaitingRecovery(id);
        if (!waiting.includes(cmd.trialId)) return { accepted: false, reason: `trial ${cmd.trialId} is not awaiting recovery` };
        return this.resume(id, actor, new Map([[cmd.trialId, cmd.decision]]));
      }
      case 'abort':
        try {
          const abandoned = await abortStoredCampaign({ store: this.opts.store, campaignId: id, actor, reason: cmd.reason, logger: this.logger });
          await this.refresh();
          return { accepted: true, detail: `campaign aborted; ${abandoned.length} open trial(s) abandoned` };
        } catch (e) {
          return { accepted: false, reason: (e as Error).message };
        }
      case 'refill-stock':
        try {
          const r = await refillStoredCampaign({ store: this.opts.store, campaignId: id, stock: cmd.stock, amount: cmd.toListed ? { toListed: true } : { volume_uL: cmd.volume_uL ?? 0 }, actor, reason: cmd.reason, logger: this.logger });
          return { accepted: true, detail: `stock:${cmd.stock} +${r.added_uL.toFixed(1)} µL recorded; resume the campaign to continue` };
        } catch (e) {
          return { accepted: false, reason: (e as Error).message };
        }
      default:
        return { accepted: false, reason: `campaign "${id}" is ${status} and no process runs it: resume or abort it first` };
    }
  }

  refuse(cmd: ConsoleCommand, actor: string, reason: string): void {
    const hosted = this.hosted.get(cmd.campaignId);
    if (hosted?.commands) hosted.commands.refuse(cmd, actor, reason);
    else if (this.opts.live?.controls(cmd.campaignId)) this.opts.live.refuse(cmd, actor, reason);
    else this.logger.warn({ actor, action: cmd.action, campaignId: cmd.campaignId, reason }, 'command on a campaign no process runs refused');
  }

  async pending(campaignId: string): Promise<PendingDecisions> {
    const hosted = this.hosted.get(campaignId);
    if (hosted?.commands) return hosted.commands.pending(campaignId);
    if (this.opts.live?.controls(campaignId)) return this.opts.live.pending(campaignId);
    if (!this.dormantIds.has(campaignId)) return { approvals: [], recoveries: [] };
    return { approvals: [], recoveries: await this.awaitingRecovery(campaignId) };
  }

  private async awaitingRecovery(campaignId: string): Promise<string[]> {
    return (await this.opts.store.trials.list(campaignId)).filter((t) => t.status === 'awaitingRecovery').map((t) => t.id);
  }

  /** Resumes the campaign in this process; answers once it runs (or could not start). */
  private resume(campaignId: string, actor: string, decisions: ReadonlyMap<string, RecoveryDecision>): Promise<CommandOutcome> {
    const { store, config, logger } = this.opts;
    const hosted: Hosted = { commands: undefined, pause: new AbortController(), done: Promise.resolve() };
    this.hosted.set(campaignId, hosted);
    this.dormantIds.delete(campaignId);
    const what = decisions.size > 0 ? `recovery decided (${[...decisions].map(([t, d]) => `${t}: ${d}`).join(', ')}); campaign resumed` : 'campaign resumed';
    return new Promise<CommandOutcome>((answer) => {
      const timer = setTimeout(() => answer({ accepted: true, detail: `${what}; still starting` }), this.opts.startTimeoutMs ?? 8_000);
      hosted.done = resumeCampaign({
        campaignId,
        config,
        logger,
        store,
        outDir: path.join(this.opts.outDir, campaignId),
        decisions,
        operator: { actor, via: 'console' },
        pause: hosted.pause.signal,
        onCommands: (commands) => {
          hosted.commands = commands;
          if (commands) {
            clearTimeout(timer);
            answer({ accepted: true, detail: `${what} in the console's process` });
          }
        },
      })
        .then((summary) => this.logger.info({ campaignId, state: summary.result.state, reason: summary.result.reason, files: summary.files }, 'campaign resumed from the console ended'))
        .catch((e: unknown) => {
          clearTimeout(timer);
          this.logger.error({ campaignId, err: (e as Error).message }, 'resuming the campaign from the console failed');
          answer({ accepted: false, reason: `could not resume: ${(e as Error).message}` });
        })
        .finally(() => {
          this.hosted.delete(campaignId);
          if (!this.stopped) void this.refresh();
        });
    });
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      try {
        const listing = await listCampaigns(this.opts.store);
        const next = new Map<string, DormantStatus>();
        for (const c of listing) {
          if (this.hosted.has(c.id)) continue;
          if (DORMANT.includes(c.status)) next.set(c.id, c.status as DormantStatus);
          else if (c.status === 'running') {
            // A lease still live but held by a process of this host that was killed: interrupted already.
            const owner = (await this.opts.store.campaigns.get(c.id))?.owner;
            if (owner && isDeadLocalOwner(owner)) next.set(c.id, 'interrupted');
          }
        }
        this.dormantIds = next;
      } catch (e) {
        this.logger.warn({ err: (e as Error).message }, 'reading the interrupted campaigns failed; retrying');
      }
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, Math.max(250, this.opts.pollMs));
    this.timer.unref?.();
  }
}
