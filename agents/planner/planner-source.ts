import type { CampaignSpec, Logger, Observation, PlannerStrategy, Recipe } from '../../src/domain/index.ts';
import type { CandidateRequest, CandidateSource, ExternalCandidate } from '../candidates.ts';
import type { Advice, AdviceRequest, CampaignSummary, Planner, PlannerResult } from './planner.ts';

const RECENT = 5;

/** Four significant digits: enough for a model to read, short enough for a prompt (and stable across platforms). */
function round(recipe: Recipe): Recipe {
  return Object.fromEntries(Object.entries(recipe).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(4)) : v]));
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

  constructor(private readonly opts: PlannerSourceOptions) {}

  async ingest(observations: Observation[]): Promise<void> {
    const objective = this.opts.spec.objectives[0];
    for (const o of observations) {
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
    const s = this.opts.strategy;
    if (this.askedAt === undefined || this.completed - this.askedAt >= s.every) return 'cadence';
    if (this.sinceImprovement >= s.stallAfter && !this.stallAsked) return 'stall';
    return undefined;
  }

  async propose(request: CandidateRequest): Promise<ExternalCandidate[]> {
    const reason = this.due();
    if (!reason) return [];
    this.askedAt = this.completed;
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
    return advice.candidates.slice(0, k).map((c) => ({
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
