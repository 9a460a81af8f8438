import { describe, expect, it } from 'vitest';
import { checkPrior, trustRamp } from '../../../agents/prior-check.ts';
import type { Observation } from '../../../src/domain/index.ts';
import { defaultSpec } from '../../helpers/default-spec.ts';
import { syntheticLandscape, uniformObservations } from '../../helpers/generative-fixtures.ts';

const spec = defaultSpec();
const truth = syntheticLandscape(spec, uniformObservations(spec, () => 0, 1, 99)[0]?.recipe ?? {});

/** 120 prior rows at uniform recipes whose eta10 is `value` of the target's truth there. */
const priorRows = (value: (t: number) => number): Observation[] =>
  uniformObservations(spec, truth, 120, 11).map((o, i) => ({ ...o, trialId: `prior-${i}`, objectives: { eta10: value(o.objectives['eta10'] as number) } }));
/** This campaign's results: 24 uniform recipes on the truth (eta10 minimised). */
const results = uniformObservations(spec, truth, 24, 12);

describe('checkPrior (ADR 0116)', () => {
  it('a prior that ranks like the target (an offset and a scale) keeps the full factor', () => {
    const c = checkPrior(spec, priorRows((t) => 0.3 + 2 * t), results, 1);
    expect(c.results).toBe(24);
    expect(c.pairs).toBe(6 * 18);
    expect(c.priorAgreement).toBeGreaterThan(0.8);
    expect(c.relevance).toBeGreaterThan(0.5);
    expect(c.factor).toBe(1);
  });

  it('a prior that misranks the target (its good rows are the target\'s bad ones) loses its factor', () => {
    const c = checkPrior(spec, priorRows((t) => -t), results, 1);
    expect(c.priorAgreement).toBeLessThan(0.3);
    expect(c.ownAgreement).toBeGreaterThan(c.priorAgreement);
    expect(c.relevance).toBeLessThan(0.1);
    expect(c.factor).toBeLessThan(0.2);
  });

  it('says nothing without prior rows or with fewer than 4 feasible results', () => {
    expect(checkPrior(spec, [], results, 1)).toMatchObject({ relevance: 0.5, factor: 1, pairs: 0 });
    expect(checkPrior(spec, priorRows((t) => -t), results.slice(0, 3), 1)).toMatchObject({ relevance: 0.5, factor: 1, results: 3 });
    const infeasible = results.map((o) => ({ ...o, feasible: false }));
    expect(checkPrior(spec, priorRows((t) => -t), infeasible, 1)).toMatchObject({ factor: 1, results: 0 });
  });

  it('is deterministic for a seed', () => {
    const prior = priorRows((t) => t + 0.05 * Math.sin(40 * t));
    const few = results.slice(0, 10);
    expect(checkPrior(spec, prior, few, 7)).toEqual(checkPrior(spec, prior, few, 7));
  });

  it('trustRamp: min(1, results/after), no ramp at 0', () => {
    expect(trustRamp(12, 24)).toBe(0.5);
    expect(trustRamp(30, 24)).toBe(1);
    expect(trustRamp(0, 24)).toBe(0);
    expect(trustRamp(3, 0)).toBe(1);
  });
});
