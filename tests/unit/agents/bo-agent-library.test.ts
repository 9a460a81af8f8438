import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSpecSchema, type CampaignSpec, type Observation, type Recipe } from '../../../src/domain/index.ts';
import { createBoAgent } from '../../../agents/bo-agent.ts';
import { RecipeLibrary } from '../../../agents/recipe-library.ts';
import { createSearchSpace } from '../../../models/transforms/search-space.ts';
import { Rng } from '../../../src/domain/random.ts';
import { agentContext, FAST_BO, observeSynthetic, syntheticEta10 } from '../../helpers/bo-fixtures.ts';

const oer: CampaignSpec = campaignSpecSchema.parse({ ...parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')), strategy: { agent: 'bo', initialTrials: 4, approval: 'auto', maxRetries: 1 } });
const ctx = (seed = 1) => agentContext(oer, seed);
const fast = FAST_BO;
const eta10 = syntheticEta10;
const observe = observeSynthetic;

/** A plate of 60 Ni–Fe–Co inks on a 10 % grid (every present metal ≥ 10 %), fixed process conditions. */
function plate(): Recipe[] {
  const out: Recipe[] = [];
  for (let ni = 1; ni <= 8; ni++)
    for (let fe = 1; ni + fe <= 9; fe++) out.push({ Ni: ni / 10, Fe: fe / 10, Co: (10 - ni - fe) / 10, Ce: 0, Mn: 0, totalMetal: 50, complexant: 10, depositionCharge_mC_cm2: 30, annealTemperature: 150 });
  return out;
}

const sameRecipe = (a: Recipe, b: Recipe): boolean => Object.keys(b).every((k) => Math.abs((a[k] as number) - (b[k] as number)) < 1e-9);
const rowOf = (rows: readonly Recipe[], r: Recipe): number => rows.findIndex((x) => sameRecipe(r, x));

describe('a BO agent with a recipe library (ADR 0122)', () => {
  it('proposes only library rows, never one observed or pending, until the library is spent', async () => {
    const rows = plate();
    const agent = createBoAgent(ctx(), { ...fast, library: rows });
    const seen = new Set<number>();
    let i = 0;
    for (;;) {
      const pending = [rows[0] as Recipe];
      const batch = await agent.suggest(4, pending);
      for (const s of batch) {
        const row = rowOf(rows, s.recipe);
        expect(row, JSON.stringify(s.recipe)).toBeGreaterThanOrEqual(0);
        expect(row).not.toBe(0);
        expect(seen.has(row)).toBe(false);
        seen.add(row);
      }
      if (batch.length === 0) break;
      await agent.ingest(batch.map((s) => observe(s.recipe, i++)));
    }
    // Every row but the pending one was proposed exactly once.
    expect(seen.size).toBe(rows.length - 1);
  }, 120_000);

  it('moves design points and external candidates to the nearest unspent row, and finds the best row', async () => {
    const rows = plate();
    const agent = createBoAgent(ctx(3), { ...fast, library: rows });
    const design = await agent.suggest(4, []);
    expect(design.every((s) => s.proposer === 'sobol' && rowOf(rows, s.recipe) >= 0)).toBe(true);
    expect(design[0]!.rationale).toMatch(/nearest recipe of the library/);
    await agent.ingest(design.map((s, i) => observe(s.recipe, i)));
    const off = { ...(rows[20] as Recipe), Ni: (rows[20]!.Ni as number) + 0.02, Co: (rows[20]!.Co as number) - 0.02 };
    const batch = await agent.suggestAmong(4, [], [{ recipe: off, proposer: 'llm', rationale: 'Near row 21.' }], { maxExternal: 1 });
    const llm = batch.filter((s) => s.proposer === 'llm');
    for (const s of llm) expect(rowOf(rows, s.recipe)).toBe(20);
    expect(batch.every((s) => rowOf(rows, s.recipe) >= 0)).toBe(true);
    // Twelve more rounds of 4 find the library's best row (Ni 0.5, Fe 0.3, Co 0.2).
    let n = 4;
    await agent.ingest(batch.map((s) => observe(s.recipe, n++)));
    const observed = [...design, ...batch].map((s) => s.recipe);
    for (let round = 0; round < 8; round++) {
      const b = await agent.suggest(4, []);
      observed.push(...b.map((s) => s.recipe));
      await agent.ingest(b.map((s) => observe(s.recipe, n++)));
    }
    const best = rows.reduce((a, r) => (eta10(r) < eta10(a) ? r : a));
    expect(observed.some((r) => sameRecipe(r, best))).toBe(true);
  }, 120_000);

  it('judges a candidate as the nearest row not observed or pending', async () => {
    const rows = plate();
    const agent = createBoAgent(ctx(2), { ...fast, library: rows });
    const design = await agent.suggest(4, []);
    await agent.ingest(design.map((s, i) => observe(s.recipe, i)));
    const observedRow = rowOf(rows, design[0]!.recipe);
    const [same, pendingNear] = await agent.score([design[0]!.recipe, rows[30] as Recipe], [rows[30] as Recipe]);
    // Neither the observed row nor the pending one is offered back: each candidate becomes another, nearby row.
    expect(rowOf(rows, same!.recipe)).toBeGreaterThanOrEqual(0);
    expect(rowOf(rows, same!.recipe)).not.toBe(observedRow);
    expect(rowOf(rows, pendingNear!.recipe)).toBeGreaterThanOrEqual(0);
    expect(rowOf(rows, pendingNear!.recipe)).not.toBe(30);
    expect(Number.isFinite(same!.acquisitionValue)).toBe(true);
  });

  it('counts a recipe the gate moved a little (a dosable additive amount) as its row, not one between two rows', () => {
    const space = createSearchSpace(oer);
    const rows = plate();
    const lib = new RecipeLibrary(space, rows);
    const r5 = rows[5] as Recipe;
    // complexant 10 → 9.8 mM: 0.004 of its range away from row 6, whose nearest other row is 0.1 of a fraction away.
    expect(lib.available([space.encode({ ...r5, complexant: 9.8 })])).not.toContain(5);
    expect(lib.available([space.encode({ ...r5, complexant: 9.8 })])).toHaveLength(rows.length - 1);
    // A recipe far from every row (every row anneals at 150 °C; this one at 400 °C) spends none.
    expect(lib.available([space.encode({ ...r5, annealTemperature: 400 })])).toHaveLength(rows.length);
    // Two fifths of the way from row 6 to its nearest neighbour: row 6's; three fifths: the neighbour's, not row 6's.
    const f5 = space.encode(r5);
    const others = lib.available([f5]);
    const nn = lib.nearest(f5, others);
    const toward = (w: number): Float64Array => f5.map((v, j) => (1 - w) * v + w * (lib.row(nn)[j] as number));
    expect(lib.available([toward(0.4)])).toEqual(lib.available([f5]));
    expect(lib.available([toward(0.6)])).toContain(5);
  });

  it('treats rows with the same encoding as one and refuses an empty library or a recipe outside the space', () => {
    const space = createSearchSpace(oer);
    const rows = plate();
    const lib = new RecipeLibrary(space, [...rows, { ...(rows[5] as Recipe) }]);
    expect(lib.size).toBe(rows.length + 1);
    expect(lib.available([space.encode(rows[5] as Recipe)])).toHaveLength(rows.length - 1);
    expect(() => new RecipeLibrary(space, [])).toThrow(/at least one recipe/);
    expect(() => new RecipeLibrary(space, [{ ...(rows[0] as Recipe), totalMetal: 'lots' as unknown as number }])).toThrow(/library row 1/);
    const rng = new Rng(1);
    const probe = space.encode(rows[7] as Recipe).map((v) => v + 1e-4 * rng.next());
    expect(lib.nearest(probe, lib.available([]))).toBe(7);
  });
});

describe('a generative agent whose judge has a recipe library (ADR 0122)', () => {
  const run = async (priorObservations?: Observation[]): Promise<{ rows: number[]; proposers: Set<string> }> => {
    const { createAgent } = await import('../../../src/app/agents.ts');
    const { createInlineTrainer } = await import('../../../src/app/generative-trainer.ts');
    const rows = plate();
    const spec = campaignSpecSchema.parse({ ...oer, library: rows, strategy: { ...oer.strategy, agent: 'generative', generative: { model: 'prior', samples: 64, retrainEvery: 4, share: 0.5, adaptiveShare: false } } });
    let k = 0;
    const agent = createAgent('generative', { spec, seed: 4, newId: () => `g${++k}` }, { trainer: createInlineTrainer({ backend: 'wasm' }), ...(priorObservations ? { priorObservations } : {}) });
    const seen: number[] = [];
    const proposers = new Set<string>();
    let n = 0;
    for (let round = 0; round < 6; round++) {
      const batch = await agent.suggest(4, []);
      expect(batch).toHaveLength(4);
      for (const s of batch) {
        seen.push(rowOf(rows, s.recipe));
        proposers.add(s.proposer);
      }
      await agent.ingest(batch.map((s) => observe(s.recipe, n++)));
    }
    return { rows: seen, proposers };
  };

  it('with prior rows, proposes only unspent library rows, its generator samples included', async () => {
    const prior = plate().filter((_, i) => i % 3 === 0).map((r, i) => ({ ...observe(r, 1000 + i), trialId: `prior-${i}` }));
    const { rows, proposers } = await run(prior);
    expect(rows.every((r) => r >= 0)).toBe(true);
    expect(new Set(rows).size).toBe(rows.length);
    expect(proposers.has('generative')).toBe(true);
  }, 120_000);

  it('without prior rows, is BO alone: BO already scores every row the generator could offer', async () => {
    const { rows, proposers } = await run();
    expect(rows.every((r) => r >= 0)).toBe(true);
    expect(new Set(rows).size).toBe(rows.length);
    expect([...proposers].sort()).toEqual(['bo', 'sobol']);
  }, 120_000);
});
