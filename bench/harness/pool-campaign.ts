import { Rng } from '../../src/domain/random.ts';
import type { Arm } from './arms.ts';
import { requiredHits } from './metrics.ts';
import type { Pool } from './pool.ts';
import { createPoolProposer } from './pool-proposer.ts';

/**
 * One pool campaign: `init` random rows (a function of the seed and the pool size only, so every arm sees the same
 * initial points for a given seed), then rounds of q proposals until the top set is found to the `stopAtTop` level,
 * the budget is spent, or the pool is exhausted. Records the evaluation order; every metric derives from it.
 */
export interface PoolCampaignOptions {
  pool: Pool;
  arm: Arm;
  seed: number;
  q: number;
  init: number;
  /** Evaluations including the initial points (default: the pool size). */
  budget?: number;
  /** Stop once Top% reaches this (default 1). */
  stopAtTop?: number;
}

export interface PoolCampaignTrace {
  arm: string;
  seed: number;
  q: number;
  /** Pool indices in evaluation order (initial points first). */
  order: number[];
  initial: number;
  /** Milliseconds per round: GP fit and acquisition/pool scoring. */
  fitMs: number[];
  acqMs: number[];
  /** Evaluations made before each round (n of the model that proposed it). */
  roundN: number[];
  stop: 'top' | 'budget' | 'exhausted';
  wallMs: number;
  /** Agent arms (pool-agent-campaign.ts): distance from each proposed recipe to its snapped row, and CPU milliseconds. */
  snapDistance?: number[];
  cpuMs?: number;
  /** Agent arms: the proposer of each pick after the initial rows (`bo`, `generative`, `llm`, `rules`, …). */
  proposers?: string[];
}

/** The seed's initial rows: a seeded partial Fisher–Yates shuffle of 0 … N−1. */
export function initialIndices(N: number, init: number, seed: number): number[] {
  const rng = new Rng(seed).fork('initial-points');
  const idx = Array.from({ length: N }, (_, i) => i);
  const k = Math.min(init, N);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(N - i);
    const t = idx[i] as number;
    idx[i] = idx[j] as number;
    idx[j] = t;
  }
  return idx.slice(0, k);
}

export function runPoolCampaign(opts: PoolCampaignOptions): PoolCampaignTrace {
  const t0 = performance.now();
  const { pool, arm, seed, q } = opts;
  if (arm.kind === 'agent') throw new Error(`arm ${arm.name} is an agent arm: run it with runAgentPoolCampaign (pool-agent-campaign.ts)`);
  const budget = Math.min(opts.budget ?? pool.N, pool.N);
  const need = requiredHits(pool.K, opts.stopAtTop ?? 1);
  const order = initialIndices(pool.N, Math.min(opts.init, budget), seed);
  let hits = order.reduce((s, i) => s + (pool.isTop[i] ?? 0), 0);
  const proposer = createPoolProposer(arm, pool, seed);
  const fitMs: number[] = [];
  const acqMs: number[] = [];
  const roundN: number[] = [];
  let stop: PoolCampaignTrace['stop'] = 'exhausted';
  for (;;) {
    if (hits >= need) {
      stop = 'top';
      break;
    }
    if (order.length >= budget) {
      stop = order.length >= pool.N ? 'exhausted' : 'budget';
      break;
    }
    const want = Math.min(q, budget - order.length);
    roundN.push(order.length);
    const p = proposer.propose(order, want);
    fitMs.push(p.fitMs);
    acqMs.push(p.acqMs);
    if (p.picks.length === 0) break;
    for (const i of p.picks) {
      order.push(i);
      hits += pool.isTop[i] ?? 0;
    }
  }
  return { arm: arm.name, seed, q, order, initial: Math.min(opts.init, budget), fitMs, acqMs, roundN, stop, wallMs: performance.now() - t0 };
}
