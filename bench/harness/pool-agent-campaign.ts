import type { Agent } from '../../agents/agent.ts';
import { loadAgentFactory } from '../../src/app/agent-factory.ts';
import type { AgentServices } from '../../src/app/agents.ts';
import { silentLogger, type Observation, type Recipe, type Suggestion } from '../../src/domain/index.ts';
import type { AgentArm } from './arms.ts';
import { requiredHits } from './metrics.ts';
import type { Pool } from './pool.ts';
import { poolCampaign, type PoolCampaign } from './pool-agent-spec.ts';
import { initialIndices, type PoolCampaignOptions, type PoolCampaignTrace } from './pool-campaign.ts';

/**
 * One pool campaign run by one of the project's agents (an `AgentArm`): the same initial rows as every other arm at
 * this seed (ingested as observations), then rounds of `agent.suggest(q)`; each suggested recipe is snapped to the
 * nearest unevaluated pool row (Euclidean distance in the pool's unit-cube features), whose recorded value the agent
 * then ingests; the snap distance is recorded.
 * - `select: 'snap'` (default here; the benches' default is `library`): the agents propose continuous recipes. Once the region an agent favours is used up,
 *   every proposal lands on an evaluated recipe and the snap walks outward from it (on OER 3860 from ≈ 200 picks on
 *   every snap is ≥ 0.2 away): the picks stop following the acquisition (ADR 0122).
 * - `select: 'library'`: the pool's rows are the agent's recipe library (services.library): it proposes only rows not
 *   yet evaluated, so every snap is exact.
 */
export interface AgentCampaignTrace extends PoolCampaignTrace {
  /** Distance from each proposed recipe to the row it was snapped to (unit-cube features). */
  snapDistance: number[];
  proposers: string[];
  /** CPU milliseconds of the process during the campaign (all its threads: run one campaign at a time to attribute it). */
  cpuMs: number;
}

async function plannerServices(): Promise<AgentServices> {
  if (!process.env.LABLOOP_LLM_BASE_URL) return {};
  const [{ createPlanner }, { loadConfig }] = await Promise.all([import('../../src/app/planner.ts'), import('../../src/config/index.ts')]);
  return { planner: createPlanner({ config: loadConfig(), logger: silentLogger }) };
}

async function createArmAgent(arm: AgentArm, campaign: PoolCampaign, seed: number, priorObservations?: readonly Observation[], library?: readonly Recipe[]): Promise<Agent> {
  const kind = campaign.spec.strategy.agent;
  const factory = await loadAgentFactory(kind);
  let id = 0;
  const services: AgentServices = { logger: silentLogger, ...(kind === 'hybrid' ? await plannerServices() : {}), ...(priorObservations ? { priorObservations } : {}), ...(library ? { library } : {}) };
  return factory({ spec: campaign.spec, seed, newId: () => `${arm.name}-${seed}-${++id}` }, services);
}

/** The unevaluated row nearest to `x` (ties: the lower index). */
function nearestRow(pool: Pool, x: Float64Array, taken: Uint8Array): { index: number; distance: number } {
  const d = pool.X.d;
  let best = -1;
  let bestD = Infinity;
  for (let i = 0; i < pool.N; i++) {
    if (taken[i]) continue;
    let s = 0;
    for (let j = 0; j < d; j++) s += ((pool.X.data[i * d + j] as number) - (x[j] as number)) ** 2;
    if (s < bestD) {
      bestD = s;
      best = i;
    }
  }
  return { index: best, distance: Math.sqrt(bestD) };
}

/**
 * `priorObservations`: earlier results as recipes of this pool's campaign (a warm start), handed to the agent as the
 * services' prior rows — the generative agent trains its generator on them, no agent's GP sees them (ADR 0083).
 */
export async function runAgentPoolCampaign(opts: Omit<PoolCampaignOptions, 'arm'> & { arm: AgentArm; priorObservations?: readonly Observation[]; select?: 'snap' | 'library' }): Promise<AgentCampaignTrace> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { pool, arm, seed, q } = opts;
  const budget = Math.min(opts.budget ?? pool.N, pool.N);
  const need = requiredHits(pool.K, opts.stopAtTop ?? 1);
  const init = Math.min(opts.init, budget);
  const order = initialIndices(pool.N, init, seed);
  const campaign = poolCampaign(pool, { strategy: arm.strategy, trials: budget, initialTrials: init });
  const library = opts.select === 'library' ? Array.from({ length: pool.N }, (_, i) => campaign.observation(i).recipe) : undefined;
  const agent = await createArmAgent(arm, campaign, seed, opts.priorObservations, library);
  const taken = new Uint8Array(pool.N);
  for (const i of order) taken[i] = 1;
  await agent.ingest(order.map((i) => campaign.observation(i)));
  let hits = order.reduce((s, i) => s + (pool.isTop[i] ?? 0), 0);
  const trace: AgentCampaignTrace = { arm: arm.name, seed, q, order, initial: init, fitMs: [], acqMs: [], roundN: [], stop: 'exhausted', wallMs: 0, snapDistance: [], proposers: [], cpuMs: 0 };
  for (;;) {
    if (hits >= need) {
      trace.stop = 'top';
      break;
    }
    if (order.length >= budget) {
      trace.stop = order.length >= pool.N ? 'exhausted' : 'budget';
      break;
    }
    const want = Math.min(q, budget - order.length);
    trace.roundN.push(order.length);
    const r0 = performance.now();
    const suggestions = await agent.suggest(want, []);
    const r1 = performance.now();
    const picks: number[] = [];
    const pickedBy: Suggestion['proposer'][] = [];
    for (const s of suggestions.slice(0, want)) {
      const near = nearestRow(pool, pool.encode(campaign.rawInputs(s.recipe as Recipe)), taken);
      if (near.index < 0) break;
      taken[near.index] = 1;
      picks.push(near.index);
      pickedBy.push(s.proposer);
      trace.snapDistance.push(near.distance);
      trace.proposers.push(s.proposer);
    }
    // The agent's whole proposal (model fit, generator training and sampling, acquisition) is one number here.
    trace.fitMs.push(r1 - r0);
    trace.acqMs.push(performance.now() - r1);
    if (picks.length === 0) break;
    for (const i of picks) {
      order.push(i);
      hits += pool.isTop[i] ?? 0;
    }
    // The row's result is credited to the proposer of the recipe snapped to it (the generative agent weighs its
    // sources by them, ADR 0115), as the campaign loop credits a trial's result to its suggestion's proposer.
    await agent.ingest(picks.map((i, k) => ({ ...campaign.observation(i), proposer: pickedBy[k] as Suggestion['proposer'] })));
  }
  const cpu = process.cpuUsage(cpu0);
  trace.cpuMs = (cpu.user + cpu.system) / 1000;
  trace.wallMs = performance.now() - t0;
  return trace;
}
