import { FAILURE_CODES, confirmationReserve, makeFailure, transition, type CampaignSpec, type Clock, type Failure, type Logger, type Observation, type Suggestion, type TrialStatus } from '../src/domain/index.ts';
import type { DocumentBus, TrialOutcome } from '../src/protocol/index.ts';
import type { Agent } from './agent.ts';
import { ELECTROLYTE_CONTAMINATION_FLAG, type BatchShiftAlarm, type BatchWatch, type StationQuarantine, type TrainingData } from './batch-watch.ts';
import type { RecipeEstimator } from './best-estimate.ts';
import { LoopEstimates } from './campaign-loop-estimate.ts';
import { restoreLoop, type Restart } from './campaign-loop-restore.ts';
import { clockPresence, type CampaignProgress, type CampaignResult, type Idle, type LoopRestore, type TrialRecord } from './campaign-loop-types.ts';
import type { RegionQuarantines } from './region-quarantine.ts';
import { DEFAULT_REQUALIFICATION, Requalification, type RequalificationPolicy } from './requalification.ts';
import type { ApprovalDecision, ApprovalPolicy, FlagDecision, FlagPolicy, FlaggedTrial, RecipeGate, RecoveryDecision, RecoveryPolicy, StockSupply, TrialExecutor } from './trial-ports.ts';

export type { CampaignProgress, CampaignResult, LoopRestore, RestoredTrial } from './campaign-loop-types.ts';

export interface CampaignLoopDeps {
  spec: CampaignSpec;
  campaignId: string;
  agent: Agent;
  bus: DocumentBus;
  executor: TrialExecutor;
  gate: RecipeGate;
  approvals: ApprovalPolicy;
  recovery: RecoveryPolicy;
  newId: () => string;
  logger: Logger;
  /** Virtual or wall clock; the loop and every running trial join it as actors (see Clock.join). */
  clock: Clock;
  /** Trials to dispatch (defaults to the spec's budget). */
  budget?: number;
  onProgress?: (p: CampaignProgress) => void;
  /**
   * The electrolyte batch check (ADR 0050): residuals of completed trials per station; an alarm flags the shifted
   * trials with ELECTROLYTE_CONTAMINATION, takes them out of `training` (the agent's data, when it allows it) and
   * quarantines the station until an operator replaces the electrolyte.
   */
  batchCheck?: { watch: BatchWatch; stations: StationQuarantine; training?: TrainingData; requalification?: Partial<RequalificationPolicy> };
  /**
   * The agent's model at measured recipes (ADR 0060): the campaign's best is the measured recipe with the best
   * model-estimated value, and the confirmation replicates (`budget.confirmation`) go to the leading ones. Without it
   * recipes are ranked by their readings alone.
   */
  estimator?: RecipeEstimator;
  /** A resumed campaign: its trials and observations, rebuilt from the stored documents (see LoopRestore). */
  restore?: LoopRestore;
  /**
   * Makes everything published so far durable. Called after a trial is marked running and before its first device
   * step, so a resumed campaign always knows which station a step may have reached.
   */
  durable?: () => Promise<void>;
  /** Triage of flagged trials and batch-shift alarms (ADR 0075); a decided re-measurement is the next suggestion. */
  flags?: FlagPolicy;
  /**
   * Quarantined regions of the search space (ADR 0106): a suggestion inside one is refused like a safety refusal
   * (a blocked trial, REGION_QUARANTINED, observed as infeasible) and never dispatched.
   */
  regions?: Pick<RegionQuarantines, 'refusal'>;
  /** Stock solutions as a supply (ADR 0113): a stock running out holds its trial for a refill, never fails it. */
  supply?: StockSupply;
  /** Told once when the campaign starts pausing (a signal, a stock to refill), before trials in flight finish. */
  onPause?: (reason: string) => void;
}

/**
 * The asynchronous campaign loop: whenever station pairs are free it asks the agent for that many suggestions
 * (passing the recipes still running as pending), passes each through the safety gate and the approval policy,
 * runs it on a station, and feeds the outcome back to the agent as an observation.
 */
export class CampaignLoop {
  private readonly trials = new Map<string, TrialRecord>();
  private readonly reserved = new Set<string>();
  private reservationWaiters: (() => void)[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly progress: CampaignProgress;
  private nextIndex = 0;
  private lastSnapshotId: string | undefined;
  private readonly publishedExtra = new Set<string>();
  private stopReason: string | undefined;
  private pausing: string | undefined;
  private readonly parked = new Set<string>();
  private readonly decisions = new Map<string, RecoveryDecision>();
  private wakePause: (() => void) | undefined;
  private readonly pauseRequested = new Promise<void>((r) => (this.wakePause = r));
  /** Trials at the end of the budget reserved for confirmation replicates. */
  private readonly reserve: number;
  /** Confirmation replicates still to dispatch; `undefined` until the confirmation phase begins. */
  private confirmQueue: Suggestion[] | undefined;
  /** The best reading, the best estimate and the confirmation replicates (ADR 0060). */
  private readonly estimates: LoopEstimates;
  /** Stations the batch check quarantined, on probation until a reference measurement passes (ADR 0061). */
  private readonly requalification: Requalification | undefined;
  /** Re-measurements the flag triage decided, dispatched before the agent is asked again (ADR 0075). */
  private readonly remeasure: Suggestion[] = [];
  private readonly remeasureIds = new Set<string>();
  /** Blocked trials that lay in a quarantined region (the rest of `progress.blocked` the safety gate refused). */
  private regionRefused = 0;

  constructor(private readonly deps: CampaignLoopDeps) {
    this.progress = { dispatched: 0, completed: 0, failed: 0, blocked: 0, running: 0, budget: deps.budget ?? deps.spec.budget.trials };
    this.reserve = confirmationReserve(deps.spec.budget, this.progress.budget);
    this.estimates = new LoopEstimates({ ...deps, trials: () => this.trials.values() });
    this.requalification = deps.batchCheck ? new Requalification({ ...DEFAULT_REQUALIFICATION, ...deps.batchCheck.requalification }) : undefined;
  }

  /**
   * Stops proposing: trials in flight finish, then `run()` resolves with state `paused` (the first SIGINT/SIGTERM).
   * Idempotent.
   */
  pause(reason = 'paused'): void {
    if (this.pausing) return;
    this.pausing = reason;
    this.deps.onPause?.(reason);
    this.wakePause?.();
  }

  /** Trials in flight now (a paused campaign waits for them). */
  get inflightCount(): number {
    return this.inflight.size;
  }

  async run(): Promise<CampaignResult> {
    const { executor, agent } = this.deps;
    const maxBlocked = Math.max(10, 3 * this.progress.budget);
    const { idle, leave } = clockPresence(this.deps.clock);
    if (this.deps.restore) await idle(this.restore(this.deps.restore));
    while (!this.stopReason && !this.pausing) {
      await idle(executor.whileNotPaused());
      if (executor.aborted) break;
      const remaining = this.progress.budget - this.progress.dispatched;
      if (remaining <= 0) break;
      if (executor.usableStations() === 0) {
        this.stopReason = 'every station pair is quarantined';
        break;
      }
      const free = executor.availableStations().filter((s) => !this.reserved.has(s));
      if (free.length === 0) {
        await idle(Promise.race([this.stationsMayBeFree(), this.pauseRequested, ...this.inflight]));
        continue;
      }
      if (this.dispatchReferences(free)) continue;
      if (this.confirmQueue === undefined && this.reserve > 0 && remaining <= this.reserve) {
        // The agent's share of the budget is spent: once its trials have finished, the leading recipes are confirmed.
        await idle(Promise.all(this.inflight));
        this.confirmQueue = await this.estimates.planConfirmation(remaining, () => {
          this.publishSnapshot();
          return this.lastSnapshotId;
        });
        continue;
      }
      const confirming = this.confirmQueue !== undefined && this.confirmQueue.length > 0;
      const n = Math.min(free.length, confirming || this.confirmQueue !== undefined ? remaining : remaining - this.reserve);
      const pending = [...this.trials.values()].filter((t) => t.status === 'queued' || t.status === 'running' || t.status === 'approved' || t.status === 'proposed').map((t) => t.recipe);
      let suggestions: Suggestion[];
      if (confirming) suggestions = (this.confirmQueue as Suggestion[]).splice(0, n);
      else if (this.remeasure.length > 0) suggestions = this.remeasure.splice(0, n);
      else {
        try {
          suggestions = await agent.suggest(n, pending);
        } catch (e) {
          // An agent stopped while the campaign pauses (e.g. an advice question left open) leaves the campaign paused.
          if (this.pausing) break;
          this.stopReason = `agent failed to suggest: ${(e as Error).message}`;
          break;
        }
        this.publishSnapshot();
      }
      if (this.pausing) break;
      if (suggestions.length === 0) {
        if (this.inflight.size === 0) this.stopReason = 'the agent has nothing left to suggest';
        else await idle(Promise.race(this.inflight));
        continue;
      }
      for (const suggestion of suggestions.slice(0, n)) {
        const trial = this.propose(suggestion);
        const verdict = this.deps.gate.checkRecipe(suggestion.recipe);
        trial.recipe = verdict.recipe;
        // The safety gate's refusal, else a quarantined region's (ADR 0106): a blocked trial, no budget spent, observed
        // as infeasible; both count towards one stop, so an agent that keeps proposing where it may not cannot spin.
        const failure = verdict.allowed ? this.deps.regions?.refusal(verdict.recipe) : makeFailure('SAFETY_BLOCKED', verdict.reasons.join('; '));
        if (failure || !verdict.allowed) {
          if (!failure) continue; // (a refused verdict always has its failure; this narrows the types)
          this.progress.blocked++;
          if (failure.code === 'REGION_QUARANTINED') this.regionRefused++;
          this.setStatus(trial, 'blocked', failure);
          await this.observe(trial, { feasible: false, failureCode: failure.code });
          const by = this.regionRefused > 0 ? `safety gate and quarantined regions (${this.regionRefused}) refused` : 'safety gate blocked';
          if (this.progress.blocked >= maxBlocked) this.stopReason = `${by} ${this.progress.blocked} suggestions`;
          continue;
        }
        const station = free.shift();
        if (!station) break;
        this.reserved.add(station);
        this.progress.dispatched++;
        this.track(this.execute(trial, station, verdict.sample));
      }
      this.report();
    }
    await idle(Promise.all(this.inflight));
    const bestEstimate = await this.estimates.publish('final', this.confirmQueue !== undefined);
    // The estimate refits the agent's model on every observation: its snapshot is the campaign's final model.
    this.publishSnapshot();
    leave();
    const aborted = executor.aborted;
    const parked = this.parked.size;
    let state: CampaignResult['state'] = aborted ? 'aborted' : this.stopReason && this.progress.dispatched < this.progress.budget ? 'failed' : 'completed';
    let reason = aborted ? 'aborted' : this.stopReason;
    if (!aborted && this.pausing) {
      state = 'paused';
      reason = this.pausing;
    } else if (state === 'completed' && parked > 0) {
      state = 'paused';
      reason = `${parked} trial(s) await recovery (a device step of unknown fate): decide with \`labloop resume <id> --recover retry|skip|abandon\` or in the console`;
    }
    this.deps.bus.publish(this.deps.campaignId, 'campaignState', { state, ...(reason !== undefined ? { reason } : {}) });
    this.report();
    return { state, ...(reason !== undefined ? { reason } : {}), progress: { ...this.progress }, ...(bestEstimate ? { bestEstimate } : {}) };
  }

  /** Rebuilds the loop's state from a resumed campaign's trials and restarts its in-flight trials (see LoopRestore). */
  private async restore(r: LoopRestore): Promise<void> {
    const next = await restoreLoop(r, {
      trials: this.trials,
      progress: this.progress,
      reserved: this.reserved,
      decisions: this.decisions,
      contaminated: this.estimates.contaminated,
      agent: this.deps.agent,
      training: this.deps.batchCheck?.training,
      gate: this.deps.gate,
      executor: this.deps.executor,
      updateBest: (trial, objectives) => this.estimates.updateBest(this.progress, trial, objectives),
      setStatus: (trial, to, failure) => this.setStatus(trial, to, failure),
      restart: (trial, how) => this.restart(trial, how),
    });
    this.nextIndex = Math.max(this.nextIndex, next);
    // Every re-measurement stays untriaged; one the earlier run stored but never dispatched is due again, once.
    for (const q of r.remeasures ?? []) {
      this.remeasureIds.add(q.suggestion.id);
      if (!q.dispatched) this.remeasure.push(q.suggestion);
    }
    // A triage an earlier run asked for and never decided (killed, or paused while an operator was asked): asked again.
    const policy = this.deps.flags;
    if (policy) for (const event of r.triages ?? []) this.askTriage(policy, event);
    this.report();
  }

  private restart(trial: TrialRecord, how: Restart): void {
    if (how.kind === 'approve') {
      this.track(this.execute(trial, how.station, how.sample));
      return;
    }
    const station = how.kind === 'run' ? how.station : undefined;
    const failure = how.kind === 'recover' ? how.failure : undefined;
    const presence = clockPresence(this.deps.clock);
    this.track(this.runApproved(trial, station, how.sample, presence.idle, failure).finally(() => presence.leave()));
  }

  /**
   * Sends a reference measurement to every free station on probation (ADR 0061), each on that very station; true when
   * any was dispatched (the caller looks at the free stations again).
   */
  private dispatchReferences(free: string[]): boolean {
    const rq = this.requalification;
    const primary = this.deps.spec.objectives[0];
    if (!rq || !primary) return false;
    let sent = false;
    for (const station of rq.due(free)) {
      if (this.progress.dispatched >= this.progress.budget) break;
      const plan = rq.plan(station, this.estimates.readings());
      if (!plan) {
        this.deps.logger.info({ station }, 'no reference recipe measured on another station: station returns to service unchecked');
        continue;
      }
      const trial = this.propose(rq.suggestion(station, plan, this.deps.newId(), primary.name));
      const verdict = this.deps.gate.checkRecipe(trial.recipe);
      trial.recipe = verdict.recipe;
      if (!verdict.allowed) {
        this.progress.blocked++;
        this.setStatus(trial, 'blocked', makeFailure('SAFETY_BLOCKED', verdict.reasons.join('; ')));
        continue;
      }
      rq.started(trial.id, station, plan);
      free.splice(free.indexOf(station), 1);
      this.reserved.add(station);
      this.progress.dispatched++;
      this.track(this.execute(trial, station, verdict.sample));
      sent = true;
    }
    return sent;
  }

  /** A reference trial ended: back in service, or quarantined again with the reason; its reading counts only if it passed. */
  private judgeReference(trial: TrialRecord, reading: number | undefined): string[] {
    const rq = this.requalification;
    const check = this.deps.batchCheck;
    const outcome = rq?.finished(trial.id, reading);
    if (!outcome || !check) return [];
    this.deps.logger.info({ station: outcome.station, verdict: outcome.verdict, detail: outcome.message }, 'station re-qualification');
    if (outcome.verdict !== 'fail') return [];
    this.estimates.contaminated.add(trial.id);
    check.training?.exclude([trial.id]).catch((e: unknown) => this.deps.logger.error({ err: (e as Error).message }, 'could not exclude a failed reference trial'));
    check.stations.quarantine(outcome.station, `REQUALIFICATION_FAILED: ${outcome.message}. Replace the electrolyte (or check the electrode), then release the station.`);
    return [ELECTROLYTE_CONTAMINATION_FLAG];
  }

  /** Frees a station reservation and wakes whoever waits for a station. */
  private release(station: string): void {
    this.reserved.delete(station);
    this.reservationWaiters.splice(0).forEach((w) => w());
  }

  /** Resolves when a station may have become free: the lab changed, or the loop released a reservation. */
  private stationsMayBeFree(): Promise<void> {
    return Promise.race([this.deps.executor.stationsChanged(), new Promise<void>((r) => this.reservationWaiters.push(r))]);
  }

  private track(task: Promise<void>): void {
    const p = task.catch((e: unknown) => this.deps.logger.error({ err: e }, 'trial task crashed')).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private propose(suggestion: Suggestion): TrialRecord {
    const trial: TrialRecord = { id: this.deps.newId(), index: this.nextIndex++, status: 'proposed', recipe: suggestion.recipe, suggestion, attempt: 0 };
    this.trials.set(trial.id, trial);
    this.deps.bus.publish(this.deps.campaignId, 'suggestion', { suggestion, trialId: trial.id });
    this.publishTrial(trial, null);
    return trial;
  }

  private async execute(trial: TrialRecord, station: string, sample: Parameters<TrialExecutor['run']>[1]['sample']): Promise<void> {
    try {
      await this.executeApproved(trial, station, sample);
    } finally {
      // A reference trial that did not complete says nothing: the station stays on probation for its next trial.
      if (this.requalification?.isReference(trial.id)) this.requalification.finished(trial.id, undefined);
    }
  }

  private async executeApproved(trial: TrialRecord, station: string, sample: Parameters<TrialExecutor['run']>[1]['sample']): Promise<void> {
    let decision: ApprovalDecision;
    try {
      decision = await this.deps.approvals.approve(trial.id, trial.suggestion);
    } catch (e) {
      if (!this.pausing) throw e;
      // The campaign pauses while an operator has not decided (ADR 0105): the trial stays proposed, and the resumed
      // run asks for its approval again.
      this.release(station);
      this.deps.logger.info({ trialId: trial.id, err: (e as Error).message }, 'approval left to the resumed run');
      return;
    }
    if (!decision.approved) {
      this.release(station);
      this.progress.dispatched--;
      this.setStatus(trial, 'abandoned', makeFailure('ABORTED', `rejected by ${decision.actor}${decision.reason ? `: ${decision.reason}` : ''}`));
      return;
    }
    this.setStatus(trial, 'approved');
    const presence = clockPresence(this.deps.clock);
    try {
      await this.runApproved(trial, station, sample, presence.idle);
    } finally {
      presence.leave();
    }
  }

  /**
   * Runs an approved trial on `station` until it ends, retrying as the recovery policy says. A resumed trial enters
   * with its stored status: `running` replays its plan without a new state change; `recovering` starts at the
   * recovery decision for that failure.
   */
  private async runApproved(trial: TrialRecord, station: string | undefined, sample: Parameters<TrialExecutor['run']>[1]['sample'], idle: Idle, recovering?: Failure): Promise<void> {
    let stationId: string | undefined = station;
    let failure: Failure | undefined = recovering;
    for (;;) {
      if (!failure) {
        if (!stationId) return;
        trial.station = stationId;
        if (trial.status !== 'running') {
          if (trial.status !== 'queued') this.setStatus(trial, 'queued');
          this.setStatus(trial, 'running');
        }
        this.progress.running++;
        this.report();
        let outcome: TrialOutcome;
        try {
          await this.deps.durable?.();
          outcome = await this.deps.executor.run(stationId, { trialId: trial.id, recipe: trial.recipe, sample, attempt: trial.attempt });
        } finally {
          this.progress.running--;
          this.release(stationId);
        }
        if (outcome.status === 'completed') {
          this.progress.completed++;
          trial.objectives = outcome.objectives;
          this.setStatus(trial, 'completed', undefined, outcome.objectives);
          this.estimates.updateBest(this.progress, trial, outcome.objectives);
          // Checked before any await, so no new trial is dispatched to a station that is about to be quarantined.
          const primary = this.deps.spec.objectives[0];
          const batchFlags = this.requalification?.isReference(trial.id)
            ? this.judgeReference(trial, primary ? outcome.objectives[primary.name] : undefined)
            : this.checkBatch(trial, stationId, outcome.objectives);
          await this.observe(trial, { feasible: true, objectives: outcome.objectives, flags: [...outcome.flags, ...batchFlags] });
          if (outcome.flags.length > 0 && !this.requalification?.isReference(trial.id))
            this.triageFlagged({ kind: 'quality', trialId: trial.id, index: trial.index, recipe: trial.recipe, station: stationId, flags: outcome.flags });
          return;
        }
        if (outcome.status === 'aborted' || this.deps.executor.aborted) {
          this.setStatus(trial, 'abandoned', outcome.failure);
          return;
        }
        if (FAILURE_CODES[outcome.failure.code].kind === 'chemistry' || outcome.failure.code === 'ANALYSIS_FAILED') {
          this.progress.failed++;
          this.setStatus(trial, 'failed', outcome.failure);
          await this.observe(trial, { feasible: false, failureCode: outcome.failure.code });
          return;
        }
        failure = outcome.failure;
        this.setStatus(trial, 'awaitingRecovery', failure);
      }
      let choice: RecoveryDecision;
      if (failure.code === 'COMMAND_FATE_UNKNOWN') {
        // The step may or may not have happened: never repeated without an operator's decision.
        const decided = this.decisions.get(trial.id);
        if (!decided) {
          this.parked.add(trial.id);
          this.progress.awaitingRecovery = this.parked.size;
          this.report();
          return;
        }
        this.decisions.delete(trial.id);
        this.parked.delete(trial.id);
        this.progress.awaitingRecovery = this.parked.size;
        choice = decided;
      } else if (this.deps.supply?.isShortage(failure)) {
        // A stock ran out (ADR 0113): nothing to decide; retried once the stocks can supply it, else the campaign pauses.
        const supplied = await idle(this.deps.supply.resupply(trial.id, sample, failure));
        if (!supplied.ok) return this.pause(supplied.reason);
        choice = 'retry';
      } else {
        try {
          const attempt = trial.attempt - (this.deps.supply?.retries(trial.id) ?? 0);
          choice = (await idle(this.deps.recovery.decide(trial.id, failure, attempt))).decision;
        } catch (e) {
          if (!this.pausing) throw e;
          // The campaign pauses while the decision waits (an operator's answer, ADR 0105): the trial stays awaiting
          // recovery, and the resumed run decides it.
          this.deps.logger.info({ trialId: trial.id, err: (e as Error).message }, 'recovery decision left to the resumed run');
          return;
        }
      }
      if (choice === 'retry') {
        stationId = await this.claimStation(idle);
        if (stationId) {
          trial.attempt++;
          failure = undefined;
          continue;
        }
      }
      if (choice === 'abandon') this.setStatus(trial, 'abandoned', failure);
      else {
        this.progress.failed++;
        this.setStatus(trial, 'failed', failure);
      }
      return;
    }
  }

  /** Waits for a free station to retry on; undefined when none can become free. */
  private async claimStation(idle: Idle): Promise<string | undefined> {
    for (;;) {
      if (this.deps.executor.aborted || this.deps.executor.usableStations() === 0) return undefined;
      const free = this.deps.executor.availableStations().find((s) => !this.reserved.has(s));
      if (free) {
        this.reserved.add(free);
        return free;
      }
      await idle(this.stationsMayBeFree());
    }
  }

  /** Feeds the batch check; on an alarm flags the stretch and quarantines the station. The trial's extra flags. */
  private checkBatch(trial: TrialRecord, station: string, objectives: Record<string, number>): string[] {
    const check = this.deps.batchCheck;
    if (!check) return [];
    const alarm = check.watch.record({ trialId: trial.id, index: trial.index, station, objectives, predicted: trial.suggestion.predicted });
    if (!alarm) return [];
    this.flagContaminated(alarm, check);
    return alarm.trials.some((t) => t.trialId === trial.id) ? [ELECTROLYTE_CONTAMINATION_FLAG] : [];
  }

  /**
   * A batch shift: every trial of the stretch gets a `fault` document with ELECTROLYTE_CONTAMINATION (a flag: the
   * trial stays completed, its measurements stay recorded), leaves the agent's training data, and the station is
   * quarantined until the electrolyte is replaced (an operator's release).
   */
  private flagContaminated(alarm: BatchShiftAlarm, check: NonNullable<CampaignLoopDeps['batchCheck']>): void {
    const { station, objective, shift, sigma, trials } = alarm;
    for (const t of trials) this.estimates.contaminated.add(t.trialId);
    const sign = shift >= 0 ? '+' : '−';
    const summary =
      `${objective} residuals of station ${station} shifted ${sign}${fmt(Math.abs(shift))} (σ ${fmt(sigma)}) over ${trials.length} trial(s) ` +
      `${trials.map((t) => `#${t.index}`).join(', ')}`;
    for (const t of trials) {
      const failure = makeFailure('ELECTROLYTE_CONTAMINATION', `electrolyte batch suspected contaminated: ${summary}; measurement kept, flagged`);
      this.deps.bus.publish(this.deps.campaignId, 'fault', { trialId: t.trialId, station, device: 'electrolyte', failure, attempt: this.trials.get(t.trialId)?.attempt ?? 0 });
    }
    this.deps.logger.warn({ station, objective, shift, sigma, baseline: alarm.baseline, trials: trials.map((t) => t.trialId) }, 'electrolyte batch shift detected; station quarantined');
    check.training?.exclude(trials.map((t) => t.trialId)).catch((e: unknown) => this.deps.logger.error({ err: (e as Error).message, station }, 'could not exclude flagged trials from the agent'));
    const reason = `ELECTROLYTE_CONTAMINATION: ${summary}. Replace the electrolyte batch, then release the station.`;
    check.stations.quarantine(station, reason);
    const last = this.trials.get(trials.at(-1)?.trialId ?? '');
    if (last) this.triageFlagged({ kind: 'batch-shift', trialId: last.id, index: last.index, recipe: last.recipe, station, flags: [ELECTROLYTE_CONTAMINATION_FLAG], detail: summary });
    const rq = this.requalification;
    if (rq) {
      rq.onAlarm(station, reason);
      // Where the lab replaces the electrolyte itself, the station is released at once: its reference decides.
      if (rq.policy.auto && check.stations.release) check.stations.release(station);
    }
  }

  /**
   * Triages a flagged trial: the request is stored as a plannerAction `triage` document first (ADR 0105), so a run
   * killed or paused before the verdict leaves it to the resumed run; then the triage is asked. Re-measurements are not
   * triaged.
   */
  private triageFlagged(event: FlaggedTrial): void {
    const policy = this.deps.flags;
    if (!policy || this.remeasureIds.has(this.trials.get(event.trialId)?.suggestion.id ?? '')) return;
    const { kind: trigger, ...request } = event;
    this.deps.bus.publish(this.deps.campaignId, 'plannerAction', { kind: 'triage', trigger, ...request });
    this.askTriage(policy, event);
  }

  /**
   * Asks the flag triage in the background, once its request is durable, and records the decision: a re-measurement
   * as a plannerAction `remeasure` document, then queued (ADR 0103: one decided while the campaign pauses, or queued
   * but not dispatched when it stopped, is dispatched by the resumed run); any other verdict as `triaged`. A triage
   * that ends without a verdict (the campaign paused while an operator was asked) stays undecided.
   */
  private askTriage(policy: FlagPolicy, event: FlaggedTrial): void {
    const task = async (): Promise<void> => {
      await this.deps.durable?.();
      let d: FlagDecision;
      try {
        d = await policy.triage(event);
      } catch (e) {
        const log = { trialId: event.trialId, trigger: event.kind, err: (e as Error).message };
        if (this.pausing) this.deps.logger.info(log, 'flag triage left undecided: the resumed run asks again');
        else this.deps.logger.warn(log, 'flag triage failed: the trial keeps its measurement');
        return;
      }
      const trigger = event.kind;
      if (!d.remeasure) {
        this.deps.bus.publish(this.deps.campaignId, 'plannerAction', { kind: 'triaged', trialId: event.trialId, trigger, verdict: d.verdict, actor: d.actor, reason: d.reason.slice(0, 1000) });
        return;
      }
      if (this.stopReason || this.deps.executor.aborted) return;
      const id = this.deps.newId();
      this.remeasureIds.add(id);
      const rationale = `Re-measure of flagged trial #${event.index} (${event.flags.join(', ')}), decided by ${d.actor}: ${d.reason}`;
      const suggestion: Suggestion = { id, recipe: event.recipe, proposer: d.proposer, rationale: rationale.slice(0, 1000) };
      this.deps.bus.publish(this.deps.campaignId, 'plannerAction', { kind: 'remeasure', trialId: event.trialId, suggestion, trigger });
      this.remeasure.push(suggestion);
    };
    this.track(task());
  }

  private setStatus(trial: TrialRecord, to: TrialStatus, failure?: Failure, objectives?: Record<string, number>): void {
    const from = trial.status;
    trial.status = transition(from, to);
    this.publishTrial(trial, from, failure, objectives);
  }

  private publishTrial(trial: TrialRecord, from: TrialStatus | null, failure?: Failure, objectives?: Record<string, number>): void {
    this.deps.bus.publish(this.deps.campaignId, 'trialState', {
      trialId: trial.id,
      index: trial.index,
      from,
      to: trial.status,
      recipe: trial.recipe,
      proposer: trial.suggestion.proposer,
      station: trial.station,
      failure,
      attempt: trial.attempt,
      ...(objectives ? { objectives } : {}),
    });
  }

  private async observe(trial: TrialRecord, o: { feasible: boolean; objectives?: Record<string, number>; failureCode?: Observation['failureCode']; flags?: string[] }): Promise<void> {
    const observation: Observation = {
      trialId: trial.id,
      recipe: trial.recipe,
      feasible: o.feasible,
      objectives: o.objectives ?? {},
      failureCode: o.failureCode,
      qualityFlags: o.flags ?? [],
      proposer: trial.suggestion.proposer,
    };
    try {
      await this.deps.agent.ingest([observation]);
    } catch (e) {
      this.deps.logger.warn({ trialId: trial.id, err: (e as Error).message }, 'agent refused an observation');
    }
  }

  private publishSnapshot(): void {
    const report = this.deps.agent.report();
    const snapshot = report.snapshot;
    if (snapshot && snapshot.snapshotId !== this.lastSnapshotId) {
      this.lastSnapshotId = snapshot.snapshotId;
      this.deps.bus.publish(this.deps.campaignId, 'modelSnapshot', snapshot);
    }
    for (const extra of report.snapshots ?? []) {
      if (this.publishedExtra.has(extra.snapshotId)) continue;
      this.publishedExtra.add(extra.snapshotId);
      this.deps.bus.publish(this.deps.campaignId, 'modelSnapshot', extra);
    }
  }

  private report(): void {
    this.deps.onProgress?.({ ...this.progress });
  }
}

/** A residual in the objective's unit, 3 significant digits. */
function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
