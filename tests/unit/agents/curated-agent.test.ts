import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../agents/agent.ts';
import { CuratedAgent } from '../../../agents/curated-agent.ts';
import type { Observation, Recipe, Suggestion } from '../../../src/domain/index.ts';
import { goodRecipe } from '../../helpers/default-spec.ts';

/** Records what it learnt; suggests one recipe per observation it holds. */
class RecordingAgent implements Agent {
  readonly name = 'recording';
  readonly learnt: Observation[] = [];
  async ingest(obs: Observation[]): Promise<void> {
    this.learnt.push(...obs);
  }
  async suggest(n: number, _pending: Recipe[]): Promise<Suggestion[]> {
    return Array.from({ length: Math.min(n, this.learnt.length) }, (_, k) => ({ id: `s${k}`, recipe: goodRecipe, proposer: 'human' as const, rationale: 'test' }));
  }
  report() {
    return { name: this.name, observations: this.learnt.length };
  }
}

const obs = (trialId: string, eta10: number): Observation => ({ trialId, recipe: goodRecipe, feasible: true, objectives: { eta10 }, qualityFlags: [] });

function curated() {
  const built: RecordingAgent[] = [];
  const agent = new CuratedAgent(() => {
    const a = new RecordingAgent();
    built.push(a);
    return a;
  });
  return { agent, built };
}

describe('CuratedAgent: an agent whose training data can lose observations', () => {
  it('passes observations and suggestions through to the agent it wraps', async () => {
    const { agent, built } = curated();
    await agent.ingest([obs('a', 0.3), obs('b', 0.31)]);
    expect(built).toHaveLength(1);
    expect(built[0]!.learnt.map((o) => o.trialId)).toEqual(['a', 'b']);
    expect(await agent.suggest(5, [])).toHaveLength(2);
    expect(agent.report()).toEqual({ name: 'recording', observations: 2 });
    expect(agent.name).toBe('recording');
  });

  it('exclude rebuilds the agent from the other observations, in the order they came', async () => {
    const { agent, built } = curated();
    await agent.ingest([obs('a', 0.3)]);
    await agent.ingest([obs('b', 0.4), obs('c', 0.31)]);
    await agent.exclude(['b']);
    expect(built).toHaveLength(2);
    expect(built[1]!.learnt.map((o) => o.trialId)).toEqual(['a', 'c']);
    expect(agent.report().observations).toBe(2);
    expect(agent.excludedTrials()).toEqual(['b']);
  });

  it('an excluded trial whose observation arrives later never reaches the agent; nothing is rebuilt for it', async () => {
    const { agent, built } = curated();
    await agent.ingest([obs('a', 0.3)]);
    await agent.exclude(['late']);
    expect(built).toHaveLength(1); // nothing learnt from it yet: no rebuild
    await agent.ingest([obs('late', 0.5), obs('d', 0.32)]);
    expect(built[0]!.learnt.map((o) => o.trialId)).toEqual(['a', 'd']);
  });

  it('runs calls in order: an ingest called right after exclude (without awaiting) lands in the rebuilt agent', async () => {
    const { agent, built } = curated();
    await agent.ingest([obs('a', 0.3), obs('b', 0.4)]);
    const excluded = agent.exclude(['b']);
    const ingested = agent.ingest([obs('c', 0.31)]);
    await Promise.all([excluded, ingested]);
    expect(built.at(-1)!.learnt.map((o) => o.trialId)).toEqual(['a', 'c']);
  });

  it('an ingest the agent refuses is not kept for a rebuild', async () => {
    const built: Agent[] = [];
    const agent = new CuratedAgent(() => {
      const a = new RecordingAgent();
      const ingest = a.ingest.bind(a);
      a.ingest = async (o) => {
        if (o.some((x) => x.trialId === 'bad')) throw new Error('refused');
        await ingest(o);
      };
      built.push(a);
      return a;
    });
    await agent.ingest([obs('a', 0.3)]);
    await expect(agent.ingest([obs('bad', Number.NaN)])).rejects.toThrow('refused');
    await agent.ingest([obs('b', 0.4)]);
    await agent.exclude(['a']);
    expect((built.at(-1) as RecordingAgent).learnt.map((o) => o.trialId)).toEqual(['b']);
  });
});
