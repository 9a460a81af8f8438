import { resolveArm } from './arms.ts';
import { loadPool, type Pool } from './pool.ts';
import { runPoolCampaign, type PoolCampaignTrace } from './pool-campaign.ts';
import type { PoolSpec } from './problem-spec.ts';
import { runAnalyticCampaign, type AnalyticTask, type AnalyticTrace } from './analytic-campaign.ts';

/**
 * Units of benchmark work, plain data so they cross worker-thread boundaries: one campaign each. Pools are loaded
 * once per thread and cached by their spec.
 */
export interface PoolTask {
  kind: 'pool';
  pool: PoolSpec;
  arm: string;
  seed: number;
  q: number;
  init: number;
  budget?: number;
  stopAtTop: number;
  agentSelect?: 'snap' | 'library';
}

export type Task = PoolTask | AnalyticTask;
export type TaskResult = { kind: 'pool'; trace: PoolCampaignTrace } | { kind: 'analytic'; trace: AnalyticTrace };

const poolCache = new Map<string, Pool>();

export function cachedPool(spec: PoolSpec): Pool {
  const key = JSON.stringify(spec);
  let pool = poolCache.get(key);
  if (!pool) {
    pool = loadPool(spec);
    poolCache.set(key, pool);
  }
  return pool;
}

export async function runTask(task: Task): Promise<TaskResult> {
  if (task.kind === 'analytic') return { kind: 'analytic', trace: await runAnalyticCampaign(task) };
  const pool = cachedPool(task.pool);
  const arm = resolveArm(task.arm);
  const opts = { pool, seed: task.seed, q: task.q, init: task.init, budget: task.budget, stopAtTop: task.stopAtTop };
  if (arm.kind === 'agent') {
    // Loaded only for agent arms: the agents' modules (and TensorFlow.js for the generative ones) cost start-up time.
    const { runAgentPoolCampaign } = await import('./pool-agent-campaign.ts');
    return { kind: 'pool', trace: await runAgentPoolCampaign({ ...opts, arm, select: task.agentSelect ?? 'library' }) };
  }
  return { kind: 'pool', trace: runPoolCampaign({ ...opts, arm }) };
}
