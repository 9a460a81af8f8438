import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { campaignSpecSchema, type CampaignSpec, type Observation, type Recipe } from '../../../src/domain/index.ts';
import { Rng } from '../../../src/domain/random.ts';
import { normaliseRecipe } from '../../../src/domain/recipe.ts';
import { createBoAgent } from '../../../agents/bo-agent.ts';
import { rankRows, scoreRows, type ScoringRound } from '../../../agents/bo-batch-score.ts';
import { feasibilityTerm, outcomeBoundTerm, termRows, withLogProbabilities, type LogProbabilityTerm } from '../../../models/acquisition/constrained.ts';
import { createLogEI, createUCB } from '../../../models/acquisition/log-ei.ts';
import { fromRows, zeros, type Matrix } from '../../../models/linalg/index.ts';
import { fitFeasibility } from '../../../models/surrogates/feasibility.ts';
import { fitPerCodeFeasibility } from '../../../models/surrogates/feasibility-per-code.ts';
import { fitGp } from '../../../models/surrogates/gp.ts';
import { createDerivedFeatures } from '../../../models/transforms/derived-features.ts';
import { createSearchSpace } from '../../../models/transforms/search-space.ts';

const oer: CampaignSpec = campaignSpecSchema.parse(parse(readFileSync(new URL('../../../examples/oer-screen.yaml', import.meta.url), 'utf8')));
const space = createSearchSpace(oer, { presence: true });

/** Lower is better; best near Ni 0.5, Fe 0.3. */
const eta10 = (r: Recipe): number => 0.3 + 0.4 * ((r.Ni as number) - 0.5) ** 2 + 0.6 * ((r.Fe as number) - 0.3) ** 2 + 0.2 * (r.Ce as number);

function recipes(n: number, seed: number): Recipe[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => space.decode(space.toFeatures(space.fromUnit(Array.from({ length: space.unitDim }, () => rng.next())))));
}

/** Observations with two failure codes in two regions (hot anneals, much cerium). */
function observations(n: number, seed: number): Observation[] {
  return recipes(n, seed).map((recipe, i): Observation => {
    if ((recipe.annealTemperature as number) > 420) return { trialId: `t${i}`, recipe, feasible: false, failureCode: 'PRECIPITATION', objectives: {}, qualityFlags: [] };
    if ((recipe.Ce as number) > 0.5) return { trialId: `t${i}`, recipe, feasible: false, failureCode: 'DEVICE_LOST', objectives: {}, qualityFlags: [] };
    return { trialId: `t${i}`, recipe, feasible: true, objectives: { eta10: eta10(recipe) }, qualityFlags: [] };
  });
}

const rows = (X: Matrix, i: number): Float64Array => X.data.subarray(i * X.d, (i + 1) * X.d);
const relDiff = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

describe('batched scoring (ADR 0085)', () => {
  const obs = observations(60, 3);
  const feasible = obs.filter((o) => o.feasible);
  const X = fromRows(feasible.map((o) => space.encode(o.recipe)));
  // Maximisation orientation, as the agent's GPs.
  const gp = fitGp(X, feasible.map((o) => -(o.objectives['eta10'] as number)), { kernel: 'matern52', seed: 1 });
  const derived = createDerivedFeatures(space, oer.derivedFeatures);
  const perCode = fitPerCodeFeasibility(
    obs.map((o) => ({ features: space.encode(o.recipe), feasible: o.feasible, ...(o.feasible ? {} : { code: o.failureCode ?? 'UNKNOWN' }) })),
    { derived, seed: 2 },
  );
  // 700 candidates: several blocks of the blocked solves (128 and 256 rows) and a ragged last block.
  const C = fromRows(recipes(700, 9).map((r) => space.encode(r)));
  const P = fromRows(recipes(3, 11).map((r) => space.encode(r)));

  const expectSameAsPointPath = (round: ScoringRound, pending: Matrix): void => {
    const s = scoreRows(round, [{ name: 'eta10', sign: -1 }], C, pending);
    const acq = withLogProbabilities(round.makeBase(pending), [...round.terms]);
    let worst = 0;
    for (let i = 0; i < C.n; i++) {
      const x = rows(C, i);
      const p = gp.predict(fromRows([x]));
      worst = Math.max(
        worst,
        relDiff(s.acquisition[i] as number, acq.value(x)),
        relDiff(s.predicted[0]?.mean[i] as number, -(p.mean[0] as number)),
        relDiff(s.predicted[0]?.sd[i] as number, p.sd[0] as number),
      );
      if (round.feas) worst = Math.max(worst, relDiff(s.feasibility?.[i] as number, Math.exp(round.feas.logProbability(x))));
    }
    expect(s.acquisition).toHaveLength(C.n);
    expect(worst).toBeLessThan(1e-9);
  };

  it('UCB on the pending fantasies + per-code feasibility + an outcome bound: the same values as the per-point path', () => {
    expect(perCode.codes.size).toBe(2);
    const terms = [feasibilityTerm(perCode), outcomeBoundTerm(gp, gp.standardizer.forward(-0.45))];
    expect(terms.every((t) => t.batch !== undefined)).toBe(true);
    expectSameAsPointPath({ makeBase: (p) => createUCB(gp.fantasize(p), { beta: 4 }), ucb: { target: gp, beta: 4 }, terms, gps: [gp], feas: perCode }, P);
  });

  it('LogEI and the isotropic feasibility model (no batch form: row by row) give the same values too', () => {
    const iso = fitFeasibility(fromRows(obs.map((o) => space.encode(o.recipe))), obs.map((o) => o.feasible), { seed: 4 });
    expectSameAsPointPath({ makeBase: () => createLogEI(gp), terms: [feasibilityTerm(iso)], gps: [gp], feas: iso }, zeros(0, space.featureDim));
  });

  it('ranking completes the terms only where the base acquisition can still reach the top, with the rows and values of scoring every row', () => {
    const Cbig = fromRows(recipes(9000, 31).map((r) => space.encode(r)));
    const ucb = { target: gp, beta: 4 };
    const makeBase = (p: Matrix) => createUCB(gp.fantasize(p), { beta: 4 });
    const bound = outcomeBoundTerm(gp, gp.standardizer.forward(-0.45));
    /** Rows the counted terms were asked for (reset before each ranking). */
    const seen = { rows: 0 };
    /** A term's batch form counting the rows it is asked for. */
    const counted = (t: LogProbabilityTerm): LogProbabilityTerm => {
      const c: LogProbabilityTerm = (x, g) => t(x, g);
      c.batch = (X) => {
        seen.rows += X.n;
        return termRows(t, X);
      };
      return c;
    };
    const expectSameRanking = (terms: LogProbabilityTerm[], top: number, pending: Matrix): number => {
      const round: ScoringRound = { makeBase, ucb, terms, gps: [gp], feas: perCode };
      const all = scoreRows(round, [{ name: 'eta10', sign: -1 }], Cbig, pending);
      const expected = Array.from(all.acquisition.keys())
        .filter((i) => !Number.isNaN(all.acquisition[i]))
        .sort((a, b) => (all.acquisition[b] as number) - (all.acquisition[a] as number) || a - b)
        .slice(0, top);
      seen.rows = 0;
      const ranked = rankRows(round, [{ name: 'eta10', sign: -1 }], Cbig, pending, top);
      const completed = seen.rows - ranked.index.length;
      expect(Array.from(ranked.index)).toEqual(expected);
      ranked.index.forEach((r, i) => {
        expect(ranked.scores.acquisition[i]).toBe(all.acquisition[r]);
        expect(ranked.scores.predicted[0]?.mean[i]).toBe(all.predicted[0]?.mean[r]);
        expect(ranked.scores.feasibility?.[i]).toBe(all.feasibility?.[r]);
      });
      return completed;
    };
    // The terms were completed for the first block of rows by the bound only (2,048 of 9,000).
    expect(expectSameRanking([feasibilityTerm(perCode), counted(bound)], 25, P)).toBe(2048);
    expect(expectSameRanking([feasibilityTerm(perCode), counted(bound)], 1, zeros(0, space.featureDim))).toBeLessThan(Cbig.n);
    expectSameRanking([feasibilityTerm(perCode)], 3000, P);
    // A term above 0 breaks the bound: every row is completed and the ranking is still exact.
    const positive: LogProbabilityTerm = (x) => 0.5 * (x[0] as number);
    expect(expectSameRanking([counted(positive)], 10, P)).toBe(Cbig.n);
  });

  it('the BO agent scores recipes through the batched path: same numbers as scoreFeatures, and in one call as one by one', async () => {
    let k = 0;
    const agent = createBoAgent({ spec: oer, seed: 1, newId: () => `id-${++k}` }, { rawSamples: 64, restarts: 2 });
    await agent.ingest(obs);
    const cands = recipes(300, 21);
    const pending = recipes(2, 23);
    const all = await agent.score(cands, pending);
    const direct = agent.scoreFeatures(fromRows(cands.map((r) => agent.space.encode(normaliseRecipe(oer, r)))), pending);
    for (let i = 0; i < cands.length; i += 37) {
      const [one] = await agent.score([cands[i] as Recipe], pending);
      expect(relDiff(one!.acquisitionValue, all[i]!.acquisitionValue)).toBeLessThan(1e-9);
      expect(relDiff(one!.predicted['eta10']!.mean, all[i]!.predicted['eta10']!.mean)).toBeLessThan(1e-9);
    }
    all.forEach((s, i) => {
      expect(s.acquisitionValue).toBe(direct.acquisition[i]);
      expect(s.predicted['eta10']?.mean).toBe(direct.predicted[0]?.mean[i]);
      expect(s.feasibility).toBe(direct.feasibility?.[i]);
      expect(s.feasibility).toBeGreaterThan(0);
    });
    expect(await agent.score([], pending)).toEqual([]);
    // Ranking: the top rows by the acquisition, best first, with the same scores as scoring every row.
    const Xn = fromRows(cands.map((r) => agent.space.encode(normaliseRecipe(oer, r))));
    const ranked = agent.rankFeatures(Xn, pending, 10);
    const expected = Array.from(direct.acquisition.keys()).sort((a, b) => (direct.acquisition[b] as number) - (direct.acquisition[a] as number)).slice(0, 10);
    expect(Array.from(ranked.index)).toEqual(expected);
    ranked.index.forEach((r, i) => {
      expect(ranked.scores.acquisition[i]).toBe(direct.acquisition[r]);
      expect(ranked.scores.predicted[0]?.mean[i]).toBe(direct.predicted[0]?.mean[r]);
      expect(ranked.scores.feasibility?.[i]).toBe(direct.feasibility?.[r]);
    });
  });
});
