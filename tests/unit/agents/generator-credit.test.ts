import { describe, expect, it } from 'vitest';
import { betaNotWorse, generatorCredit, generatorPlaces } from '../../../agents/generator-credit.ts';
import type { Observation, Proposer } from '../../../src/domain/index.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';

const spec = defaultSpec();

/** An observation of eta10 (minimised) by `proposer`; undefined value: infeasible. */
function obs(i: number, proposer: Proposer | undefined, eta10: number | undefined): Observation {
  return {
    trialId: `t${i}`,
    recipe: { x: i },
    feasible: eta10 !== undefined,
    objectives: eta10 === undefined ? {} : { eta10 },
    qualityFlags: [],
    ...(proposer ? { proposer } : {}),
  };
}

describe('betaNotWorse', () => {
  it('is 1/2 for equal posteriors and matches closed forms', () => {
    expect(betaNotWorse(1, 1, 1, 1)).toBeCloseTo(0.5, 3);
    expect(betaNotWorse(5, 9, 5, 9)).toBeCloseTo(0.5, 3);
    // X ~ Beta(2, 1) (density 2x) against a uniform Y: P(X ≥ Y) = ∫ 2x · x dx = 2/3.
    expect(betaNotWorse(2, 1, 1, 1)).toBeCloseTo(2 / 3, 3);
    expect(betaNotWorse(1, 1, 2, 1)).toBeCloseTo(1 / 3, 3);
  });

  it('stays finite for large counts', () => {
    expect(betaNotWorse(1, 1001, 501, 501)).toBeLessThan(1e-6);
    expect(betaNotWorse(501, 501, 1, 1001)).toBeGreaterThan(1 - 1e-6);
  });
});

describe('generatorCredit', () => {
  it('counts hits in the top quartile of all feasible results, infeasible results as misses, other proposers only in the ranking', () => {
    // 8 feasible results: the top quartile is the 2 lowest eta10 (0.1 by sobol and 0.2 by bo).
    const o = [obs(0, 'sobol', 0.1), obs(1, 'bo', 0.2), obs(2, 'bo', 0.5), obs(3, 'generative', 0.3), obs(4, 'generative', 0.6), obs(5, 'generative', undefined), obs(6, 'sobol', 0.7), obs(7, undefined, 0.8), obs(8, 'bo', 0.9)];
    const c = generatorCredit(spec, o);
    expect(c.feasible).toBe(8);
    expect(c.bo).toEqual({ results: 3, topQuartile: 1 });
    expect(c.generative).toEqual({ results: 3, topQuartile: 0 });
    expect(c.pNotWorse).toBeLessThan(0.5);
    expect(c.credit).toBeCloseTo(2 * c.pNotWorse, 12);
    // Equal records: exactly the fixed share.
    expect(generatorCredit(spec, [obs(0, 'bo', 0.1), obs(1, 'generative', 0.1)]).credit).toBe(1);
  });

  it('gives full credit without evidence and when the generator does better', () => {
    expect(generatorCredit(spec, []).credit).toBe(1);
    const o = Array.from({ length: 16 }, (_, i) => obs(i, i % 2 === 0 ? 'generative' : 'bo', i % 2 === 0 ? 0.1 + i / 100 : 1 + i / 100));
    const c = generatorCredit(spec, o);
    expect(c.generative.topQuartile).toBe(4);
    expect(c.bo.topQuartile).toBe(0);
    expect(c.credit).toBe(1);
  });

  it('takes a source without results at the average rate (1/4): a generator at that rate holding every place keeps full credit', () => {
    // 12 feasible results, top quartile 3: sobol's 0.1 and the generator's 0.2 and 0.3; BO has no results (batches of one, all the generator's).
    const o = [obs(0, 'sobol', 0.1), obs(1, 'sobol', 0.5), obs(2, 'sobol', 0.6), obs(3, 'sobol', 0.7), ...[0.2, 0.3, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85].map((v, i) => obs(4 + i, 'generative', v))];
    const c = generatorCredit(spec, o);
    expect(c.generative).toEqual({ results: 8, topQuartile: 2 });
    expect(c.bo.results).toBe(0);
    expect(c.credit).toBe(1);
    // No hit in 10 results: the credit falls, and BO gets places to show what it does.
    const none = generatorCredit(spec, [...o.slice(0, 4), ...Array.from({ length: 10 }, (_, i) => obs(20 + i, 'generative', 0.9 + i / 100))]);
    expect(none.credit).toBeLessThan(0.5);
  });
});

describe('generatorPlaces', () => {
  it('gives the fixed ⌈share·n⌉ places at credit 1, carries fractions and keeps the floor', () => {
    expect(generatorPlaces(4, 0.5, 0.1, 1, 0)).toMatchObject({ places: 2, carry: 0 });
    expect(generatorPlaces(1, 0.5, 0.1, 1, 0.7)).toMatchObject({ places: 1 });
    // Credit 0: the floor of 0.1 of a batch of 4 is 0.4 places, one every 2.5 batches.
    let carry = 0;
    const places: number[] = [];
    for (let i = 0; i < 10; i++) {
      const p = generatorPlaces(4, 0.5, 0.1, 0, carry);
      places.push(p.places);
      carry = p.carry;
    }
    expect(places).toEqual([0, 0, 1, 0, 1, 0, 0, 1, 0, 1]);
    // Credit 0.5 of 2 places: one a batch.
    expect(generatorPlaces(4, 0.5, 0.1, 0.5, 0).places).toBe(1);
    // A floor above the share is capped at the share.
    expect(generatorPlaces(4, 0.25, 0.5, 0, 0).places).toBe(1);
  });
});
