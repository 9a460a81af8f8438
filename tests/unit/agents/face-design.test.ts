import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSpecSchema, validateRecipe, type CampaignSpec, type Recipe } from '../../../src/domain/index.ts';
import { binomial, createFaceDesign, maximalFaces } from '../../../agents/face-design.ts';
import { createBoAgent } from '../../../agents/bo-agent.ts';
import { createAgent } from '../../../src/app/agents.ts';

const oer: CampaignSpec = campaignSpecSchema.parse(parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')));
const METALS = ['Ni', 'Fe', 'Co', 'Ce', 'Mn'] as const;
const ctx = (spec: CampaignSpec, seed = 3) => {
  let k = 0;
  return { spec, seed, newId: () => `id-${++k}` };
};
/** The OER spec with other mixture limits. */
const withMetals = (limits: { minFraction: number; maxComponents?: number }): CampaignSpec => {
  const parameters = oer.parameters.map((p) => {
    if (p.type !== 'simplex') return p;
    const { maxComponents: _drop, ...rest } = p;
    return { ...rest, ...limits };
  });
  return campaignSpecSchema.parse({ ...oer, parameters });
};
const present = (r: Recipe): string[] => METALS.filter((m) => (r[m] as number) > 0);
const key = (r: Recipe): string => present(r).join('');

describe('initial design over the maximal support faces (ADR 0119)', () => {
  it('maximal faces: exactly maxComponents present, all components without a limit, fewer when minFraction forbids more', () => {
    const block = (minFraction: number, maxComponents: number) => ({ components: [...METALS], minFraction, maxComponents });
    expect(maximalFaces(block(0.05, 4))).toHaveLength(5);
    for (const f of maximalFaces(block(0.05, 4))) expect(f).toHaveLength(4);
    expect(maximalFaces(block(0.05, 5))).toEqual([[0, 1, 2, 3, 4]]);
    // three parts of 0.3 fit, four do not
    expect(maximalFaces(block(0.3, 5))).toHaveLength(binomial(5, 3));
    expect(new Set(maximalFaces(block(0.3, 5)).map((f) => f.join())).size).toBe(10);
  });

  it('every maximal face gets its share of the first n points; every point is valid with minFraction and maxComponents exact', () => {
    const next = createFaceDesign(oer, 7);
    const points = Array.from({ length: 12 }, () => next());
    const counts = new Map<string, number>();
    for (const p of points) {
      expect(validateRecipe(oer, p.recipe)).toEqual([]);
      expect(present(p.recipe)).toHaveLength(4);
      expect(p.faces[0]).toEqual(present(p.recipe));
      for (const m of present(p.recipe)) expect(p.recipe[m] as number).toBeGreaterThanOrEqual(0.05);
      expect(METALS.reduce((s, m) => s + (p.recipe[m] as number), 0)).toBeCloseTo(1, 12);
      counts.set(key(p.recipe), (counts.get(key(p.recipe)) ?? 0) + 1);
    }
    // the first 5 points cover the 5 faces once, the first 10 twice each
    expect(new Set(points.slice(0, 5).map((p) => key(p.recipe))).size).toBe(5);
    expect(new Set(points.slice(5, 10).map((p) => key(p.recipe))).size).toBe(5);
    expect([...counts.values()].sort()).toEqual([2, 2, 2, 3, 3]);
  });

  it('without maxComponents every point holds every component; a large minFraction limits the faces to what fits', () => {
    const all = createFaceDesign(withMetals({ minFraction: 0.05 }), 1);
    for (let i = 0; i < 8; i++) expect(present(all().recipe)).toHaveLength(5);
    const spec = withMetals({ minFraction: 0.3 });
    const three = createFaceDesign(spec, 1);
    const keys = Array.from({ length: 10 }, () => three().recipe);
    for (const r of keys) {
      expect(validateRecipe(spec, r)).toEqual([]);
      expect(present(r)).toHaveLength(3);
      for (const m of present(r)) expect(r[m] as number).toBeGreaterThanOrEqual(0.3);
    }
    expect(new Set(keys.map(key)).size).toBe(10);
  });

  it('is seeded: the same seed gives the same points, another seed others', () => {
    const draw = (seed: number) => {
      const next = createFaceDesign(oer, seed);
      return Array.from({ length: 6 }, () => next().recipe);
    };
    expect(draw(4)).toEqual(draw(4));
    expect(draw(5)).not.toEqual(draw(4));
  });

  it('respects linear constraints, giving the turn to the next face when a face cannot meet them', () => {
    // Ni ≥ 0.3 cannot hold on {Fe, Co, Ce, Mn}; on the other four faces it can.
    const spec = campaignSpecSchema.parse({ ...oer, constraints: [{ coefficients: { Ni: -1 }, rhs: -0.3 }] });
    const next = createFaceDesign(spec, 2);
    const points = Array.from({ length: 8 }, () => next().recipe);
    for (const r of points) {
      expect(validateRecipe(spec, r)).toEqual([]);
      expect(r.Ni as number).toBeGreaterThanOrEqual(0.3);
    }
    expect(new Set(points.slice(0, 4).map(key)).size).toBe(4);
  });

  it('the BO agent uses it with strategy.initialDesign: faces (strict key); the default and campaigns without a mixture keep the Sobol design', async () => {
    const spec = campaignSpecSchema.parse({ ...oer, strategy: { ...oer.strategy, initialDesign: 'faces' } });
    expect(spec.strategy.initialDesign).toBe('faces');
    const design = await createAgent('bo', ctx(spec)).suggest(5, []);
    expect(new Set(design.map((s) => key(s.recipe))).size).toBe(5);
    for (const s of design) {
      expect(s.proposer).toBe('sobol');
      expect(s.rationale).toMatch(/^Initial design point \d on the maximal support face \{/);
    }
    // the default is the scrambled-Sobol design; `faces` on a campaign without a mixture gives the same
    const byDefault = await createBoAgent(ctx(oer)).suggest(5, []);
    expect(byDefault[0]?.rationale).toBe('Initial space-filling design point 1 (scrambled Sobol).');
    expect((await createBoAgent(ctx(oer), { initialDesign: 'sobol' }).suggest(5, [])).map((x) => x.recipe)).toEqual(byDefault.map((x) => x.recipe));
    expect(new Set(byDefault.map((x) => key(x.recipe))).size).toBeLessThan(5);
    const noMixture = campaignSpecSchema.parse({
      ...oer,
      parameters: oer.parameters.filter((p) => p.type !== 'simplex'),
      stocks: [],
      derivedFeatures: [],
    });
    const a = await createBoAgent(ctx(noMixture), { initialDesign: 'faces' }).suggest(3, []);
    const b = await createBoAgent(ctx(noMixture)).suggest(3, []);
    expect(a).toEqual(b);
    expect(a[0]?.rationale).toBe('Initial space-filling design point 1 (scrambled Sobol).');
    expect(campaignSpecSchema.safeParse({ ...oer, strategy: { ...oer.strategy, initialDesign: 'grid' } }).success).toBe(false);
    expect(campaignSpecSchema.safeParse({ ...oer, strategy: { ...oer.strategy, thompson: { globalFrom: 'maximalFaces' } } }).success).toBe(true);
  });

  it('Thompson global candidates from the maximal faces (thompson.globalFrom: maximalFaces): valid and seeded', async () => {
    const eta10 = (r: Recipe): number => 0.3 + 0.1 * (r.Fe as number) + 0.0005 * Math.abs((r.totalMetal as number) - 50);
    const run = async () => {
      const agent = createBoAgent(ctx(oer, 4), { rawSamples: 32, restarts: 1, acquisition: 'thompson', thompson: { global: 64, perCentre: 16, globalFrom: 'maximalFaces' } });
      const design = await agent.suggest(5, []);
      await agent.ingest(design.map((s, i) => ({ trialId: `t${i}`, recipe: s.recipe, feasible: true, objectives: { eta10: eta10(s.recipe) }, qualityFlags: [] })));
      return agent.suggest(3, []);
    };
    const a = await run();
    for (const s of a) {
      expect(validateRecipe(oer, s.recipe)).toEqual([]);
      expect(s.rationale).toMatch(/^Thompson sample of a GP/);
    }
    expect((await run()).map((s) => s.recipe)).toEqual(a.map((s) => s.recipe));
  });
});
