import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyArm, parseArm } from '../../../bench/lab/arms.ts';
import { labCheckpoints } from '../../../bench/lab/lab-bench.ts';
import { parseLabOptions, parseSeedList, splitArms } from '../../../bench/lab/options.ts';
import { calibrationRecipes, landscapeTruth, truthOf } from '../../../bench/lab/truth.ts';
import { loadCampaignFile } from '../../../src/config/index.ts';
import { validateRecipe } from '../../../src/domain/index.ts';

const spec = await loadCampaignFile(path.resolve(import.meta.dirname, '../../../examples/oer-screen.yaml'));

describe('lab benchmark arms', () => {
  it('turns a bare agent name into an agent arm and default into the campaign as is', () => {
    expect(parseArm('default')).toEqual({ name: 'default', strategy: {} });
    expect(applyArm(spec, parseArm('random')).strategy.agent).toBe('random');
    expect(applyArm(spec, parseArm('sobol')).strategy.agent).toBe('sobol');
    expect(applyArm(spec, parseArm('default'))).toEqual(spec);
  });

  it('applies strategy overrides (JSON values, dotted keys) and JSON arms', () => {
    const a = applyArm(spec, parseArm('ucb16:ucbBeta=16,kernel=rbf,mixturePresence=false'));
    expect(a.strategy).toMatchObject({ ucbBeta: 16, kernel: 'rbf', mixturePresence: false, agent: 'bo' });
    expect(parseArm('x:a.b=3,a.c="y"').strategy).toEqual({ a: { b: 3, c: 'y' } });
    expect(applyArm(spec, parseArm('{"name":"ei","strategy":{"acquisition":"logEI"}}')).strategy.acquisition).toBe('logEI');
  });

  it('sets the budget with budget.* keys (confirmation replicates, ADR 0060), validated by the campaign schema', () => {
    const arm = parseArm('conf:budget.confirmation.replicates=2,budget.confirmation.candidates=4,ucbBeta=9');
    expect(arm).toEqual({ name: 'conf', strategy: { ucbBeta: 9 }, budget: { confirmation: { replicates: 2, candidates: 4 } } });
    const s = applyArm(spec, arm);
    expect(s.budget).toEqual({ trials: spec.budget.trials, confirmation: { replicates: 2, candidates: 4 } });
    expect(s.strategy.ucbBeta).toBe(9);
    expect(() => applyArm(spec, parseArm('big:budget.confirmation.replicates=20,budget.confirmation.candidates=4'))).toThrow(/budget.confirmation/);
    expect(() => applyArm(spec, parseArm('typo:budget.confirmaton.replicates=2'))).toThrow(/budget/);
  });

  it('names a bad override or an unknown option or arm', () => {
    expect(() => applyArm(spec, parseArm('b:ucbBeta=-1'))).toThrow(/arm b: strategy.ucbBeta/);
    expect(() => applyArm(spec, parseArm('t:ucbBetta=16'))).toThrow(/strategy\.ucbBetta: unknown key \(did you mean ucbBeta\?\)/);
    expect(() => applyArm(spec, parseArm('nonsense'))).toThrow(/unknown arm "nonsense"/);
    expect(() => parseArm('x:oops')).toThrow(/use key=value/);
    expect(() => parseArm('{"name":"x","strat":{}}')).toThrow(/bad arm/);
  });
});

describe('lab benchmark options', () => {
  it('parses seed lists and ranges', () => {
    expect(parseSeedList('1-3,7,2', 's')).toEqual([1, 2, 3, 7]);
    expect(() => parseSeedList('3-1', 's')).toThrow(/backwards/);
    expect(() => parseSeedList('a', 's')).toThrow(/not a number/);
  });

  it('keeps an arm and its overrides together in --arms', () => {
    expect(splitArms('default,ucb16:ucbBeta=16,kernel=rbf,random')).toEqual(['default', 'ucb16:ucbBeta=16,kernel=rbf', 'random']);
  });

  it('has the issue’s defaults and rejects bad values with the option named', () => {
    const o = parseLabOptions([]);
    if (o === 'help') throw new Error('help');
    expect(o.arms.map((a) => a.name)).toEqual(['default', 'random', 'sobol']);
    expect(o.seeds).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(o).toMatchObject({ trials: 96, stations: 4, landscapeSeeds: [2026], transport: 'twin', workers: 2, faultRate: 0 });
    expect(o.out).not.toMatch(/^bench/);
    expect(() => parseLabOptions(['--transport', 'x'])).toThrow(/--transport/);
    expect(() => parseLabOptions(['--arms', 'a,a'])).toThrow(/twice/);
    expect(() => parseLabOptions(['--baseline', 'zz'])).toThrow(/--baseline/);
    expect(() => parseLabOptions(['--bogus'])).toThrow();
    expect(labCheckpoints(96)).toEqual([24, 48, 96]);
    expect(labCheckpoints(30)).toEqual([24, 30]);
  });
});

describe('lab benchmark truth', () => {
  it('judges recipes by the landscape of the run and the optimum of that landscape', () => {
    const t = landscapeTruth(2026);
    expect(t.optimum).toBeGreaterThan(0.26);
    expect(t.optimum).toBeLessThan(0.29);
    expect(truthOf(t.optimumRecipe, 2026).eta10).toBeCloseTo(t.optimum, 12);
    expect(truthOf(t.optimumRecipe, 7).eta10).not.toBeCloseTo(t.optimum, 6);
    expect(landscapeTruth(2026)).toBe(t);
  });

  it('draws dispensable calibration recipes, the same for every arm of a landscape, some near the optimum', () => {
    const t = landscapeTruth(2026);
    const a = calibrationRecipes(spec, t, { uniform: 40, near: 20 });
    expect(a).toHaveLength(60);
    for (const r of a) expect(validateRecipe(spec, r.recipe)).toEqual([]);
    expect(calibrationRecipes(spec, t, { uniform: 40, near: 20 })).toEqual(a);
    const near = a.filter((r) => r.kind === 'near').map((r) => truthOf(r.recipe, 2026).eta10);
    const uniform = a.filter((r) => r.kind === 'uniform').map((r) => truthOf(r.recipe, 2026).eta10);
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(near)).toBeLessThan(mean(uniform) - 0.03);
  });
});
