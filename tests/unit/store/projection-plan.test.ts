import { describe, expect, it } from 'vitest';
import { makeFailure } from '../../../src/domain/index.ts';
import { DocumentBus, type LabDocument } from '../../../src/protocol/index.ts';
import { commitRunFlags, newProjectionState, planProjection, runFlagsOf } from '../../../src/store/projection-plan.ts';
import { publishScenario, recipeFor, testSpec } from '../../helpers/db-fixtures.ts';

const collect = (fn: (bus: DocumentBus) => void): Promise<LabDocument[]> => {
  const bus = new DocumentBus(() => new Date('2026-03-01T10:00:00.000Z'));
  const docs: LabDocument[] = [];
  bus.subscribe((d) => void docs.push(d));
  fn(bus);
  return bus.flush().then(() => docs);
};

describe('planProjection', () => {
  it('folds a batch to one change per trial, station and campaign', async () => {
    const docs = await collect((bus) => publishScenario(bus, 'c1'));
    const plan = planProjection(docs, newProjectionState());
    expect(plan.trials.map((t) => [t.id, t.status, t.attempts])).toEqual([
      ['c1-t0', 'completed', 0],
      ['c1-t1', 'completed', 0],
      ['c1-t2', 'failed', 0],
      ['c1-t3', 'completed', 1],
      ['c1-t4', 'blocked', 0],
      ['c1-t5', 'running', 0],
    ]);
    const t3 = plan.trials.find((t) => t.id === 'c1-t3');
    expect(t3).toMatchObject({ station: 'pair-0', failure: null, objectives: { eta10: 0.402, tafel: 60.5 }, suggestionId: 'c1-t3-s' });
    expect(plan.trials.find((t) => t.id === 'c1-t2')?.failure?.code).toBe('PRECIPITATION');
    expect(plan.campaigns).toEqual([expect.objectContaining({ id: 'c1', state: { state: 'paused', reason: 'operator' } })]);
    expect(plan.stations.map((s) => s.id)).toEqual(['pair-1']);
    expect(plan.stations.find((s) => s.id === 'pair-1')?.devices).toHaveProperty('pair-1-pstat');
    expect(plan.suggestions).toHaveLength(6);
    expect(plan.objectivePatches).toEqual([]);
    expect([...plan.observationCandidates.keys()]).toEqual(['c1-t0', 'c1-t1', 'c1-t2', 'c1-t3']);
  });

  it('keeps a failure through failed → abandoned and clears it when the trial is retried', async () => {
    const fail = makeFailure('CLOT', 'tip clogged');
    const docs = await collect((bus) => {
      const base = { trialId: 't', index: 0, recipe: recipeFor(0), proposer: 'bo' };
      bus.publish('c', 'trialState', { ...base, from: 'running', to: 'failed', failure: fail, attempt: 0 });
      bus.publish('c', 'trialState', { ...base, from: 'failed', to: 'abandoned', attempt: 0 });
    });
    expect(planProjection(docs, newProjectionState()).trials[0]).toMatchObject({ status: 'abandoned', failure: fail });
    const retried = await collect((bus) => {
      const base = { trialId: 't', index: 0, recipe: recipeFor(0), proposer: 'bo' };
      bus.publish('c', 'trialState', { ...base, from: 'running', to: 'failed', failure: fail, attempt: 0 });
      bus.publish('c', 'trialState', { ...base, from: 'failed', to: 'queued', attempt: 1 });
    });
    expect(planProjection(retried, newProjectionState()).trials[0]).toMatchObject({ status: 'queued', failure: null, attempts: 1 });
  });

  it('patches objectives of a trial whose state changed in an earlier batch, and carries run flags across batches', async () => {
    const state = newProjectionState();
    const docs = await collect((bus) => {
      bus.publish('c', 'runStart', { trialId: 't', runId: 'r', station: 's', attempt: 0 });
      bus.publish('c', 'event', { runId: 'r', trialId: 't', stream: 'LSV', measurementId: 'm', features: {}, flags: ['drift'] });
      bus.publish('c', 'runStop', { runId: 'r', trialId: 't', status: 'completed', objectives: { eta10: 0.3 }, duration_s: 1 });
    });
    const plan = planProjection(docs, state);
    expect(plan.trials).toEqual([]);
    expect(plan.objectivePatches).toEqual([{ trialId: 't', objectives: { eta10: 0.3 } }]);
    expect(state.runFlags.size).toBe(0); // planning never mutates the committed state
    expect([...(plan.runFlags.get('t') ?? [])]).toEqual(['drift']);
    expect(plan.observationCandidates.get('t')?.seq).toBe(3);
    commitRunFlags(state, plan);
    const next = await collect((bus) => bus.publish('c', 'event', { runId: 'r', trialId: 't', stream: 'EIS', measurementId: 'm2', features: {}, flags: ['noisy'] }));
    const plan2 = planProjection(next, state);
    expect(runFlagsOf(plan2, state, 't')).toEqual(['drift', 'noisy']);
    expect(runFlagsOf(plan2, state, 'other')).toEqual([]);
  });

  it('takes a campaign start with its spec and seed', async () => {
    const docs = await collect((bus) => bus.publish('c9', 'campaignStart', { spec: testSpec('c9'), seed: 42, resumed: false }));
    expect(planProjection(docs, newProjectionState()).campaigns[0]).toMatchObject({ id: 'c9', start: { seed: 42 }, state: { state: 'running' } });
  });
});
