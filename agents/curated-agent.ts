import type { Observation, Recipe, Suggestion } from '../src/domain/index.ts';
import type { Agent, AgentReport } from './agent.ts';
import type { TrainingData } from './batch-watch.ts';
import type { RecipeEstimator } from './best-estimate.ts';
import { isJudgingAgent } from './candidates.ts';

/**
 * An agent whose training data can lose observations. The Agent interface only adds (ingest), so this wraps a factory
 * of the real agent, keeps every observation it was told, and on `exclude(trialIds)` rebuilds the agent from the
 * others, as a resumed campaign rebuilds its agents from the stored observations. Observations of excluded trials
 * that arrive later are kept here but never reach the agent. Calls run one at a time, in order, so no observation
 * falls between the old agent and the rebuilt one.
 */
export class CuratedAgent implements Agent, TrainingData, RecipeEstimator {
  readonly name: string;
  private inner: Agent;
  private readonly told: Observation[] = [];
  private readonly excluded = new Set<string>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly create: () => Agent) {
    this.inner = create();
    this.name = this.inner.name;
  }

  ingest(observations: Observation[]): Promise<void> {
    return this.serial(async () => {
      const kept = observations.filter((o) => !this.excluded.has(o.trialId));
      if (kept.length > 0) await this.inner.ingest(kept);
      this.told.push(...observations);
    });
  }

  suggest(n: number, pending: Recipe[]): Promise<Suggestion[]> {
    return this.serial(() => this.inner.suggest(n, pending));
  }

  report(): AgentReport {
    return this.inner.report();
  }

  /**
   * The current agent's latent posterior per objective at `recipes` (its CandidateJudge's score, nothing pending), in
   * turn with ingest and exclude; undefined when the agent has no model (no judge, or no feasible observation yet).
   */
  estimate(recipes: readonly Recipe[]): Promise<Record<string, { mean: number; sd: number }>[] | undefined> {
    return this.serial(async () => {
      const inner = this.inner;
      if (!isJudgingAgent(inner) || recipes.length === 0) return undefined;
      const scored = await inner.score(recipes, []);
      return scored.some((s) => Object.keys(s.predicted).length > 0) ? scored.map((s) => s.predicted) : undefined;
    });
  }

  /** Takes these trials' observations out of the agent's training data (now and when they arrive later). */
  exclude(trialIds: readonly string[]): Promise<void> {
    return this.serial(async () => {
      const fresh = trialIds.filter((id) => !this.excluded.has(id));
      if (fresh.length === 0) return;
      for (const id of fresh) this.excluded.add(id);
      if (!this.told.some((o) => fresh.includes(o.trialId))) return;
      const next = this.create();
      const kept = this.told.filter((o) => !this.excluded.has(o.trialId));
      if (kept.length > 0) await next.ingest(kept);
      this.inner = next;
    });
  }

  /** The agent as it stands now (rebuilt after every exclusion), e.g. to judge its model at the end of a campaign. */
  current(): Agent {
    return this.inner;
  }

  /** Trials excluded so far. */
  excludedTrials(): string[] {
    return [...this.excluded];
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
