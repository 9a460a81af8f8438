import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../agents/agent.ts';
import { restoreLoop, type RestoreHost } from '../../../agents/campaign-loop-restore.ts';
import type { TrialRecord } from '../../../agents/campaign-loop-types.ts';
import type { Observation } from '../../../src/domain/index.ts';

describe('restoreLoop', () => {
  it('gives the restored observations their trials\' proposers again (stored observations do not keep them; ADR 0115)', async () => {
    const ingested: Observation[] = [];
    const agent: Agent = { name: 'a', ingest: async (o) => void ingested.push(...o), suggest: async () => [], report: () => ({ name: 'a', observations: 0 }) };
    const host: RestoreHost = {
      trials: new Map<string, TrialRecord>(),
      progress: { completed: 0, failed: 0, blocked: 0, dispatched: 0, running: 0, budget: 2 },
      reserved: new Set(),
      decisions: new Map(),
      contaminated: new Set(),
      agent,
      gate: { checkRecipe: () => ({ allowed: true, reasons: [], sample: {} }) } as unknown as RestoreHost['gate'],
      executor: { availableStations: () => [] } as unknown as RestoreHost['executor'],
      updateBest: () => undefined,
      setStatus: () => undefined,
      restart: () => undefined,
    };
    const trial = (id: string, index: number, proposer: 'bo' | 'generative') => ({
      id,
      index,
      status: 'completed' as const,
      recipe: { x: index },
      suggestion: { id: `s-${id}`, recipe: { x: index }, proposer, rationale: '' },
      attempt: 0,
      objectives: { y: index },
      approved: true,
    });
    const obs = (trialId: string, y: number): Observation => ({ trialId, recipe: { x: y }, feasible: true, objectives: { y }, qualityFlags: [] });
    await restoreLoop({ trials: [trial('t1', 0, 'bo'), trial('t2', 1, 'generative')], observations: [obs('t1', 0), obs('t2', 1), obs('other', 2)], excluded: [] }, host);
    expect(ingested.map((o) => o.proposer)).toEqual(['bo', 'generative', undefined]);
  });
});
