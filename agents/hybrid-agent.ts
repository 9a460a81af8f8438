import type { Observation, Recipe, Suggestion } from '../src/domain/index.ts';
import type { Agent, AgentReport } from './agent.ts';
import type { CandidateSource, JudgingAgent } from './candidates.ts';

/**
 * An agent whose batches are chosen by a judging agent (BO) among its own optima and the candidates of other sources
 * (the LLM planner's advice): one surrogate, one acquisition, and at most `share` of each batch from the sources
 * (at least one place when the share is above zero).
 */
export class HybridAgent implements Agent {
  readonly name = 'hybrid';

  constructor(
    private readonly judge: JudgingAgent,
    private readonly sources: readonly CandidateSource[],
    private readonly share: number,
  ) {}

  async ingest(observations: Observation[]): Promise<void> {
    await this.judge.ingest(observations);
    for (const s of this.sources) await s.ingest(observations);
  }

  async suggest(n: number, pending: Recipe[]): Promise<Suggestion[]> {
    const external = [];
    for (const s of this.sources) external.push(...(await s.propose({ n, pending })));
    const maxExternal = this.share <= 0 ? 0 : Math.max(1, Math.floor(this.share * n));
    return this.judge.suggestAmong(n, pending, external, { maxExternal });
  }

  report(): AgentReport {
    return { ...this.judge.report(), name: this.name };
  }
}
