import type { CampaignCommands, CommandOutcome, ConsoleCommand, PendingDecisions } from '../console/index.ts';
import { commandTarget } from '../console/index.ts';
import type { RegionQuarantines } from '../../agents/region-quarantine.ts';
import type { Logger } from '../domain/index.ts';
import type { Engine } from '../engine/engine.ts';
import type { DocumentBus } from '../protocol/index.ts';
import type { OperatorDecisions } from './console-decisions.ts';
import type { PlannerQuestions } from './planner-questions.ts';
import type { LabExecutor } from './lab-executor.ts';
import type { StockKeeper } from './stock-keeper.ts';

export interface EngineCommandsDeps {
  campaignId: string;
  bus: DocumentBus;
  engine: Engine;
  executor: LabExecutor;
  /** Present when approvals and recoveries are decided by operators (human-approval mode). */
  decisions?: OperatorDecisions | undefined;
  /** The planner's open questions to operators (ADR 0076), when the campaign has a planner. */
  questions?: PlannerQuestions | undefined;
  /** The campaign's quarantined regions of the search space (ADR 0106), which `lift-region` lifts. */
  regions?: Pick<RegionQuarantines, 'has' | 'lift'> | undefined;
  /** The campaign's stock solutions, which `refill-stock` refills (ADR 0113). */
  stocks?: Pick<StockKeeper, 'hasStock' | 'refill'> | undefined;
  logger: Logger;
}

/**
 * The engine's command API for one campaign run by this process. Each command is checked against the current
 * state; every attempt becomes an operatorAction document (actor, action, target, accepted, reason) published
 * before its effects, so the event log reads "who did what" and then what followed.
 */
export class EngineCampaignCommands implements CampaignCommands {
  constructor(private readonly deps: EngineCommandsDeps) {}

  controls(campaignId: string): boolean {
    return campaignId === this.deps.campaignId;
  }

  async pending(campaignId: string): Promise<PendingDecisions> {
    if (!this.controls(campaignId)) return { approvals: [], recoveries: [] };
    const questions = this.deps.questions ? { questions: this.deps.questions.pending() } : {};
    return { ...(this.deps.decisions?.pending() ?? { approvals: [], recoveries: [] }), ...questions };
  }

  refuse(command: ConsoleCommand, actor: string, reason: string): void {
    if (this.controls(command.campaignId)) this.record(command, actor, false, reason);
  }

  async execute(command: ConsoleCommand, actor: string): Promise<CommandOutcome> {
    if (!this.controls(command.campaignId)) return { accepted: false, reason: `campaign "${command.campaignId}" is not run by this process` };
    const problem = this.check(command);
    if (problem) {
      this.record(command, actor, false, problem);
      return { accepted: false, reason: problem };
    }
    this.record(command, actor, true, 'reason' in command ? command.reason : 'message' in command ? command.message : undefined);
    this.apply(command, actor);
    return { accepted: true };
  }

  /** Why the command cannot be applied now; undefined when it can. */
  private check(cmd: ConsoleCommand): string | undefined {
    const { engine, executor, decisions } = this.deps;
    switch (cmd.action) {
      case 'pause':
        return engine.state === 'running' ? undefined : `campaign is ${engine.state}, not running: nothing to pause`;
      case 'resume':
        return engine.state === 'paused' ? undefined : `campaign is ${engine.state}, not paused: nothing to resume`;
      case 'abort':
        return engine.state === 'running' || engine.state === 'paused' ? undefined : `campaign is ${engine.state}: nothing to abort`;
      case 'approve':
      case 'reject':
        if (!decisions) return 'this campaign runs with automatic approval';
        return decisions.hasApproval(cmd.trialId) ? undefined : `trial ${cmd.trialId} is not awaiting approval`;
      case 'recover':
        if (!decisions) return 'recoveries in this campaign are decided by the automatic policy';
        return decisions.hasRecovery(cmd.trialId) ? undefined : `trial ${cmd.trialId} is not awaiting recovery`;
      case 'answer':
        return this.deps.questions?.has(cmd.requestId) ? undefined : `no open planner question "${cmd.requestId}"`;
      case 'quarantine': {
        const s = executor.station(cmd.station);
        if (!s) return `no station "${cmd.station}"`;
        return s.quarantined ? `station ${cmd.station} is already quarantined` : undefined;
      }
      case 'release': {
        const s = executor.station(cmd.station);
        if (!s) return `no station "${cmd.station}"`;
        return s.quarantined ? undefined : `station ${cmd.station} is not quarantined`;
      }
      case 'lift-region':
        return this.deps.regions?.has(cmd.regionId) ? undefined : `no quarantined region "${cmd.regionId}"`;
      case 'refill-stock':
        if (!this.deps.stocks) return 'this run does not track its stocks';
        return this.deps.stocks.hasStock(cmd.stock) ? undefined : `no stock "${cmd.stock}" in this campaign`;
    }
  }

  private apply(cmd: ConsoleCommand, actor: string): void {
    const { engine, executor, decisions, bus, campaignId } = this.deps;
    switch (cmd.action) {
      case 'pause':
        engine.pause();
        bus.publish(campaignId, 'campaignState', { state: 'paused', reason: `paused by ${actor}` });
        return;
      case 'resume':
        engine.resume();
        bus.publish(campaignId, 'campaignState', { state: 'running', reason: `resumed by ${actor}` });
        executor.notify();
        return;
      case 'abort':
        decisions?.cancelAll(actor, 'campaign aborted');
        this.deps.questions?.cancelAll(actor, 'campaign aborted');
        engine.abort(`aborted by ${actor}${cmd.reason ? `: ${cmd.reason}` : ''}`);
        executor.notify();
        return;
      case 'approve':
        decisions?.resolveApproval(cmd.trialId, { approved: true, actor });
        return;
      case 'reject':
        decisions?.resolveApproval(cmd.trialId, { approved: false, actor, ...(cmd.reason ? { reason: cmd.reason } : {}) });
        return;
      case 'recover':
        decisions?.resolveRecovery(cmd.trialId, cmd.decision, actor);
        return;
      case 'answer':
        this.deps.questions?.answer(cmd.requestId, { approved: cmd.approved, actor, ...(cmd.reason ? { reason: cmd.reason } : {}) });
        return;
      case 'quarantine': {
        const s = executor.station(cmd.station);
        if (s) engine.quarantineStation(s, `quarantined by ${actor}${cmd.message ? `: ${cmd.message}` : ''}`);
        executor.notify();
        return;
      }
      case 'release': {
        // Releasing a station is the operator's "maintenance done" (for a batch alarm: the electrolyte was replaced).
        if (executor.station(cmd.station)) executor.release(cmd.station);
        else executor.notify();
        return;
      }
      case 'lift-region':
        this.deps.regions?.lift(cmd.regionId, actor, cmd.reason);
        return;
      case 'refill-stock':
        this.deps.stocks?.refill(cmd.stock, cmd.toListed ? { toListed: true } : { volume_uL: cmd.volume_uL ?? 0 }, actor, cmd.reason);
        executor.notify();
        return;
    }
  }

  private record(cmd: ConsoleCommand, actor: string, accepted: boolean, reason: string | undefined): void {
    const target = commandTarget(cmd);
    // A recovery is recorded by its decision (retry, skip, abandon) on the trial.
    const action = cmd.action === 'recover' ? cmd.decision : cmd.action === 'answer' ? (cmd.approved ? 'approve-question' : 'reject-question') : cmd.action;
    this.deps.bus.publish(this.deps.campaignId, 'operatorAction', {
      actor,
      action,
      ...(target ? { target } : {}),
      accepted,
      ...(reason ? { reason } : {}),
    });
    this.deps.logger.info({ actor, action, target, accepted, reason }, 'operator action recorded');
  }
}
