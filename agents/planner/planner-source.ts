import type { CampaignSpec, Logger, Observation, PlannerStrategy, Recipe } from '../../src/domain/index.ts';
import type { CandidateRequest, CandidateSource, ExternalCandidate } from '../candidates.ts';
import type { Advice, AdviceRequest, CampaignSummary, Planner, PlannerResult } from './planner.ts';

const RECENT = 5;

/** Four significant digits: enough for a model to read, short enough for a prompt (and stable across platforms). */
function round(recipe: Recipe): Recipe {
  return Object.fromEntries(Object.entries(recipe).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(4)) : v]));
}

/** A recipe's identity: its values by sorted parameter name. */
function recipeKey(recipe: Recipe): string {
  return JSON.stringify(Object.keys(recipe).sort().map((k) => [k, recipe[k]]));
}

export interface PlannerSourceOptions {
  spec: CampaignSpec;
  planner: Planner;
  strategy: PlannerStrategy;
  /** The judging agent's model hyper-parameters (lengthscales), for the summary. */
  model?: () => Record<string, unknown> | undefined;
  logger?: Logger;
  /** How advice is asked (default: the planner's advise job; the composition root passes the checkpointed graph). */
  ask?: (request: AdviceRequest) => Promise<PlannerResult<Advice>>;
  /**
   * A resumed campaign's last advice round (ADR 0074): the cadence goes on from it, and when the campaign had not used
   * it yet (`pending`) the first proposal asks again for that very round, which `ask` answers from its checkpoint.
   */
  resumeAt?: { completed: number; reason: 'cadence' | 'stall'; pending: boolean };
}

/**
 * Candidates from the planner's advise job (ADR 0071): asked at the first proposal, then every `every` completed
 * trials and when the best value has not improved for `stallAfter` of them. Each advice's candidates (≤ k, every one
 * passed the safety gate) are offered once to the judge; a suggest-stop strategy is advisory and only logged.
 */
export class PlannerCandidateSource implements CandidateSource {
  readonly name = 'planner';
  private completed = 0;
  private failed = 0;
  private sinceImprovement = 0;
  private best: { value: number; recipe: Recipe } | undefined;
  private readonly recent: { recipe: Recipe; value: number }[] = [];
  private readonly failures: Record<string, number> = {};
  private askedAt: number | undefined;
  private stallAsked = false;
  private last: Advice | undefined;
  readonly advices: { strategy: Advice['strategy']; source: string; candidates: number; transcriptId?: string }[] = [];

  private pendingRound: 'cadence' | 'stall' | undefined;
  /** Recipes measured or failed so far (exact), so a re-offered round's candidates never repeat one. */
  private readonly seen = new Set<string>();

  constructor(private readonly opts: PlannerSourceOptions) {
    const r = opts.resumeAt;
    if (r) {
      this.askedAt = r.completed;
      this.stallAsked = r.reason === 'stall';
      if (r.pending) this.pendingRound = r.reason;
    }
  }

  async ingest(observations: Observation[]): Promise<void> {
    const objective = this.opts.spec.objectives[0];
    for (const o of observations) {
      this.seen.add(recipeKey(o.recipe));
      if (!o.feasible) {
        this.failed++;
        const code = o.failureCode ?? 'UNKNOWN';
        this.failures[code] = (this.failures[code] ?? 0) + 1;
        continue;
      }
      this.completed++;
      const value = objective ? o.objectives[objective.name] : undefined;
      if (value === undefined || !objective) continue;
      this.recent.push({ recipe: round(o.recipe), value: Number(value.toPrecision(4)) });
      if (this.recent.length > RECENT) this.recent.shift();
      const better = !this.best || (objective.direction === 'minimize' ? value < this.best.value : value > this.best.value);
      if (better) {
        this.best = { value, recipe: o.recipe };
        this.sinceImprovement = 0;
        this.stallAsked = false;
      } else this.sinceImprovement++;
    }
  }

  /** Why advice is due now, if it is. */
  private due(): 'cadence' | 'stall' | undefined {
    if (this.pendingRound) return this.pendingRound;
    const s = this.opts.strategy;
    if (this.askedAt === undefined || this.completed - this.askedAt >= s.every) return 'cadence';
    if (this.sinceImprovement >= s.stallAfter && !this.stallAsked) return 'stall';
    return undefined;
  }

  async propose(request: CandidateRequest): Promise<ExternalCandidate[]> {
    const reason = this.due();
    if (!reason) return [];
    // A restored round keeps the time it was asked at; a new one is asked now.
    if (this.pendingRound) this.pendingRound = undefined;
    else this.askedAt = this.completed;
    if (reason === 'stall') this.stallAsked = true;
    const summary: CampaignSummary = {
      completed: this.completed,
      failed: this.failed,
      budgetLeft: Math.max(0, this.opts.spec.budget.trials - this.completed - this.failed - request.pending.length),
      pending: request.pending.length,
      sinceImprovement: this.sinceImprovement,
      ...(this.best ? { best: { value: Number(this.best.value.toPrecision(4)), recipe: round(this.best.recipe) } } : {}),
      recent: [...this.recent],
      failuresByCode: { ...this.failures },
      ...(this.opts.model?.() ? { model: this.opts.model() } : {}),
    };
    const k = this.opts.strategy.candidates;
    const adviceRequest: AdviceRequest = { spec: this.opts.spec, summary, k, reason };
    const result = await (this.opts.ask ? this.opts.ask(adviceRequest) : this.opts.planner.advise(adviceRequest));
    const advice = result.value;
    this.last = advice;
    this.advices.push({ strategy: advice.strategy, source: result.source, candidates: advice.candidates.length, ...(result.transcriptId ? { transcriptId: result.transcriptId } : {}) });
    if (advice.strategy === 'suggest-stop') this.opts.logger?.info({ rationale: advice.rationale }, 'planner suggests stopping (advisory; the budget decides)');
    const proposer = result.source === 'rules' ? 'rules' : 'llm';
    const pending = new Set(request.pending.map(recipeKey));
    return advice.candidates
      .slice(0, k)
      .filter((c) => !this.seen.has(recipeKey(c.recipe)) && !pending.has(recipeKey(c.recipe)))
      .map((c) => ({
        recipe: c.recipe,
        proposer,
        rationale: `${proposer === 'llm' ? 'LLM planner' : 'Rule planner'} (${advice.strategy}): ${c.rationale || advice.rationale}`.slice(0, 1000),
        ...(result.transcriptId ? { sourceId: result.transcriptId } : {}),
      }));
  }

  lastAdvice(): Advice | undefined {
    return this.last;
  }
}
