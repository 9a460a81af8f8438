import { describe, expect, it } from 'vitest';
import { estimateBest, groupReadings, pooledSd, rankRecipes, recipeKey, t975, type Reading } from '../../../agents/best-estimate.ts';
import { confirmationSuggestions } from '../../../agents/confirmation.ts';

const A = { Ni: 0.5, Fe: 0.5, totalMetal: 50 };
const B = { Ni: 0.7, Fe: 0.3, totalMetal: 50 };
const C = { Ni: 0.9, Fe: 0.1, totalMetal: 50 };
const r = (trialId: string, recipe: Record<string, number>, value: number): Reading => ({ trialId, recipe, value });

describe('best estimate (ADR 0060)', () => {
  it('groups readings by recipe, whatever the key order or float noise below 12 digits', () => {
    expect(recipeKey({ b: 1, a: 0.1 + 0.2 })).toBe(recipeKey({ a: 0.3, b: 1 }));
    const g = groupReadings([r('1', A, 0.3), r('2', B, 0.32), r('3', { totalMetal: 50, Fe: 0.5, Ni: 0.5 }, 0.34)]);
    expect(g.map((x) => x.trialIds)).toEqual([['1', '3'], ['2']]);
  });

  it('pools the SD of one reading over replicated recipes and uses Student t for the CI', () => {
    const g = groupReadings([r('1', A, 0.3), r('2', A, 0.32), r('3', B, 0.4), r('4', B, 0.41), r('5', B, 0.42), r('6', C, 0.5)]);
    // A: ss = 2·0.01² = 2e-4 (df 1); B: ss = 2·0.01² = 2e-4 (df 2) → sd = √(4e-4/3).
    const p = pooledSd(g);
    expect(p?.df).toBe(3);
    expect(p?.sd).toBeCloseTo(Math.sqrt(4e-4 / 3), 12);
    expect(pooledSd(groupReadings([r('1', A, 0.3)]))).toBeUndefined();
    expect(t975(1)).toBeCloseTo(12.706, 3);
    expect(t975(30)).toBeCloseTo(2.042, 3);
    expect(t975(200)).toBeCloseTo(1.972, 2);
    const { ranked } = rankRecipes(g, undefined, { objective: 'eta10', direction: 'minimize' });
    const a = ranked.find((e) => e.trialIds.includes('1'));
    const half = (t975(3) * (p?.sd ?? 0)) / Math.sqrt(2);
    expect(a?.ci95?.[0]).toBeCloseTo(0.31 - half, 12);
    expect(a?.ci95?.[1]).toBeCloseTo(0.31 + half, 12);
  });

  it('ranks by the model posterior mean, not by the best single reading', async () => {
    // B's one reading (0.25) is the best single reading, a lucky one; the model puts A lower.
    const readings = [r('1', A, 0.3), r('2', A, 0.29), r('3', B, 0.25), r('4', C, 0.5)];
    const model = new Map([[recipeKey(A), 0.28], [recipeKey(B), 0.31], [recipeKey(C), 0.49]]);
    const e = await estimateBest(readings, { estimate: async (rs) => rs.map((x) => ({ eta10: { mean: model.get(recipeKey(x)) ?? NaN, sd: 0.01 } })) }, { objective: 'eta10', direction: 'minimize', stage: 'final' });
    expect(e.basis).toBe('model');
    expect(e.best).toMatchObject({ trialIds: ['1', '2'], n: 2, model: { mean: 0.28, sd: 0.01 } });
    expect(e.best?.mean).toBeCloseTo(0.295, 12);
    expect(e.observed).toMatchObject({ trialId: '3', value: 0.25 });
    expect(e.ranked.map((x) => x.trialIds[0])).toEqual(['1', '3', '4']);
  });

  it('without a model (or when the model fails) ranks by the readings plus one standard error, so replicates beat one lucky reading', async () => {
    const readings = [r('1', A, 0.3), r('2', A, 0.31), r('3', A, 0.29), r('4', B, 0.295), r('5', C, 0.5)];
    const e = await estimateBest(readings, { estimate: async () => { throw new Error('no fit'); } }, { objective: 'eta10', direction: 'minimize', stage: 'final' });
    expect(e.basis).toBe('replicates');
    // A: 0.30 + 0.01/√3 = 0.3058; B: 0.295 + 0.01 = 0.305 → B by a hair; with one more good replicate A wins.
    expect(e.best?.trialIds).toEqual(['4']);
    const more = await estimateBest([...readings, r('6', A, 0.29)], undefined, { objective: 'eta10', direction: 'minimize', stage: 'final' });
    expect(more.best?.trialIds).toEqual(['1', '2', '3', '6']);
    // Maximising flips the order.
    const max = await estimateBest(readings, undefined, { objective: 'eta10', direction: 'maximize', stage: 'final' });
    expect(max.best?.trialIds).toEqual(['5']);
  });

  it('plans confirmation replicates round-robin over the leading candidates, capped by the trials left', async () => {
    const e = await estimateBest([r('1', A, 0.3), r('2', B, 0.31), r('3', C, 0.5)], undefined, { objective: 'eta10', direction: 'minimize', stage: 'before-confirmation' });
    let n = 0;
    const q = confirmationSuggestions(e, { replicates: 3, candidates: 2, trials: 5 }, () => `c${++n}`);
    expect(q.map((s) => s.recipe)).toEqual([A, B, A, B, A]);
    expect(q.every((s) => s.proposer === 'confirmation')).toBe(true);
    expect(q[0]?.rationale).toMatch(/Confirmation replicate 1\/3 of candidate 1\/2/);
  });
});
