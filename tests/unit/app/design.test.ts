import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { designCsv, designSvg } from '../../../src/app/design/design-output.ts';
import { observationsFromCsv } from '../../../src/app/design/observations-source.ts';
import { runDesign } from '../../../src/app/design/run-design.ts';
import { parseTargets } from '../../../src/app/design/targets.ts';
import { campaignSpecSchema, recipeKeys } from '../../../src/domain/index.ts';
import { validateRecipe } from '../../../src/domain/recipe.ts';
import { toCsv } from '../../../src/store/csv.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';
import { syntheticLandscape, uniformObservations } from '../../helpers/generative-fixtures.ts';

const spec = defaultSpec();
const f = syntheticLandscape(spec, { Ni: 0.5, Fe: 0.3, Co: 0.2, Ce: 0, Mn: 0, totalMetal: 60, complexant: 10, depositionCharge_mC_cm2: 50, annealTemperature: 300 });

describe('design targets', () => {
  it('reads upper and lower bounds, windows and several objectives', () => {
    const two = campaignSpecSchema.parse({ ...spec, objectives: [...spec.objectives, { name: 'stability', direction: 'maximize', unit: 'h', feature: 'stability_h' }] });
    expect(parseTargets(spec, ['eta10 < 0.30'])).toEqual([{ objective: 'eta10', high: 0.3 }]);
    expect(parseTargets(spec, ['0.28 < eta10 < 0.30'])).toEqual([{ objective: 'eta10', low: 0.28, high: 0.3 }]);
    expect(parseTargets(two, ['eta10 <= 0.3, stability > 10'])).toEqual([{ objective: 'eta10', high: 0.3 }, { objective: 'stability', low: 10 }]);
    expect(parseTargets(spec, ['eta10 < 0.3', 'eta10 > 0.25'])).toEqual([{ objective: 'eta10', low: 0.25, high: 0.3 }]);
  });

  it('refuses unknown objectives, empty windows and garbage', () => {
    expect(() => parseTargets(spec, ['tafel < 40'])).toThrow(/unknown objective/);
    expect(() => parseTargets(spec, ['0.3 < eta10 < 0.2'])).toThrow(/lower bound/);
    expect(() => parseTargets(spec, ['eta10 < 0.2', 'eta10 > 0.3'])).toThrow(/empty window/);
    expect(() => parseTargets(spec, ['eta10 ~ 0.3'])).toThrow(/cannot read/);
    expect(() => parseTargets(spec, [])).toThrow(/at least one/);
  });
});

describe('inverse design', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'labloop-design-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads observations from a results-style CSV, skipping unfinished and invalid rows', async () => {
    const obs = uniformObservations(spec, f, 6, 2);
    const rows = obs.map((o, i) => ({ id: o.trialId, status: i === 5 ? 'queued' : i === 4 ? 'failed' : 'completed', ...o.recipe, eta10: i === 4 ? '' : o.objectives['eta10'] }));
    rows.push({ ...rows[0]!, id: 'bad', Ni: 7 } as (typeof rows)[number]);
    const file = path.join(dir, 'obs.csv');
    await writeFile(file, toCsv(rows, ['id', 'status', ...recipeKeys(spec), 'eta10']));
    const { observations, skipped } = await observationsFromCsv(spec, file);
    expect(observations).toHaveLength(5);
    expect(observations.filter((o) => !o.feasible).map((o) => o.trialId)).toEqual([obs[4]?.trialId]);
    expect(skipped).toBe(2);
  });

  it('with a recipe library, chooses the candidates among its rows not yet observed (ADR 0122)', async () => {
    const obs = uniformObservations(spec, f, 30, 4);
    const fresh = uniformObservations(spec, f, 40, 5).map((o) => o.recipe);
    const library = [...obs.slice(0, 10).map((o) => o.recipe), ...fresh];
    const withLibrary = campaignSpecSchema.parse({ ...spec, library });
    const values = obs.map((o) => o.objectives['eta10'] as number).sort((a, b) => a - b);
    const result = await runDesign({ spec: withLibrary, observations: obs, windows: [{ objective: 'eta10', high: values[6] as number }], n: 6, model: 'prior', seed: 1, backend: 'wasm', samples: 200 });
    expect(result.candidates).toHaveLength(6);
    const same = (a: Record<string, unknown>, b: Record<string, unknown>): boolean => recipeKeys(spec).every((k) => Math.abs((a[k] as number) - (b[k] as number)) < 1e-9);
    for (const c of result.candidates) {
      expect(fresh.some((r) => same(r, c.recipe))).toBe(true);
      expect(obs.some((o) => same(o.recipe, c.recipe))).toBe(false);
    }
    const p = result.candidates.map((c) => c.pTarget);
    expect([...p].sort((a, b) => b - a)).toEqual(p);
  });

  it('returns n diverse, valid, gate-allowed candidates ranked by P(target), with metrics', async () => {
    const obs = uniformObservations(spec, f, 40, 3);
    const values = obs.map((o) => o.objectives['eta10'] as number).sort((a, b) => a - b);
    const target = values[4] as number;
    const result = await runDesign({ spec, observations: obs, windows: [{ objective: 'eta10', high: target }], n: 8, model: 'prior', seed: 1, backend: 'wasm', samples: 400 });
    expect(result.candidates).toHaveLength(8);
    for (const c of result.candidates) {
      expect(validateRecipe(spec, c.recipe)).toEqual([]);
      expect(c.safety.allowed).toBe(true);
      expect(c.predicted['eta10']?.sd).toBeGreaterThan(0);
    }
    const p = result.candidates.map((c) => c.pTarget);
    expect([...p].sort((a, b) => b - a)).toEqual(p);
    expect(result.metrics.validity).toBe(1);
    expect(result.metrics.uniqueness).toBeGreaterThan(0.9);
    for (const k of ['novelty', 'covR', 'covP', 'hitRate'] as const) {
      expect(result.metrics[k]).toBeGreaterThanOrEqual(0);
      expect(result.metrics[k]).toBeLessThanOrEqual(1);
    }
    expect(Number.isFinite(result.metrics.wasserstein)).toBe(true);
    const csv = designCsv(spec, result);
    expect(csv.split('\r\n')[0]).toBe(['rank', ...recipeKeys(spec), 'eta10_mean', 'eta10_sd', 'p_target', 'novelty', 'safety'].join(','));
    expect(csv.trim().split('\r\n')).toHaveLength(9);
    const svg = designSvg(spec, result, obs);
    expect(svg).toContain('<svg');
    await writeFile(path.join(dir, 'c.svg'), svg);
    expect((await readFile(path.join(dir, 'c.svg'), 'utf8')).length).toBeGreaterThan(500);
  });
});
